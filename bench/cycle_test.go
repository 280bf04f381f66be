package bench

import (
	"context"
	"testing"
)

// TestCycleCounts is the quick sanity pass of the harness: a real cycle
// over 10 loopback targets, with the counts that follow from the
// definition and the tasks.
func TestCycleCounts(t *testing.T) {
	cases := []struct {
		name                 string
		cycle                Cycle
		probes, writeechoes  int
		minWrites, minReads  int
		transitions, express int
	}{
		// LoadTargets, Map, CheckStaleness, Notify; the children are Express.
		{name: "two batches", cycle: Cycle{Targets: 10, BatchSize: 5}, probes: 2, writeechoes: 2, minWrites: 2, minReads: 2, transitions: 4, express: 2},
		{name: "one batch", cycle: Cycle{Targets: 10, BatchSize: 100}, probes: 1, writeechoes: 1, minWrites: 1, minReads: 2, transitions: 4, express: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := RunCycle(context.Background(), c.cycle)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Run
			inv := map[string]int{}
			for _, f := range r.Functions {
				inv[f.Name] = f.Invocations
			}
			if inv["probe"] != c.probes || inv["writeecho"] != c.writeechoes || inv["loadtargets"] != 1 || inv["checkstaleness"] != 1 {
				t.Errorf("invocations %v", inv)
			}
			if r.Transitions != c.transitions || r.ExpressRequests != c.express {
				t.Errorf("transitions %d, express %d; want %d, %d", r.Transitions, r.ExpressRequests, c.transitions, c.express)
			}
			if r.S3Writes < c.minWrites || r.S3Reads < c.minReads || r.StateMachineLogBytes == 0 || r.FunctionLogBytes == 0 || r.SchedulerInvocations != 1 {
				t.Errorf("counts %+v", r)
			}
			t.Logf("%+v", r)
		})
	}
}
