// Package loadtargets is the LoadTargets task: it reads the targets file and
// the pulse files, picks the targets a run is for, sorts the ones to probe
// by name and writes them to S3 as one list, which the state machine's
// Distributed Map reads and cuts into batches itself.
package loadtargets

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/trigger"
)

// DefaultBatchSize is how many targets one batch (one child execution)
// probes when MEDIC_BATCH_SIZE is not set; the stack gives the state
// machine's ItemBatcher the same size.
const DefaultBatchSize = 100

// MaxSummaryProblems bounds the problems listed in the output; the summary
// counts all of them.
const MaxSummaryProblems = 50

// InvalidInputError means the execution input is not a shape LoadTargets
// understands. The state machine matches it by its type name
// ("InvalidInputError" in ErrorEquals) and does not retry it: the same
// input would fail again.
type InvalidInputError struct {
	Err error
}

func (e *InvalidInputError) Error() string { return e.Err.Error() }

// Unwrap returns the parse error.
func (e *InvalidInputError) Unwrap() error { return e.Err }

// LogTargetsLoaded is the message of the line LoadTargets logs when it has
// loaded a run's targets, with the run's trigger in the field "trigger". The
// stack counts the lines of scheduled runs (trigger "schedule") to alarm
// when the schedule stops (infra/alarms.go).
const LogTargetsLoaded = "targets loaded"

// Handler is the LoadTargets Lambda.
type Handler struct {
	Store *store.Store
	Opts  target.LoadOptions
	// BatchSize is the most targets per batch (the ItemBatcher's
	// MaxItemsPerBatch); 0 means DefaultBatchSize.
	BatchSize int
	// Clock gives "now" for the pauses that end by themselves; nil means
	// the wall clock.
	Clock clock.Clock
	// Logger receives one line per run and one per problem; nil means slog.Default().
	Logger *slog.Logger
}

// Output is the task's result, the input of the ProbeTargets Map. Its
// size does not grow with the number of targets: they are in the list.
type Output struct {
	Trigger   string   `json:"trigger"`
	Requested []string `json:"requested"`
	// TargetList is the object the Distributed Map's ItemReader reads.
	TargetList TargetList `json:"targetList"`
	Summary    Summary    `json:"summary"`
}

// TargetList is where the run's targets to probe were written: a JSON
// array of Target sorted by name.
type TargetList struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// Summary says what was loaded; CheckStaleness carries it forward.
type Summary struct {
	// Targets counts the run's targets, push targets included.
	Targets int `json:"targets"`
	// Probed counts the targets in the list that are probed: all but the
	// push (heartbeat-only) ones.
	Probed int `json:"probed"`
	// Batches is how many batches (child executions) the ItemBatcher
	// cuts the list into.
	Batches  int              `json:"batches"`
	Problems []target.Problem `json:"problems"`
	// ProblemCount counts every problem, also those not listed.
	ProblemCount int `json:"problemCount"`
	// Paused names the targets left out because they are paused (medic
	// pause; state/holds.json), at most MaxSummaryProblems of them.
	Paused []string `json:"paused,omitempty"`
}

// withoutPaused drops the targets paused now (state/holds.json): a paused
// target is not probed. It returns the names dropped.
func (h *Handler) withoutPaused(ctx context.Context, targets []target.Target) ([]target.Target, []string, error) {
	holds, _, err := hold.Read(ctx, h.Store)
	if err != nil {
		return nil, nil, fmt.Errorf("loadtargets: %w", err)
	}
	if len(holds.Paused) == 0 {
		return targets, nil, nil
	}
	now := time.Now()
	if h.Clock != nil {
		now = h.Clock.Now()
	}
	kept := make([]target.Target, 0, len(targets))
	var paused []string
	for _, t := range targets {
		if _, ok := holds.PauseOf(t.Name, now); ok {
			if len(paused) < MaxSummaryProblems {
				paused = append(paused, t.Name)
			}
			continue
		}
		kept = append(kept, t)
	}
	return kept, paused, nil
}

// Handle reads the execution input, loads the targets and writes the list
// of the ones this run probes. A run over medic's limits (see CheckFleet)
// fails with a *FleetLimitError, which the state machine does not retry.
func (h *Handler) Handle(ctx context.Context, in json.RawMessage) (Output, error) {
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	trig, err := trigger.Parse(in)
	if err != nil {
		return Output{}, &InvalidInputError{Err: err}
	}
	set, err := target.Load(ctx, h.Store, h.Opts)
	if err != nil {
		return Output{}, err
	}
	selected, problems := selectTargets(set, trig)
	problems = append(problems, set.Problems...)
	selected, paused, err := h.withoutPaused(ctx, selected)
	if err != nil {
		return Output{}, err
	}

	size := h.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	body, sizes, probed, oversized, err := encodeList(toProbe(selected))
	if err != nil {
		return Output{}, err
	}
	problems = append(problems, oversized...)
	batches := countBatches(sizes, size)
	if err := checkFleet(len(selected), batches, size); err != nil {
		return Output{}, err
	}
	list, err := writeTargetList(ctx, h.Store, body, len(probed), log)
	if err != nil {
		return Output{}, err
	}
	out := Output{
		Trigger:    trig.Kind,
		Requested:  append([]string{}, trig.Names...),
		TargetList: list,
		Summary:    Summary{Targets: len(selected), Probed: countProbed(probed), Batches: batches, Problems: []target.Problem{}, Paused: paused},
	}
	out.Summary.ProblemCount = len(problems)
	out.Summary.Problems = listed(problems)
	for _, p := range problems {
		log.Warn("target skipped", "source", p.Source, "target", p.Target, "field", p.Field, "problem", p.Error)
	}
	log.Info(LogTargetsLoaded, "trigger", out.Trigger, "requested", len(out.Requested),
		"targets", out.Summary.Targets, "probed", out.Summary.Probed, "batches", out.Summary.Batches, "problems", out.Summary.ProblemCount)
	return out, nil
}

// selectTargets picks the run's targets: all on a schedule, the named ones
// otherwise (in the order named). A name with no target is a problem.
func selectTargets(set *target.Set, trig trigger.Trigger) ([]target.Target, []target.Problem) {
	if trig.Kind == trigger.Schedule {
		return set.Targets, nil
	}
	skipped := map[string]bool{}
	for _, p := range set.Problems {
		skipped[p.Target] = true
	}
	var selected []target.Target
	var problems []target.Problem
	for _, name := range trig.Names {
		if t, ok := set.Target(name); ok {
			selected = append(selected, t)
			continue
		}
		p := target.Problem{Source: "execution input", Target: name}
		if set.Retired[name] {
			p.Error = fmt.Sprintf("the %s run names target %q, which is retired (its pulse file is {\"retired\": true}): nothing to check", trig.Kind, name)
			problems = append(problems, p)
			continue
		}
		if skipped[name] {
			p.Error = fmt.Sprintf("the %s run names target %q, which was skipped because of the problems listed for it", trig.Kind, name)
		} else {
			p.Error = fmt.Sprintf("the %s run names target %q, but no target has that name (in the targets file or pulse/)", trig.Kind, name)
		}
		problems = append(problems, p)
	}
	return selected, problems
}

// listed is the problems the summary lists: the first MaxSummaryProblems,
// shortened.
func listed(problems []target.Problem) []target.Problem {
	out := []target.Problem{}
	for i, p := range problems {
		if i == MaxSummaryProblems {
			break
		}
		out = append(out, shorten(p))
	}
	return out
}

// shorten caps a problem's texts so 50 of them stay a few kilobytes.
func shorten(p target.Problem) target.Problem {
	p.Source, p.Target, p.Field = clip(p.Source, 200), clip(p.Target, 200), clip(p.Field, 200)
	p.Error = clip(p.Error, 600)
	return p
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
