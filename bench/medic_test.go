package bench

import (
	"context"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

// TestInstantMachine is the quick sanity pass of the engine benchmark: the
// medic definition with instant tasks succeeds with the transitions its
// shape implies (LoadTargets, ProbeTargets, 2 per batch, CheckStaleness,
// HasAlerts, Done), and the scale definition renders and parses.
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
	def, err := ScaleDefinition(10, 100, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Parse([]byte(def)); err != nil {
		t.Errorf("the scale definition does not parse: %v", err)
	}
}
