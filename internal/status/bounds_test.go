package status

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

func TestBoundFailures(t *testing.T) {
	long := strings.Repeat("a", 500)
	wide := strings.Repeat("é", 150) // 300 bytes
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, nil},
		{"short ones kept", []string{"status 503, want 200-399", `body "down", want "ok"`}, []string{"status 503, want 200-399", `body "down", want "ok"`}},
		{"exactly the limit", []string{strings.Repeat("b", MaxFailureBytes)}, []string{strings.Repeat("b", MaxFailureBytes)}},
		{"long one cut", []string{long}, []string{strings.Repeat("a", MaxFailureBytes-len("…")) + "…"}},
		{"never splits a character", []string{wide}, []string{strings.Repeat("é", (MaxFailureBytes-len("…"))/2) + "…"}},
		{"too many", []string{"1", "2", "3", "4", "5"}, []string{"1", "2", "3", "and 2 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := boundFailures(tt.in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
				t.Fatalf("boundFailures = %q, want %q", got, tt.want)
			}
			for _, f := range got {
				if len(f) > MaxFailureBytes || !utf8.ValidString(f) {
					t.Errorf("%q: %d bytes (limit %d), valid UTF-8 %v", f, len(f), MaxFailureBytes, utf8.ValidString(f))
				}
			}
		})
	}

	// Decide stores the bounded failures.
	r := &probe.Result{Target: "web", CheckedAt: t0, Failures: []string{long, "2", "3", "4"}}
	st, _ := Decide(TargetState{}, web(nil), r, nil, t0, "")
	if want := boundFailures(r.Failures); fmt.Sprint(st.LastFailures) != fmt.Sprint(want) {
		t.Errorf("Decide kept %q, want %q", st.LastFailures, want)
	}
}

// TestStateFitsTheStoreAtScale: during a wide outage of 10,000 targets with
// the longest names and failures, state/status.json stays within what the
// store reads, so CheckStaleness still works when alerts matter most.
func TestStateFitsTheStoreAtScale(t *testing.T) {
	const targets = 10_000
	f := File{Targets: make(map[string]TargetState, targets), UpdatedAt: t0}
	failures := []string{strings.Repeat("x", 1000), strings.Repeat("y", 1000), strings.Repeat("z", 1000), "4", "5"}
	for i := range targets {
		tgt := web(func(t *target.Target) {
			t.Name = fmt.Sprintf("%s-%05d", strings.Repeat("n", 57), i)
			t.FailureThreshold = 1
			// The built-in flap detection: the outage's change is kept.
			t.Flap = &target.Flap{Changes: target.DefaultFlapChanges, Window: target.Duration(target.DefaultFlapWindow)}
		})
		var st TargetState
		for run := range 3 {
			at := time.Duration(run) * 10 * time.Minute
			st, _ = Decide(st, tgt, &probe.Result{Target: tgt.Name, CheckedAt: t0.Add(at), Failures: failures}, nil, t0.Add(at), RaiserOf(fmt.Sprint("run-", run)))
		}
		st.EchoETag = `"d41d8cd98f00b204e9800998ecf8427e"`
		f.Targets[tgt.Name] = st
		// As if every target had raised its alert in the last run.
		f.Raised = append(f.Raised, st.LastAlertID)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > store.MaxObjectBytes*3/4 {
		t.Fatalf("state of %d failing targets is %d bytes: over three quarters of the store's limit of %d", targets, len(b), store.MaxObjectBytes)
	}
	if _, err := Parse(b); err != nil {
		t.Fatal(err)
	}
	t.Logf("state of %d failing targets: %.1f MiB (store limit %d MiB)", targets, float64(len(b))/(1<<20), store.MaxObjectBytes>>20)
}
