// Package loadtargets is the LoadTargets task: it reads the targets file and
// the pulse files, picks the targets a run is for and splits them into the
// batches the state machine's Map iterates over. In the scale mode
// (MEDIC_MODE=scale) it writes them to S3 as one list instead, which the
// scale definition's Distributed Map reads and batches itself.
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

// DefaultBatchSize is how many targets one Map iteration probes when
// MEDIC_BATCH_SIZE is not set.
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
	// BatchSize is the most targets per batch; 0 means DefaultBatchSize,
	// 1 gives one Map iteration per target.
	BatchSize int
	// Mode is ModeInline (or empty) for the inline definition, ModeScale
	// for the scale definition.
	Mode string
	// Clock gives "now" for the pauses that end by themselves; nil means
	// the wall clock.
	Clock clock.Clock
	// Logger receives one line per run and one per problem; nil means slog.Default().
	Logger *slog.Logger
}

// Output is the task's result, the input of the ProbeTargets Map. The
// inline mode fills Batches; the scale mode fills TargetList instead.
type Output struct {
	Trigger   string   `json:"trigger"`
	Requested []string `json:"requested"`
	// Batches is never nil in the inline mode (an empty run has "batches": []).
	Batches    []Batch     `json:"batches,omitzero"`
	TargetList *TargetList `json:"targetList,omitzero"`
	Summary    Summary     `json:"summary"`
}

// TargetList is where the scale mode wrote the run's targets: a JSON array
// of Target, the Distributed Map's ItemReader source.
type TargetList struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// Batch is one Map iteration's targets.
type Batch struct {
	Targets []target.Target `json:"targets"`
}

// Summary says what was loaded; CheckStaleness carries it forward.
type Summary struct {
	Targets  int              `json:"targets"`
	Batches  int              `json:"batches"`
	Problems []target.Problem `json:"problems"`
	// ProblemCount counts every problem, also those not listed.
	ProblemCount int `json:"problemCount"`
	// HeartbeatOnly counts the heartbeat-only pulse targets left out of
	// the batches so that the output fits (inline mode): they need no
	// probe, and CheckStaleness still decides them from their pulse files.
	HeartbeatOnly int `json:"heartbeatOnly,omitempty"`
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

// Handle reads the execution input, loads the targets and batches the ones
// this run is for.
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
	out := Output{
		Trigger:   trig.Kind,
		Requested: append([]string{}, trig.Names...),
		Summary:   Summary{Targets: len(selected), Problems: []target.Problem{}, Paused: paused},
	}
	switch h.Mode {
	case ModeScale:
		list, err := writeTargetList(ctx, h.Store, selected, log)
		if err != nil {
			return Output{}, err
		}
		out.TargetList = &list
		// The state machine's ItemBatcher cuts the list with the same size
		// (the stack gives both the same batchSize).
		out.Summary.Batches = (len(selected) + size - 1) / size
	case ModeInline, "":
		left, err := fitInline(&out, selected, size, listed(problems))
		if err != nil {
			return Output{}, err
		}
		problems = append(problems, left...)
	default:
		return Output{}, fmt.Errorf("loadtargets: unknown mode %q (want %q or %q)", h.Mode, ModeInline, ModeScale)
	}
	out.Summary.ProblemCount = len(problems)
	out.Summary.Problems = listed(problems)
	for _, p := range problems {
		log.Warn("target skipped", "source", p.Source, "target", p.Target, "field", p.Field, "problem", p.Error)
	}
	log.Info(LogTargetsLoaded, "trigger", out.Trigger, "requested", len(out.Requested), "mode", h.mode(),
		"targets", out.Summary.Targets, "batches", out.Summary.Batches, "problems", out.Summary.ProblemCount)
	return out, nil
}

func (h *Handler) mode() string {
	if h.Mode == "" {
		return ModeInline
	}
	return h.Mode
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

// split cuts targets into batches of at most size, in order.
func split(targets []target.Target, size int) []Batch {
	batches := []Batch{}
	for len(targets) > 0 {
		n := min(size, len(targets))
		batches = append(batches, Batch{Targets: targets[:n:n]})
		targets = targets[n:]
	}
	return batches
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
