package bench

import (
	"context"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
)

// TestInstantMachine is the quick sanity pass of the engine benchmark: the
// inline-Map workload with instant tasks succeeds with the transitions its
// shape implies (LoadTargets, ProbeTargets, 2 per batch, CheckStaleness,
// HasAlerts, Done), and medic's definition renders and parses.
func TestInstantMachine(t *testing.T) {
	for _, c := range []struct{ targets, transitions int }{{10, 7}, {25, 11}} {
		m, opts, err := InstantMachine(c.targets)
		if err != nil {
			t.Fatal(err)
		}
		x := m.Run(context.Background(), []byte(`{"trigger":"schedule"}`), opts)
		if x.Status != engine.StatusSucceeded || x.Transitions != c.transitions {
			t.Errorf("%d targets: %s %s, %d transitions, want SUCCEEDED and %d", c.targets, x.Status, x.Cause, x.Transitions, c.transitions)
		}
	}
	def, err := Definition(10, 100, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Parse([]byte(def)); err != nil {
		t.Errorf("the definition does not parse: %v", err)
	}
}

// PeerExtraRuns: the second peer process runs long enough for its start-up
// to matter little, and never fewer than 8 or more than 5,000 extra runs.
func TestPeerExtraRuns(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		runs []time.Duration
		want int
	}{
		{nil, 8},
		{[]time.Duration{300 * ms, 200 * ms, 250 * ms}, 8},
		{[]time.Duration{2 * ms, 100 * ms, 2 * ms}, 1000},
		{[]time.Duration{40 * ms, 41 * ms, 39 * ms, 60 * ms}, 49},
		{[]time.Duration{0, 0, 0}, 5000},
	} {
		if got := PeerExtraRuns(c.runs, 2*time.Second); got != c.want {
			t.Errorf("PeerExtraRuns(%v) = %d, want %d", c.runs, got, c.want)
		}
	}
}
