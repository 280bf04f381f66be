package loadtargets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/target"
)

func TestCountBatches(t *testing.T) {
	big := MaxBatchBytes / 3 // three do not fit with the overhead
	tests := []struct {
		name  string
		sizes []int
		size  int
		want  int
	}{
		{"none", nil, 100, 0},
		{"one", []int{200}, 100, 1},
		{"exactly a batch", make([]int, 100), 100, 1},
		{"one over", make([]int, 101), 100, 2},
		{"one per batch", make([]int, 7), 1, 7},
		{"cut by bytes", []int{big, big, big, big}, 100, 2},
		{"100,000 small targets", make([]int, 100_000), 100, 1_000},
	}
	for _, tt := range tests {
		if got := countBatches(tt.sizes, tt.size); got != tt.want {
			t.Errorf("%s: countBatches = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestBatchBytesMatchTheDefinition: LoadTargets counts batches with the
// ItemBatcher's byte limit.
func TestBatchBytesMatchTheDefinition(t *testing.T) {
	def, err := os.ReadFile("../../statemachines/healthcheck.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"MaxInputBytesPerBatch": (\d+)`).FindSubmatch(def)
	if m == nil || string(m[1]) != fmt.Sprint(MaxBatchBytes) {
		t.Fatalf("MaxInputBytesPerBatch in the definition = %q, MaxBatchBytes = %d", m, MaxBatchBytes)
	}
	if !strings.Contains(string(def), `"FleetLimitError"`) {
		t.Fatal("the definition does not name FleetLimitError (it must not retry it)")
	}
}

func fleet(n int, extra string) *target.File {
	f := &target.File{}
	for i := range n {
		f.Targets = append(f.Targets, target.Target{Name: fmt.Sprintf("t%06d", i), Kind: target.KindHTTP, URL: "https://t.example/" + extra})
	}
	return f
}

func TestCheckFleet(t *testing.T) {
	tests := []struct {
		name      string
		f         *target.File
		batchSize int
		want      string // "" for no error
	}{
		{"one target", fleet(1, ""), 0, ""},
		{"the largest fleet", fleet(MaxTargets, ""), 0, ""},
		{"one target too many", fleet(MaxTargets+1, ""), 0, "10001 targets: medic checks at most 10000"},
		{"too many batches", fleet(1_001, ""), 1, "1001 targets make 1001 batches of at most 1 targets"},
		{"one target larger than a batch", fleet(1, strings.Repeat("x", MaxBatchBytes)), 0, "target t000000 is not checked: its definition is 201 KB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFleet(tt.f, tt.batchSize)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var fe *FleetLimitError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (%T), want a *FleetLimitError containing %q", err, err, tt.want)
			}
		})
	}
}

// TestOversizedTargetIsAProblemNotAFailure: a target too large for any
// batch is left out with a problem naming it; the others are checked.
func TestOversizedTargetIsAProblemNotAFailure(t *testing.T) {
	s := newStore(t)
	put(t, s, "config/targets.yaml", "targets:\n  - {name: ok, url: 'https://ok.example/'}\n  - {name: huge, url: 'https://h.example/', headers: {X-Pad: "+strings.Repeat("x", MaxBatchBytes)+"}}\n")
	out, err := (&Handler{Store: s}).Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if names := readList(t, s, out.TargetList.Key); fmt.Sprint(names) != "[ok]" {
		t.Fatalf("list = %v, want [ok]", names)
	}
	if out.Summary.ProblemCount != 1 || out.Summary.Problems[0].Target != "huge" || !strings.Contains(out.Summary.Problems[0].Error, "over the 200 KB a batch") {
		t.Fatalf("problems = %+v", out.Summary.Problems)
	}
}

// TestRunOverTheLimitFailsWithANamedError: a run with too many batches
// fails at once with a FleetLimitError (which the state machine does not
// retry), saying what to change, and writes no list.
func TestRunOverTheLimitFailsWithANamedError(t *testing.T) {
	s := newStore(t)
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range MaxBatches + 1 {
		fmt.Fprintf(&b, "  - {name: t%04d, url: 'https://t.example/'}\n", i)
	}
	put(t, s, "config/targets.yaml", b.String())
	_, err := (&Handler{Store: s, BatchSize: 1}).Handle(context.Background(), json.RawMessage(`{}`))
	var fe *FleetLimitError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "raise the batch size (MEDIC_BATCH_SIZE, the stack's batchSize)") {
		t.Fatalf("err = %v (%T), want a *FleetLimitError", err, err)
	}
	if infos, err := s.List(context.Background(), PrefixRuns); err != nil || len(infos) != 0 {
		t.Fatalf("runs/ = %v (%v), want nothing written", infos, err)
	}
	if _, err := (&Handler{Store: s, BatchSize: 2}).Handle(context.Background(), json.RawMessage(`{}`)); err != nil {
		t.Fatalf("the same targets in batches of 2: %v", err)
	}
}
