package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/statemachines"
)

// RetryableDeliveryError stands in for notify's error type: the state
// machine matches it by its Go type name.
type RetryableDeliveryError struct{ Channel string }

func (e *RetryableDeliveryError) Error() string { return "channel " + e.Channel + " answered 503" }

type medicStandIns struct {
	pending      int
	notifyFails  int // how many times notify fails with RetryableDeliveryError
	notifyCalls  atomic.Int32
	probeBatches atomic.Int32
}

func (s *medicStandIns) resources() map[string]engine.Func {
	type target struct {
		Name string `json:"name"`
	}
	return map[string]engine.Func{
		statemachines.LocalFunctionArn("loadtargets"): engine.LambdaHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
			return map[string]any{
				"trigger":    "schedule",
				"requested":  []string{},
				"targetList": map[string]string{"bucket": "medic", "key": "runs/targets-abc.json"},
				"summary":    map[string]any{"targets": 3, "batches": 2, "problems": []any{}, "problemCount": 0},
			}, nil
		}),
		statemachines.LocalFunctionArn("probe"): engine.LambdaHandler(func(ctx context.Context, in struct {
			Batch   int      `json:"batch"`
			Targets []target `json:"targets"`
			Run     string   `json:"run"`
		}) (map[string]any, error) {
			s.probeBatches.Add(1)
			results := make([]map[string]any, len(in.Targets))
			for i, t := range in.Targets {
				results[i] = map[string]any{"target": t.Name, "up": true}
			}
			return map[string]any{"batch": in.Batch, "run": in.Run, "results": results}, nil
		}),
		statemachines.LocalFunctionArn("writeecho"): engine.LambdaHandler(func(ctx context.Context, in struct {
			Results []struct {
				Target string `json:"target"`
			} `json:"results"`
		}) (map[string]any, error) {
			first, last := in.Results[0].Target, in.Results[len(in.Results)-1].Target
			return map[string]any{"echo": "echo/batch/" + first + "--" + last + ".json", "written": len(in.Results)}, nil
		}),
		statemachines.LocalFunctionArn("checkstaleness"): engine.LambdaHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
			return map[string]any{"run": in["run"], "trigger": in["trigger"], "loaded": in["loaded"],
				"statuses": map[string]int{"UP": 3}, "changes": []any{}, "pending": s.pending}, nil
		}),
		statemachines.LocalFunctionArn("notify"): engine.LambdaHandler(func(ctx context.Context, in struct {
			Run string `json:"run"`
		}) (map[string]int, error) {
			n := s.notifyCalls.Add(1)
			if int(n) <= s.notifyFails {
				return nil, &RetryableDeliveryError{Channel: "slack"}
			}
			return map[string]int{"delivered": s.pending, "rejected": 0, "pending": 0, "dropped": 0}, nil
		}),
	}
}

func runMedic(t *testing.T, s *medicStandIns) *engine.Execution {
	t.Helper()
	def, err := statemachines.Local(10, 2, 10) // batches of 2: [a b] [c]
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.Parse([]byte(def))
	if err != nil {
		t.Fatalf("the medic definition does not validate: %v", err)
	}
	return m.Run(context.Background(), json.RawMessage(`{"trigger":"schedule"}`), engine.Options{
		Resources: s.resources(), Clock: engine.NewInstantClock(epoch), ExecutionName: "run-1", StateMachineName: "medic",
		ItemReaderFunc: func(ctx context.Context, bucket, key string) ([]byte, error) {
			return []byte(`[{"name":"a"},{"name":"b"},{"name":"c"}]`), nil
		},
	})
}

func enteredStates(x *engine.Execution) []string {
	var names []string
	for _, e := range x.Events {
		if e.StateEnteredEventDetails != nil {
			names = append(names, e.StateEnteredEventDetails.Name)
		}
	}
	return names
}

func TestMedicDefinition(t *testing.T) {
	cases := []struct {
		name       string
		stand      *medicStandIns
		wantStates string
		wantNotify int32
		wantOutput []string // substrings of the output
		notWant    []string
	}{
		// The batches run as child executions, whose states are not in
		// the parent's history; Notify is entered on every run (with
		// nothing pending the real one returns at once).
		{name: "no alerts", stand: &medicStandIns{pending: 0}, wantNotify: 1,
			wantStates: "LoadTargets ProbeTargets CheckStaleness Notify",
			wantOutput: []string{`"pending":0`}, notWant: []string{"notifyError"}},
		{name: "notify", stand: &medicStandIns{pending: 2}, wantNotify: 1,
			wantStates: "LoadTargets ProbeTargets CheckStaleness Notify",
			wantOutput: []string{`"notify":{"delivered":2,"dropped":0,"pending":0,"rejected":0}`}},
		{name: "retryable delivery error retried then caught", stand: &medicStandIns{pending: 1, notifyFails: 100}, wantNotify: 4,
			wantStates: "LoadTargets ProbeTargets CheckStaleness Notify AlertsHeldForNextRun",
			wantOutput: []string{`"notifyError":{"Cause":"{\"errorMessage\":\"channel slack answered 503\",\"errorType\":\"RetryableDeliveryError\"}","Error":"RetryableDeliveryError"}`}},
		{name: "retryable delivery error then delivered", stand: &medicStandIns{pending: 1, notifyFails: 2}, wantNotify: 3,
			wantStates: "LoadTargets ProbeTargets CheckStaleness Notify",
			wantOutput: []string{`"notify":{"delivered":1`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := runMedic(t, tc.stand)
			if x.Status != engine.StatusSucceeded {
				t.Fatalf("status = %s (%s: %s)", x.Status, x.Error, x.Cause)
			}
			got := strings.Join(enteredStates(x), " ")
			// Map iterations run concurrently; compare the multiset by sorting only the iteration part.
			if len(got) != len(tc.wantStates) || !sameWords(got, tc.wantStates) {
				t.Errorf("states entered = %q, want %q", got, tc.wantStates)
			}
			if n := tc.stand.notifyCalls.Load(); n != tc.wantNotify {
				t.Errorf("notify called %d times, want %d", n, tc.wantNotify)
			}
			if n := tc.stand.probeBatches.Load(); n != 2 {
				t.Errorf("probe called %d times, want 2", n)
			}
			for _, w := range tc.wantOutput {
				if !strings.Contains(string(x.Output), w) {
					t.Errorf("output %s does not contain %s", x.Output, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(string(x.Output), w) {
					t.Errorf("output %s contains %s", x.Output, w)
				}
			}
			if out := exitedOutput(x, "ProbeTargets"); !strings.Contains(out, `"probed":{"batches":2,"echoes":["echo/batch/a--b.json","echo/batch/c--c.json"]}`) {
				t.Errorf("ProbeTargets output %s does not count the probed batches and name their echoes", out)
			}
			wantTransitions := len(enteredStates(x)) + int(tc.stand.notifyCalls.Load()) - min(int(tc.stand.notifyCalls.Load()), 1)
			if x.Transitions != wantTransitions {
				t.Errorf("transitions = %d, want %d", x.Transitions, wantTransitions)
			}
		})
	}
}

func sameWords(a, b string) bool {
	count := map[string]int{}
	for _, w := range strings.Fields(a) {
		count[w]++
	}
	for _, w := range strings.Fields(b) {
		count[w]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func exitedOutput(x *engine.Execution, state string) string {
	for _, e := range x.Events {
		if d := e.StateExitedEventDetails; d != nil && d.Name == state {
			return d.Output
		}
	}
	return ""
}
