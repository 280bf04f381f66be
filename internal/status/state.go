// Package status decides each target's status (UP, DOWN, STALE) from its
// echoes, its heartbeat and its stored state, and turns status changes into
// outbox alerts. It does no I/O: CheckStaleness reads the bucket, calls
// Decide for every target and writes the results.
package status

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/clip"
	"github.com/medic-dev/medic/internal/hold"
)

// Statuses.
const (
	// Unknown: not enough checks yet to say.
	Unknown = "UNKNOWN"
	// Up: the last successThreshold checks (or the last heartbeat) were good.
	Up = "UP"
	// Down: failureThreshold consecutive failed checks, or no good check
	// within staleAfter while checks keep arriving.
	Down = "DOWN"
	// Stale: no check result (or, for a push target, no heartbeat) within
	// staleAfter: the monitor or the sender has stopped.
	Stale = "STALE"
)

// What Shown says instead of the status while alerts are held. They are
// never stored in Status, which keeps the status the rules decide.
const (
	// Paused: the target is paused (medic pause); not probed.
	Paused = "PAUSED"
	// InMaintenance: a maintenance window of the target is open.
	InMaintenance = "MAINTENANCE"
)

// Key is the object that holds every target's state: one GET and one
// conditional PUT per run, however many targets there are.
const Key = "state/status.json"

// TargetState is what medic remembers about one target between runs.
type TargetState struct {
	Target string `json:"target"`
	// Status is UNKNOWN, UP, DOWN or STALE.
	Status string `json:"status"`
	// Since is when the target entered Status (for DOWN: its last good
	// check, or when medic first saw it if there was none).
	Since time.Time `json:"since,omitzero"`
	// FirstSeenAt is when CheckStaleness first saw the target configured.
	FirstSeenAt time.Time `json:"firstSeenAt,omitzero"`
	// LastEchoAt is the CheckedAt of the last echo processed.
	LastEchoAt time.Time `json:"lastEchoAt,omitzero"`
	// LastGoodAt is the CheckedAt of the last good echo.
	LastGoodAt time.Time `json:"lastGoodAt,omitzero"`
	// EchoETag is the ETag of the echo object last read, so an unchanged
	// echo is not read again.
	EchoETag      string `json:"echoETag,omitempty"`
	FailStreak    int    `json:"failStreak"`
	SuccessStreak int    `json:"successStreak"`
	// Blips counts the failed checks that did not survive confirmation
	// (probe.Confirmation.Blip): they count as good checks in the streaks.
	// LastBlipAt is the CheckedAt of the last one.
	Blips      int       `json:"blips,omitempty"`
	LastBlipAt time.Time `json:"lastBlipAt,omitzero"`
	// Changes are when the target's status changes that raise an alert
	// (DOWN, STALE, RECOVERED) within its flap.window happened, in Unix
	// seconds (the state of 10,000 targets is one object: see
	// TestStateFitsTheStoreAtScale), oldest first, at most its flap.changes
	// of them. FlappingSince, when set, is when it began FLAPPING: its
	// status changes raise no alert until it keeps one status for
	// flap.window (see flap.go).
	Changes       []int64   `json:"changes,omitempty"`
	FlappingSince time.Time `json:"flappingSince,omitzero"`
	// Seq grows on every status change and every reminder; it orders the
	// target's alerts and is part of their IDs.
	Seq int `json:"seq"`
	// LastAlertAt is when the last alert for the target was raised, and
	// LastAlertID its ID (the next alert's Prev).
	LastAlertAt time.Time `json:"lastAlertAt,omitzero"`
	LastAlertID string    `json:"lastAlertId,omitempty"`
	// LastFailures are the failed conditions of the last failed echo, at
	// most MaxFailures of them (then "and N more"), each cut to
	// MaxFailureBytes.
	LastFailures []string `json:"lastFailures,omitempty"`
	// Source is where the target was last defined ("config/targets.yaml",
	// "pulse/<name>.json"), and Channels its channels then: a target that
	// stops being monitored is announced there.
	Source   string   `json:"source,omitempty"`
	Channels []string `json:"channels,omitempty"`
	// NotMonitored, when set, says why the target is not monitored (see
	// docs/status.md, coverage), since NotMonitoredSince; its status is
	// kept as it was.
	NotMonitored      string    `json:"notMonitored,omitempty"`
	NotMonitoredSince time.Time `json:"notMonitoredSince,omitzero"`
	// Group is the target's group (target.Target.Group), for whoever
	// shows the status; empty when it has none.
	Group string `json:"group,omitempty"`
	// FoldedInto, when set, names the dependency (see target.DependsOn)
	// whose alert the target's current DOWN or STALE was folded into,
	// instead of being told on its own; FoldedSince is when that began.
	// See package fold.
	FoldedInto  string    `json:"foldedInto,omitempty"`
	FoldedSince time.Time `json:"foldedSince,omitzero"`
	// Maintenance is set while one of the target's maintenance windows is
	// open: what happened during it, for the summary when it closes.
	Maintenance *Maintenance `json:"maintenance,omitempty"`
	// Paused is the pause in effect (from state/holds.json): the target
	// is not probed and its state is kept as it was. ResumedAt is when a
	// run first saw it resumed: the time it was paused does not count
	// towards staleAfter.
	Paused    *hold.Pause `json:"paused,omitempty"`
	ResumedAt time.Time   `json:"resumedAt,omitzero"`
	// Ack is the acknowledgement in effect: no reminders while the target
	// keeps the status it had when acknowledged; its recovery alert names
	// who acknowledged it.
	Ack *hold.Ack `json:"ack,omitempty"`
}

// Shown is the status to show people: PAUSED while the target is paused,
// MAINTENANCE while a maintenance window is open, else Status.
func (st TargetState) Shown() string {
	switch {
	case st.Paused != nil:
		return Paused
	case st.Maintenance != nil:
		return InMaintenance
	}
	return st.Status
}

// Bounds on what the state keeps of a failed check. Every target's state is
// in one object, which must stay within the store's read limit during a
// wide outage too: at 10,000 targets with 63-character names, all failing
// at these bounds, state/status.json is about 12 MiB.
const (
	MaxFailures     = 3
	MaxFailureBytes = 200
)

// boundFailures keeps the first MaxFailures failures, each cut to
// MaxFailureBytes at a character boundary (ending with "…"), and says how
// many it left out.
func boundFailures(failures []string) []string {
	if len(failures) == 0 {
		return nil
	}
	n := min(len(failures), MaxFailures)
	out := make([]string, 0, n+1)
	for _, f := range failures[:n] {
		out = append(out, clip.Bytes(f, MaxFailureBytes))
	}
	if rest := len(failures) - n; rest > 0 {
		out = append(out, fmt.Sprintf("and %d more", rest))
	}
	return out
}

// File is the content of state/status.json.
type File struct {
	Targets map[string]TargetState `json:"targets"`
	// Raised lists the IDs of the alerts the run that saved this state
	// raised, written as drafts before the save; the next run to read it
	// commits them if that run did not get to (outbox.Commit).
	Raised    []string  `json:"raised,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	// Unmatched maps a name an alarm run asked for, which no target has,
	// to when that was last announced.
	Unmatched map[string]time.Time `json:"unmatched,omitempty"`
}

// Parse reads a state file. It rejects unknown statuses and entries whose
// key and target name disagree, naming the entry.
func Parse(data []byte) (File, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return File{}, fmt.Errorf("parse %s: %w", Key, err)
	}
	if f.Targets == nil {
		f.Targets = map[string]TargetState{}
	}
	for name, st := range f.Targets {
		switch st.Status {
		case Unknown, Up, Down, Stale:
		default:
			return File{}, fmt.Errorf("parse %s: targets.%s.status: %q is not one of UNKNOWN, UP, DOWN, STALE", Key, name, st.Status)
		}
		if st.Target != name {
			return File{}, fmt.Errorf("parse %s: targets.%s.target: %q does not match its key", Key, name, st.Target)
		}
	}
	return f, nil
}
