package engine_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// Decoding task results lazily changes nothing a run shows: every case of
// the differential corpus, run with every object and array of every result
// kept as text and with none kept, ends the same, with the same output,
// error, cause and history events (request IDs aside).
func TestLazyResultsChangeNothing(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(diffDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []diffCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, c diffCase, minLazy int) (diffResult, string) {
		defer engine.SetMinLazyBytes(minLazy)()
		m, err := engine.Parse(c.Definition)
		if err != nil {
			return diffResult{Status: "INVALID"}, ""
		}
		x := m.Run(t.Context(), c.Input, engine.Options{Resources: diffFuncs(t, c), Clock: engine.NewInstantClock(epoch),
			ExecutionName: "exec-1", StateMachineName: "sm"})
		// Map iterations and Parallel branches interleave differently from
		// run to run (and a failed iteration stops the others at any
		// point): compare the events without their ids, in sorted order,
		// and only for machines without concurrent states.
		if strings.Contains(string(c.Definition), `"Map"`) || strings.Contains(string(c.Definition), `"Parallel"`) {
			return diffResult{Status: x.Status, Output: x.Output, Error: x.Error, Cause: x.Cause}, ""
		}
		var events []string
		for _, e := range x.Events {
			e.ID, e.PreviousEventID = 0, 0
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, uuidRE.ReplaceAllString(string(b), "UUID"))
		}
		slices.Sort(events)
		return diffResult{Status: x.Status, Output: x.Output, Error: x.Error, Cause: x.Cause}, strings.Join(events, "\n")
	}
	lazyRuns := 0
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			eager, eh := run(t, c, 1<<30)
			lazy, lh := run(t, c, 1)
			if eager.Status != lazy.Status || string(eager.Output) != string(lazy.Output) || eager.Error != lazy.Error || eager.Cause != lazy.Cause {
				t.Fatalf("eager: %s %s %s %q\nlazy:  %s %s %s %q", eager.Status, eager.Output, eager.Error, eager.Cause, lazy.Status, lazy.Output, lazy.Error, lazy.Cause)
			}
			if eh != lh {
				t.Fatalf("histories differ\neager: %s\nlazy:  %s", eh, lh)
			}
			if len(c.Tasks) > 0 || len(lambdaNames(c.Definition)) > 0 {
				lazyRuns++
			}
		})
	}
	if lazyRuns < 10 {
		t.Errorf("only %d cases call a task (and so decode a result)", lazyRuns)
	}
}
