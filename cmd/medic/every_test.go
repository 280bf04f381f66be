package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
)

// TestEveryCadence: runs start on first + k*every however long the runs
// before took; a run longer than the cadence is reported and the next run
// starts at the next slot after it.
func TestEveryCadence(t *testing.T) {
	first := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(first)
	var slept []time.Duration
	sched := schedule{
		now: clk.Now,
		sleep: func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			clk.Advance(d)
			return nil
		},
	}
	durations := []time.Duration{3 * time.Minute, 12 * time.Minute, time.Minute, 25 * time.Minute, 10 * time.Minute, 0}
	var starts []string
	cycle := func(context.Context) (int, error) {
		starts = append(starts, clk.Now().Sub(first).String())
		clk.Advance(durations[len(starts)-1])
		return exitOK, nil
	}
	var stdout, stderr syncBuffer
	err := everyLoop(context.Background(), &io2{stdout: &stdout, stderr: &stderr}, runOptions{every: 10 * time.Minute, count: 6}, sched, cycle)
	if err != nil {
		t.Fatal(err)
	}
	// 0: 3m run; 10m: 12m run, ends 22m, so 20m is skipped; 30m: 1m;
	// 40m: 25m, ends 65m, so 50m and 60m are skipped; 70m: exactly 10m,
	// ends on the 80m slot, which is not skipped; 80m.
	if got, want := strings.Join(starts, " "), "0s 10m0s 30m0s 40m0s 1h10m0s 1h20m0s"; got != want {
		t.Errorf("runs started at %s, want %s (slept %v)", got, want, slept)
	}
	for _, w := range []string{"the run took 12m0s, longer than --every 10m0s: 1 start skipped", "the run took 25m0s, longer than --every 10m0s: 2 starts skipped"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
		}
	}
	if n := strings.Count(stderr.String(), "longer than"); n != 2 {
		t.Errorf("%d runs reported as too long, want 2:\n%s", n, stderr.String())
	}
	if !strings.Contains(stdout.String(), "(in 8m0s; Ctrl-C to stop)") {
		t.Errorf("stdout lacks the next start after the long run:\n%s", stdout.String())
	}
}

func TestNextSlot(t *testing.T) {
	first := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	every := 10 * time.Minute
	tests := []struct {
		slot int
		end  time.Duration // after first
		next int
	}{
		{0, time.Second, 1},
		{0, 10 * time.Minute, 1},
		{0, 10*time.Minute + time.Nanosecond, 2},
		{0, 20 * time.Minute, 2},
		{3, 31 * time.Minute, 4},
		{3, 59 * time.Minute, 6},
	}
	for _, tc := range tests {
		next, at := nextSlot(first, every, tc.slot, first.Add(tc.end))
		if next != tc.next || !at.Equal(first.Add(time.Duration(tc.next)*every)) {
			t.Errorf("slot %d ending at +%s: next %d at %s, want %d", tc.slot, tc.end, next, at, tc.next)
		}
	}
}
