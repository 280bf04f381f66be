package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestManualSleepMovesTheClock(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m := NewManual(t0)
	began := time.Now()
	if err := m.Sleep(context.Background(), time.Hour); err != nil {
		t.Fatalf("sleep: %v", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Fatalf("a 1h sleep on the manual clock took %v of real time", took)
	}
	if got := m.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after a 1h sleep the clock reads %v, want %v", got, t0.Add(time.Hour))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Sleep(ctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("sleep with an ended context = %v, want context.Canceled", err)
	}
	if got := m.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("a sleep with an ended context moved the clock to %v", got)
	}
}
