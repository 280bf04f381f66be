package status

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// Decide applies the latest echo (nil when there is none) and the pulse
// object's LastModified (nil when there is none; only heartbeat targets use
// it) to prev, the target's stored state (the zero value for a target seen
// for the first time), and returns the new state and the alerts to raise.
// raiser names the run deciding (see AlertID); it is part of every alert's
// ID.
//
// An echo whose CheckedAt is not after prev.LastEchoAt has been processed
// already and changes no streak, so every probe is counted once however
// many runs see it. See docs/status.md for the rules.
func Decide(prev TargetState, t target.Target, latest *probe.Result, pulseModified *time.Time, now time.Time, raiser string) (TargetState, []outbox.Alert) {
	next := prev
	next.Target = t.Name
	next.LastFailures = slices.Clone(prev.LastFailures)
	if next.FirstSeenAt.IsZero() {
		next.FirstSeenAt = now
	}
	if next.Status == "" {
		next.Status, next.Since = Unknown, next.FirstSeenAt
	}
	if latest != nil && isProbed(t) && latest.CheckedAt.After(next.LastEchoAt) {
		countEcho(&next, latest)
	}

	forgetOldChanges(&next, t, now)
	v := judge(next, t, pulseModified, now)
	if v.status == "" || v.status == next.Status {
		if flapping(next) {
			return next, settle(&next, t, now, raiser)
		}
		return next, remind(&next, t, now, raiser)
	}

	from, fromSince := next.Status, next.Since
	next.Status, next.Since = v.status, v.since
	next.Seq++
	ack := next.Ack
	next.Ack = nil // an acknowledgement covers the status it was given for
	if v.status == Stale {
		// A gap in the checks breaks both streaks: UP again needs
		// successThreshold fresh good checks.
		next.FailStreak, next.SuccessStreak = 0, 0
	}

	var kind, text string
	switch {
	case v.status == Down:
		kind, text = outbox.KindDown, downText(next, false, now)
	case v.status == Stale:
		kind, text = outbox.KindStale, staleText(next, t, false, now)
	case v.status == Up && (from == Down || from == Stale):
		kind, text = outbox.KindRecovered, recoveredText(t.Name, from, v.since.Sub(fromSince))+ackedText(ack)
	default:
		return next, nil // UNKNOWN → UP: nothing to tell
	}
	if held, alerts := flapOnChange(&next, t, now, raiser); held {
		return next, alerts
	}
	a, ok := newAlert(&next, t, kind, text, now, raiser)
	if !ok {
		return next, nil
	}
	return next, []outbox.Alert{a}
}

// countEcho updates the streaks with a new echo.
func countEcho(st *TargetState, r *probe.Result) {
	st.LastEchoAt = r.CheckedAt
	if r.Up && r.Confirm != nil && r.Confirm.Blip {
		st.Blips++
		st.LastBlipAt = r.CheckedAt
	}
	if r.Up {
		st.SuccessStreak++
		st.FailStreak = 0
		st.LastGoodAt = r.CheckedAt
		st.LastFailures = nil
		return
	}
	st.FailStreak++
	st.SuccessStreak = 0
	st.LastFailures = boundFailures(r.Failures)
}

// verdict is the status the rules call for; an empty status keeps the
// current one (the thresholds' hysteresis).
type verdict struct {
	status string
	since  time.Time
}

// judge applies the rules, in order: a stale heartbeat, a gap in the
// echoes, failures, successes.
func judge(st TargetState, t target.Target, pulseModified *time.Time, now time.Time) verdict {
	staleAfter := staleAfterOf(t)
	if isHeartbeat(t) {
		switch {
		case pulseModified == nil && now.Sub(st.FirstSeenAt) > staleAfter:
			return verdict{Stale, st.FirstSeenAt} // never heard from
		case pulseModified != nil && now.Sub(*pulseModified) > staleAfter:
			return verdict{Stale, *pulseModified}
		case !isProbed(t) && pulseModified != nil:
			return verdict{Up, *pulseModified}
		case !isProbed(t):
			return verdict{} // no heartbeat yet: wait for one
		}
	}
	// A pause does not count: the ages run from the resume at the earliest.
	lastEcho := later(orElse(st.LastEchoAt, st.FirstSeenAt), st.ResumedAt)
	if now.Sub(lastEcho) > staleAfter {
		return verdict{Stale, lastEcho}
	}
	lastGood := orElse(st.LastGoodAt, st.FirstSeenAt)
	if st.FailStreak >= failureThresholdOf(t) || now.Sub(later(lastGood, st.ResumedAt)) > staleAfter {
		return verdict{Down, lastGood}
	}
	if st.SuccessStreak >= successThresholdOf(t) {
		return verdict{Up, st.LastEchoAt}
	}
	return verdict{}
}

// remind returns a REMINDER alert when the target has been DOWN or STALE
// for RemindEvery since its last alert.
func remind(st *TargetState, t target.Target, now time.Time, raiser string) []outbox.Alert {
	if (st.Status != Down && st.Status != Stale) || st.Ack != nil {
		return nil // an acknowledged target is not reminded of
	}
	every := t.RemindEvery.D()
	if every <= 0 || len(t.Channels) == 0 || now.Sub(st.LastAlertAt) < every {
		return nil
	}
	var text string
	if st.Status == Down {
		text = downText(*st, true, now)
	} else {
		text = staleText(*st, t, true, now)
	}
	st.Seq++
	a, _ := newAlert(st, t, outbox.KindReminder, text, now, raiser)
	return []outbox.Alert{a}
}

// newAlert builds the alert for st's current Seq and records it in st.
// It returns false when the target has no channels.
func newAlert(st *TargetState, t target.Target, kind, text string, now time.Time, raiser string) (outbox.Alert, bool) {
	if len(t.Channels) == 0 {
		return outbox.Alert{}, false
	}
	deliveries := make(map[string]*outbox.Delivery, len(t.Channels))
	for _, ch := range t.Channels {
		deliveries[ch] = &outbox.Delivery{Status: outbox.Pending}
	}
	var failures []string
	if kind == outbox.KindDown || (kind == outbox.KindReminder && st.Status == Down) {
		failures = slices.Clone(st.LastFailures)
	}
	id := AlertID(t.Name, kind, st.Seq, raiser)
	prev := st.LastAlertID
	st.LastAlertAt, st.LastAlertID = now, id
	return outbox.Alert{
		ID:         id,
		Target:     t.Name,
		Kind:       kind,
		Seq:        st.Seq,
		Epoch:      st.FirstSeenAt,
		Prev:       prev,
		Since:      st.Since,
		At:         now,
		Endpoint:   endpointOf(t),
		Failures:   failures,
		Text:       text,
		Deadline:   now.Add(outbox.DefaultDeadline),
		Deliveries: deliveries,
	}, true
}

// AlertID is "<target>-<kind>-<seq>-<raiser>" with the kind in lower case:
// "web-down-3-aa1ec10c5b69". raiser identifies the run that raised the
// alert (RaiserOf), so an ID is never chosen again by another run, even
// when the stored state, and with it seq, starts again. An empty raiser
// gives "<target>-<kind>-<seq>".
func AlertID(targetName, kind string, seq int, raiser string) string {
	id := targetName + "-" + strings.ToLower(kind) + "-" + strconv.Itoa(seq)
	if raiser != "" {
		id += "-" + raiser
	}
	return id
}

// RaiserOf is the raiser part of the alert IDs a run chooses: the first 12
// hex digits of the SHA-256 of the execution's name, which Step Functions
// keeps unique, so every attempt of one execution picks the same IDs and
// no other execution does. With no name it is 12 random hex digits.
func RaiserOf(run string) string {
	if run == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	sum := sha256.Sum256([]byte(run))
	return hex.EncodeToString(sum[:6])
}

func isProbed(t target.Target) bool { return t.URL != "" || t.Address != "" }

func isHeartbeat(t target.Target) bool { return t.Heartbeat || t.Kind == target.KindPush }

func endpointOf(t target.Target) string {
	if t.URL != "" {
		return target.RedactURL(t.URL)
	}
	return t.Address
}

func staleAfterOf(t target.Target) time.Duration {
	if d := t.StaleAfter.D(); d > 0 {
		return d
	}
	return target.DefaultStaleAfter
}

func failureThresholdOf(t target.Target) int {
	if t.FailureThreshold > 0 {
		return t.FailureThreshold
	}
	return target.DefaultFailureThreshold
}

func successThresholdOf(t target.Target) int {
	if t.SuccessThreshold > 0 {
		return t.SuccessThreshold
	}
	return target.DefaultSuccessThreshold
}

func orElse(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
