// Package checkstaleness is the CheckStaleness task: it reads the echoes,
// the pulse files and the stored state, decides every target's status with
// package status, puts an alert for each change in outbox/ and saves the
// state with conditional writes, so overlapping runs never lose an update
// and never raise the same alert twice.
package checkstaleness

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/trigger"
)

// Handler is the CheckStaleness task.
type Handler struct {
	Store *store.Store
	Load  target.LoadOptions
	// Clock gives "now"; nil means the wall clock.
	Clock clock.Clock
	// Logger receives one line per status change and alert; nil means slog.Default().
	Logger *slog.Logger
}

// In is the task's input, as the state machine passes it.
type In struct {
	Run     string `json:"run"`
	Trigger string `json:"trigger"`
	// Loaded is LoadTargets' summary, passed through untouched.
	Loaded json.RawMessage `json:"loaded,omitempty"`
}

// Out is the task's output. Notify gets Pending (with nothing pending it returns at once).
type Out struct {
	Run     string          `json:"run"`
	Trigger string          `json:"trigger"`
	Loaded  json.RawMessage `json:"loaded,omitempty"`
	// Statuses counts the targets in each status after this run.
	Statuses map[string]int `json:"statuses"`
	// Changes lists this run's status changes, at most MaxChanges of them.
	Changes []Change `json:"changes"`
	// ChangeCount is the number of changes, including any left out of Changes.
	ChangeCount int `json:"changeCount"`
	// Pending counts the alerts in outbox/, including older ones.
	Pending int `json:"pending"`
	// NotMonitored counts the targets medic knows but does not monitor
	// now (see docs/status.md, coverage; they are also counted in Statuses
	// by the status they keep); the stack alarms on it.
	NotMonitored int `json:"notMonitored"`
	// HistoryError, when set, says why this run's history and status page
	// were not recorded (the statuses and alerts were saved regardless).
	HistoryError string `json:"historyError,omitempty"`
	// Paused and InMaintenance count the targets whose alerts are held:
	// paused (medic pause), or in an open maintenance window (also counted
	// in Statuses by their status).
	Paused        int `json:"paused,omitempty"`
	InMaintenance int `json:"maintenance,omitempty"`
}

// Change is one target's status change.
type Change struct {
	Target string `json:"target"`
	From   string `json:"from"`
	To     string `json:"to"`
	Since  string `json:"since"`
}

// CoverageLogMessage is the message of the line every run logs with the
// number of targets not monitored ("notMonitored"), which the stack's
// metric filter reads.
const CoverageLogMessage = "monitoring coverage"

// unmatchedNames returns the target names an alarm run asked for that
// LoadTargets found no target for (its listed problems).
func unmatchedNames(in In) []string {
	if in.Trigger != trigger.Alarm || len(in.Loaded) == 0 {
		return nil
	}
	var loaded struct {
		Problems []target.Problem `json:"problems"`
	}
	if json.Unmarshal(in.Loaded, &loaded) != nil {
		return nil
	}
	var names []string
	for _, p := range loaded.Problems {
		if p.Source == "execution input" && p.Target != "" && strings.Contains(p.Error, "no target has that name") {
			names = append(names, p.Target)
		}
	}
	return names
}

// MaxChanges bounds Out.Changes, so the output stays small in the
// console and far below the state machine's payload limit.
const MaxChanges = 50

// Handle runs one check.
func (h *Handler) Handle(ctx context.Context, in In) (Out, error) {
	set, err := target.Load(ctx, h.Store, h.Load)
	if err != nil {
		return Out{}, fmt.Errorf("check staleness: %w", err)
	}
	return h.check(ctx, in, set)
}

// check does everything after loading the targets.
func (h *Handler) check(ctx context.Context, in In, set *target.Set) (Out, error) {
	now := h.now()
	echoes, err := listEchoes(ctx, h.Store)
	if err != nil {
		return Out{}, fmt.Errorf("check staleness: %w", err)
	}
	r := &echoReader{store: h.Store, log: h.logger(), cache: map[string]readEcho{}}
	res, err := h.decideAndSave(ctx, set, echoes, r, now, status.RaiserOf(in.Run), unmatchedNames(in))
	if err != nil {
		return Out{}, fmt.Errorf("check staleness: %w", err)
	}
	historyErr := h.recordHistory(ctx, set, res, now)
	pending, err := countPending(ctx, h.Store)
	if err != nil {
		return Out{}, fmt.Errorf("check staleness: %w", err)
	}
	out := Out{
		Run: in.Run, Trigger: in.Trigger, Loaded: in.Loaded,
		Statuses:    map[string]int{status.Up: 0, status.Down: 0, status.Stale: 0, status.Unknown: 0},
		Changes:     []Change{},
		ChangeCount: len(res.changes),
		Pending:     pending,
	}
	if historyErr != nil {
		out.HistoryError = historyErr.Error()
	}
	for _, st := range res.file.Targets {
		if st.NotMonitored != "" {
			out.NotMonitored++
		}
		out.Statuses[st.Status]++
		switch st.Shown() {
		case status.Paused:
			out.Paused++
		case status.InMaintenance:
			out.InMaintenance++
		}
	}
	// One line a run: the stack's metric filter turns notMonitored into
	// the TargetsNotMonitored metric, which an alarm watches.
	h.logger().Info(CoverageLogMessage, "notMonitored", out.NotMonitored, "unmatchedAlarmNames", len(res.file.Unmatched))
	for i, c := range res.changes {
		if i == MaxChanges {
			break
		}
		out.Changes = append(out.Changes, c)
	}
	return out, nil
}

// countPending counts the alerts in outbox/: Notify removes an alert once
// every channel has taken or refused it, so every object there is pending.
func countPending(ctx context.Context, s *store.Store) (int, error) {
	infos, err := s.List(ctx, store.PrefixOutbox)
	if err != nil {
		return 0, fmt.Errorf("count pending alerts: %w", err)
	}
	n := 0
	for _, info := range infos {
		if strings.HasSuffix(info.Key, ".json") {
			n++
		}
	}
	return n, nil
}

func (h *Handler) now() time.Time {
	if h.Clock == nil {
		return time.Now()
	}
	return h.Clock.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}
