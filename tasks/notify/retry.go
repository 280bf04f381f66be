package notify

import (
	"errors"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/outbox"
)

// retry is a delivery still pending after this run that a retry of the
// task might send.
type retry struct {
	// text is "alert <id> on channel <name>: ...", secrets removed.
	text string
	// waiting is true when the delivery was not sent because its channel
	// asked to wait; false when this run sent it and it failed.
	waiting bool
	// due is when the delivery may be sent again; zero means at once.
	due time.Time
	// hint is how long the channel asked to wait (0 if it did not).
	hint time.Duration
}

// retryHint is the retry hint a failed send carries (Retry-After, Discord's
// retry_after), capped at channel.MaxRetryAfter; 0 when there is none or it
// is not a positive duration.
func retryHint(err error) time.Duration {
	var ce *channel.Error
	if !errors.As(err, &ce) || ce.RetryAfter <= 0 {
		return 0
	}
	return min(ce.RetryAfter, channel.MaxRetryAfter)
}

// held reports whether channel name asked, during this run, not to be sent
// to before a time still after now, and that time.
func (r *run) held(name string, now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.holds[name]
	return until, ok && now.Before(until)
}

// wait notes a delivery that is not sent because its channel asked not to
// be sent to before d.NotBefore.
func (r *run) wait(a outbox.Alert, name string, d *outbox.Delivery, now time.Time) {
	nb := *d.NotBefore
	text := fmt.Sprintf("alert %s on channel %s: waiting until %s, as the channel asked", a.ID, name, nb.UTC().Format(time.RFC3339))
	if d.LastError != "" {
		text += " (last error: " + d.LastError + ")"
	} else {
		text += " (on another alert)"
	}
	r.log.Info("delivery not sent: the channel asked to wait", "alert", a.ID, "target", a.Target, "kind", a.Kind,
		"channel", name, "notBefore", nb)
	r.mu.Lock()
	r.retries = append(r.retries, retry{text: text, waiting: true, due: nb, hint: nb.Sub(now)})
	r.mu.Unlock()
}

// waitFor notes a delivery that is not sent because an earlier alert of the
// same target, b, is still undelivered on that channel.
func (r *run) waitFor(a outbox.Alert, name string, b blocker) {
	text := fmt.Sprintf("alert %s on channel %s: waiting for the earlier alert %s of the same target", a.ID, name, b.id)
	r.log.Info("delivery not sent: an earlier alert of the target comes first", "alert", a.ID, "target", a.Target, "kind", a.Kind,
		"channel", name, "earlier", b.id)
	hint := time.Duration(0)
	if !b.due.IsZero() {
		hint = max(0, b.due.Sub(r.h.now()))
	}
	r.mu.Lock()
	r.retries = append(r.retries, retry{text: text, waiting: true, due: b.due, hint: hint})
	r.mu.Unlock()
}

// retryable decides, once every alert was worked on, whether the task fails
// with a *RetryableDeliveryError so that the state machine retries it: only
// when some pending delivery may be sent within the retry window. Deliveries
// whose channel asked to wait longer are left for the next run.
func (r *run) retryable() error {
	now := r.h.now()
	horizon := now.Add(r.h.retryWindow())
	e := &RetryableDeliveryError{}
	later := 0
	var earliest time.Time
	for _, rt := range r.retries {
		if rt.due.After(horizon) {
			later++
			if earliest.IsZero() || rt.due.Before(earliest) {
				earliest = rt.due
			}
			continue
		}
		if rt.waiting {
			e.Waiting = append(e.Waiting, rt.text)
		} else {
			e.Failures = append(e.Failures, rt.text)
		}
		e.RetryAfter = max(e.RetryAfter, rt.hint)
	}
	if later > 0 {
		r.log.Info("deliveries wait for their channels' retry hints beyond the state machine's retries; they stay pending for a later run",
			"deliveries", later, "earliest", earliest, "retryWindow", r.h.retryWindow().String())
	}
	e.NotTried = r.notTried
	if len(e.Failures) == 0 && len(e.Waiting) == 0 && e.NotTried == 0 {
		return nil
	}
	return e
}
