package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/target"
)

// Flap detection (docs/status.md, flapping). Every status change that
// raises an alert (DOWN, STALE, RECOVERED) is recorded in the state's
// Changes while it is within flap.window. The change that makes
// flap.changes of them raises one FLAPPING alert instead of its own, and
// the target is FLAPPING from then on: its status changes are still
// decided and recorded, but raise no alert, and no reminder is sent. Once
// its status has held for flap.window (no change for that long), it
// settles: one alert of the kind its status calls for (DOWN, STALE, or
// RECOVERED for UP) says so, and the target alerts as usual again.

// flapping reports whether st is FLAPPING.
func flapping(st TargetState) bool { return !st.FlappingSince.IsZero() }

// forgetOldChanges drops the changes that are no longer within t's
// flap.window of now (all of them when t detects no flapping).
func forgetOldChanges(st *TargetState, t target.Target, now time.Time) {
	if len(st.Changes) == 0 {
		return
	}
	f := t.Flap
	kept := st.Changes[:0:0]
	for _, c := range st.Changes {
		if f != nil && f.Changes > 0 && now.Sub(time.Unix(c, 0)) < f.Window.D() {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	st.Changes = kept
}

// flapOnChange records a status change of st (already applied) made at now.
// It reports whether the change's own alert is held, and returns what to
// send instead: nothing while the target flaps, the FLAPPING alert when
// this change starts it.
func flapOnChange(st *TargetState, t target.Target, now time.Time, raiser string) (bool, []outbox.Alert) {
	f := t.Flap
	if f == nil || f.Changes < 1 {
		return false, nil
	}
	st.Changes = append(st.Changes, now.Unix())
	if over := len(st.Changes) - f.Changes; over > 0 {
		st.Changes = st.Changes[over:]
	}
	if flapping(*st) {
		return true, nil
	}
	if len(st.Changes) < f.Changes {
		return false, nil
	}
	st.FlappingSince = now
	a, ok := newAlert(st, t, outbox.KindFlapping, flappingText(*st, f, now), now, raiser)
	if !ok {
		return true, nil
	}
	return true, []outbox.Alert{a}
}

// settle ends a FLAPPING st whose status has held for flap.window (no
// change left within it, see forgetOldChanges), or whose target no longer
// detects flapping, and returns the one alert that says how it settled.
func settle(st *TargetState, t target.Target, now time.Time, raiser string) []outbox.Alert {
	if len(st.Changes) > 0 {
		return nil
	}
	since := st.FlappingSince
	st.FlappingSince = time.Time{}
	var kind, text string
	switch st.Status {
	case Down:
		kind, text = outbox.KindDown, downText(*st, false, now)
	case Stale:
		kind, text = outbox.KindStale, staleText(*st, t, false, now)
	case Up:
		kind, text = outbox.KindRecovered, st.Target+" is UP since "+formatTime(st.Since)
	default:
		return nil
	}
	st.Seq++
	text = fmt.Sprintf("%s stopped flapping after %s and %s", st.Target, HumanDuration(now.Sub(since)), strings.TrimPrefix(text, st.Target+" "))
	a, ok := newAlert(st, t, kind, text, now, raiser)
	if !ok {
		return nil
	}
	return []outbox.Alert{a}
}

// flappingText: "web is FLAPPING: 3 status changes in 20m (now DOWN since
// 2026-11-21 10:20 UTC: status 503, want 200-399); its DOWN, STALE and
// RECOVERED alerts are held until it keeps one status for 30m".
func flappingText(st TargetState, f *target.Flap, now time.Time) string {
	status := st.Status + " since " + formatTime(st.Since)
	if st.Status == Down && len(st.LastFailures) > 0 {
		status += ": " + strings.Join(st.LastFailures, "; ")
	}
	return fmt.Sprintf("%s is FLAPPING: %d status changes in %s (now %s); its DOWN, STALE and RECOVERED alerts are held until it keeps one status for %s",
		st.Target, len(st.Changes), HumanDuration(now.Sub(time.Unix(st.Changes[0], 0))), status, HumanDuration(f.Window.D()))
}
