package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/window"
)

// Maintenance is what happened to a target while a maintenance window was
// open, kept in its state until the window closes.
type Maintenance struct {
	// Start and End are the window's opening (End grows when another
	// window keeps it open).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Path is the statuses the target went through, from the one it had
	// when the window opened (at most MaxMaintenancePath; Changes counts
	// them all).
	Path    []string `json:"path"`
	Changes int      `json:"changes"`
	// Checks and Failed count the checks counted during the window and
	// the failed ones.
	Checks int `json:"checks"`
	Failed int `json:"failed"`
}

// MaxMaintenancePath bounds Maintenance.Path.
const MaxMaintenancePath = 10

// Holds is what state/holds.json says about one target this run; nil
// fields hold nothing.
type Holds struct {
	Pause *hold.Pause
	Ack   *hold.Ack
}

// DecideHeld is Decide with the noise controls of docs/status.md:
//
//   - a paused target keeps its state as it is (it is not probed) and
//     raises nothing; the run that sees it resumed starts its staleAfter
//     ages from then;
//   - while a maintenance window of the target is open its checks are
//     counted and its status decided as always, but no alert is raised;
//     the first run after the window raises one MAINTENANCE alert saying
//     what happened and what the status is now (instead of that run's own
//     alert, if it had one);
//   - an acknowledgement given while the target was DOWN or STALE (after
//     it entered that status) stops its reminders until the status
//     changes, and its RECOVERED alert says who acknowledged it and when.
func DecideHeld(prev TargetState, t target.Target, latest *probe.Result, pulseModified *time.Time, now time.Time, raiser string, h Holds) (TargetState, []outbox.Alert) {
	if h.Pause != nil {
		next := prev
		next.Target = t.Name
		if next.FirstSeenAt.IsZero() {
			next.FirstSeenAt = now
		}
		if next.Status == "" {
			next.Status, next.Since = Unknown, next.FirstSeenAt
		}
		p := *h.Pause
		next.Paused = &p
		return next, nil
	}
	if prev.Paused != nil {
		prev.Paused, prev.ResumedAt = nil, now
	}
	prev.Ack = nil
	if a := h.Ack; a != nil && (prev.Status == Down || prev.Status == Stale) && a.At.After(prev.Since) {
		ack := *a
		prev.Ack = &ack
	}
	if occ, open := window.OpenAt(t.Maintenance, now); open {
		return inMaintenance(prev, t, latest, pulseModified, now, raiser, occ), nil
	}
	next, alerts := Decide(prev, t, latest, pulseModified, now, raiser)
	return next, afterMaintenance(&next, t, alerts, now, raiser)
}

// inMaintenance decides the target with its alerts held and records what
// happened in its Maintenance.
func inMaintenance(prev TargetState, t target.Target, latest *probe.Result, pulseModified *time.Time, now time.Time, raiser string, occ window.Occurrence) TargetState {
	held := t
	held.Channels = nil // Decide raises no alert (and no reminder) without channels
	next, _ := Decide(prev, held, latest, pulseModified, now, raiser)
	var m Maintenance
	if prev.Maintenance != nil {
		m = *prev.Maintenance
		m.Path = append([]string(nil), m.Path...)
		m.End = later(m.End, occ.End)
	} else {
		from := prev.Status
		if from == "" {
			from = Unknown
		}
		m = Maintenance{Start: occ.Start, End: occ.End, Path: []string{from}}
	}
	if next.LastEchoAt.After(prev.LastEchoAt) {
		m.Checks++
		if latest != nil && !latest.Up {
			m.Failed++
		}
	}
	if next.Status != prev.Status && prev.Status != "" {
		m.Changes++
		if len(m.Path) < MaxMaintenancePath {
			m.Path = append(m.Path, next.Status)
		}
	}
	next.Maintenance = &m
	return next
}

// afterMaintenance replaces the alerts of the first run after a window
// with the window's summary.
func afterMaintenance(next *TargetState, t target.Target, alerts []outbox.Alert, now time.Time, raiser string) []outbox.Alert {
	m := next.Maintenance
	if m == nil {
		return alerts
	}
	next.Maintenance = nil
	if len(alerts) > 0 {
		// This run's own change is told by the summary, under its seq.
		next.LastAlertID = alerts[0].Prev
	} else {
		next.Seq++
	}
	a, ok := newAlert(next, t, outbox.KindMaintenance, maintenanceText(*next, *m, now), now, raiser)
	if !ok {
		return nil
	}
	return []outbox.Alert{a}
}

// maintenanceText: "web: maintenance 2026-12-05 02:00 UTC to 04:00 UTC is
// over: UP → DOWN → UP, 3 of 24 checks failed; now UP".
func maintenanceText(st TargetState, m Maintenance, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: maintenance %s to %s is over: ", st.Target, formatTime(m.Start), endText(m.Start, later(m.End, m.Start)))
	path := append(m.Path, st.Status)
	if path[len(path)-1] == m.Path[len(m.Path)-1] {
		path = m.Path
	}
	switch {
	case m.Changes == 0 && len(path) == 1:
		b.WriteString("no status change")
	default:
		b.WriteString(strings.Join(path, " → "))
		if m.Changes >= MaxMaintenancePath {
			fmt.Fprintf(&b, " … (%d changes)", m.Changes)
		}
	}
	fmt.Fprintf(&b, ", %d of %d checks failed; now %s", m.Failed, m.Checks, st.Status)
	switch st.Status {
	case Down, Stale:
		fmt.Fprintf(&b, " since %s", formatTime(st.Since))
		if st.Status == Down && len(st.LastFailures) > 0 {
			b.WriteString(": " + strings.Join(st.LastFailures, "; "))
		}
	}
	return b.String()
}

// endText writes the end as "04:00 UTC" when it is on the start's day.
func endText(start, end time.Time) string {
	if y, m, d := start.UTC().Date(); end.UTC().Year() == y && end.UTC().Month() == m && end.UTC().Day() == d {
		return end.UTC().Format("15:04 UTC")
	}
	return formatTime(end)
}

// ackedText: " (acknowledged by alice at 2026-11-21 10:12 UTC: on it)".
func ackedText(a *hold.Ack) string {
	if a == nil {
		return ""
	}
	s := " (acknowledged by " + a.By + " at " + formatTime(a.At)
	if a.Note != "" {
		s += ": " + a.Note
	}
	return s + ")"
}
