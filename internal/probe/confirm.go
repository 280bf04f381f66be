package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// Confirmation says how a failed check was confirmed within the run (see
// target.Confirm). It is set on a result whose first check failed and
// whose target asks for confirmation.
type Confirmation struct {
	// Rechecks is how many re-checks ran after the first failure.
	Rechecks int `json:"rechecks"`
	// Blip is true when a re-check passed: the result is that re-check's,
	// and Up. The failure did not survive confirmation and does not count.
	Blip bool `json:"blip,omitempty"`
	// Confirmed is true when every re-check the target asks for ran and
	// failed: the result is the last one's, and counts as a failure.
	Confirmed bool `json:"confirmed,omitempty"`
	// FirstFailures are what the first, failed, check found.
	FirstFailures []string `json:"firstFailures,omitempty"`
	// CutShort, when set, says why confirmation stopped before its last
	// re-check: the probe task's deadline. The failure then counts as it
	// is, unconfirmed (neither Blip nor Confirmed).
	CutShort string `json:"cutShort,omitempty"`
}

// ProbeConfirmed checks t like Probe and, when the check fails and t asks
// for confirmation, checks it again up to t.Confirm.Attempts times,
// t.Confirm.Interval apart, stopping at the first pass (a blip). A
// re-check that could not finish before ctx's deadline (the pause plus the
// target's timeout) is not started; one ctx ends anyway is dropped. Either
// way the result says so in Confirm.CutShort and keeps the last failure.
//
// The time left is the least of the real time to ctx's deadline and that
// time as it was when the check began less what p's clock (Now) has moved
// since, so that pauses on a controlled clock (Sleep) use up the deadline
// as real pauses do.
func (p *Prober) ProbeConfirmed(ctx context.Context, t target.Target) Result {
	deadline, hasDeadline := ctx.Deadline()
	began, budget := p.now(), time.Until(deadline)
	res := p.Probe(ctx, t)
	if res.Up || res.Skipped != "" || t.Confirm == nil || t.Confirm.Attempts < 1 {
		return res
	}
	left := func() time.Duration { return min(time.Until(deadline), budget-p.now().Sub(began)) }
	c := &Confirmation{FirstFailures: res.Failures}
	interval := t.Confirm.Interval.D()
	for c.Rechecks < t.Confirm.Attempts {
		if hasDeadline && left() < interval+timeoutOf(t) {
			c.CutShort = fmt.Sprintf("%s: re-check %d of %d would not finish before the probe task's deadline (%s left, a re-check takes up to %s)",
				SkippedCutShort, c.Rechecks+1, t.Confirm.Attempts, humanDuration(max(left(), 0)), humanDuration(interval+timeoutOf(t)))
			break
		}
		if !p.sleep(ctx, interval) {
			c.CutShort = fmt.Sprintf("%s: the probe task's deadline came during the pause before re-check %d of %d", SkippedCutShort, c.Rechecks+1, t.Confirm.Attempts)
			break
		}
		again := p.Probe(ctx, t)
		if again.Skipped != "" {
			c.CutShort = fmt.Sprintf("%s: re-check %d of %d did not finish before the probe task's deadline", SkippedCutShort, c.Rechecks+1, t.Confirm.Attempts)
			break
		}
		c.Rechecks++
		res = again
		if res.Up {
			c.Blip = true
			break
		}
	}
	c.Confirmed = !c.Blip && c.CutShort == ""
	res.Confirm = c
	return res
}

// sleep waits d (on p.Sleep when set) or until ctx ends, and says whether
// d passed.
func (p *Prober) sleep(ctx context.Context, d time.Duration) bool {
	if p.Sleep != nil {
		return p.Sleep(ctx, d) == nil && ctx.Err() == nil
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
