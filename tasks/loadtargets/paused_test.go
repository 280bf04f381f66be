package loadtargets

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/hold"
)

// A paused target is left out of the batches (it is not probed) and named
// in the summary; a pause with an end stops holding at that end.
func TestPausedTargetsAreNotProbed(t *testing.T) {
	s := seeded(t)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	if _, err := hold.Update(context.Background(), s, t0, func(f *hold.File) error {
		f.Paused["api"] = hold.Pause{At: t0, By: "alice"}
		f.Paused["db"] = hold.Pause{At: t0, Until: t0.Add(2 * time.Hour), By: "alice"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Store: s, BatchSize: 10, Clock: clk}
	tests := []struct {
		at      time.Duration
		input   string
		batches string
		paused  []string
	}{
		// The list: sorted by name.
		{0, `{}`, "[batch.job myhost web]", []string{"api", "db"}},
		{2*time.Hour - time.Second, `{"targets": ["db", "myhost"]}`, "[myhost]", []string{"db"}},
		{2 * time.Hour, `{}`, "[batch.job db myhost web]", []string{"api"}}, // db's pause has ended
	}
	for _, tt := range tests {
		clk.Set(t0.Add(tt.at))
		out, err := h.Handle(context.Background(), json.RawMessage(tt.input))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(listNames(t, h.Store, out)); got != tt.batches || fmt.Sprint(out.Summary.Paused) != fmt.Sprint(tt.paused) {
			t.Errorf("+%s %s: target list %s paused %v, want %s %v", tt.at, tt.input, got, out.Summary.Paused, tt.batches, tt.paused)
		}
	}
}
