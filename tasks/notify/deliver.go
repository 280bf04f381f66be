package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// run is the state of one Handle call, shared by its goroutines.
type run struct {
	h        *Handler
	log      *slog.Logger
	claim    string
	channels map[string]target.Channel

	mu      sync.Mutex
	senders map[string]senderOrErr
	out     Out
	retries []retry
	// holds maps a channel that answered with a retry hint during this run
	// to the time it asked to be left alone until; other alerts' deliveries
	// to it are not sent in this run.
	holds map[string]time.Time
	fatal []error
	// notTried counts alerts left untried for lack of time.
	notTried int
}

// unsent counts the alerts of entries as not tried in this invocation:
// their undelivered channels stay pending.
func (r *run) unsent(entries ...outbox.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range entries {
		if e.Alert.Draft {
			continue
		}
		r.notTried++
		r.out.Pending += len(outbox.Undelivered(e.Alert))
	}
}

// byTarget groups the listed alerts by target, each group in the order the
// alerts were raised (outbox.Before). Withdrawn drafts (their run did not
// save the decision they came from) are deleted; so are drafts past their
// deadline, which no saved state will ever commit. Other drafts stay in
// their group, unsent: a committed alert whose Prev is a draft waits for
// it.
func (r *run) byTarget(ctx context.Context, entries []outbox.Entry) [][]outbox.Entry {
	now := r.h.now()
	index := map[string]int{}
	var groups [][]outbox.Entry
	for _, e := range entries {
		a := e.Alert
		if a.Draft && (a.Withdrawn || now.After(a.Deadline)) {
			if !a.Withdrawn {
				r.log.Warn("removing a draft alert that was never committed before its deadline", "alert", a.ID, "target", a.Target, "kind", a.Kind)
			}
			if err := outbox.Delete(ctx, r.h.Store, a.ID); err != nil {
				r.fail(err)
			}
			continue
		}
		i, ok := index[a.Target]
		if !ok {
			i = len(groups)
			index[a.Target] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	for _, g := range groups {
		sort.SliceStable(g, func(i, j int) bool { return outbox.Before(g[i].Alert, g[j].Alert) })
	}
	return groups
}

// blocker is an earlier alert of the same target still undelivered on a
// channel; until it is delivered or rejected there, later alerts wait.
type blocker struct {
	id string
	// due is when the blocker may be sent again (zero: at once).
	due time.Time
	// draft is true when the blocker is not committed yet.
	draft bool
	// done is true when the channel's deliveries of this target were
	// worked on together (collapsed) in this run: none is sent again in it.
	done bool
}

// A delivery waiting for an earlier alert that another run is sending
// looks again after firstPoll, then twice as long each time up to maxPoll:
// many runs waiting at once must not flood the bucket with reads.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 200 * time.Millisecond
)

// unblocked reports whether b no longer holds back channel name: it has
// been delivered or rejected there, or has left the outbox. While another
// run is sending it (a live lease), it looks again (firstPoll, growing to
// maxPoll), for as long as one send may take: that run is already sending
// it, so waiting is short and keeps the order.
func (r *run) unblocked(ctx context.Context, b blocker, name string) bool {
	if b.draft {
		return false
	}
	// As long as one send may take, and never into the time kept to
	// record outcomes before the invocation's deadline.
	wctx, cancel := r.h.sendContext(ctx)
	defer cancel()
	poll := firstPoll
	for {
		e, err := outbox.Get(wctx, r.h.Store, b.id)
		if errors.Is(err, store.ErrNotFound) {
			return true
		}
		if err != nil {
			return false
		}
		d := e.Alert.Deliveries[name]
		if d == nil || d.Status == outbox.Delivered || d.Status == outbox.Rejected {
			return true
		}
		if d.Status != outbox.Sending || outbox.Claimable(d, r.h.now()) || d.Claim == r.claim {
			return false // pending: it failed, or waits for its channel
		}
		select {
		case <-wctx.Done():
			return false
		case <-time.After(poll):
		}
		poll = min(2*poll, maxPoll)
	}
}

// deliverTarget works on one target's alerts in order. After each alert,
// the channels it is still undelivered on are closed to the later ones.
func (r *run) deliverTarget(ctx context.Context, g []outbox.Entry, digested map[string]bool) {
	// A channel that missed several of the target's alerts gets them as
	// one message: the net change and a summary line (collapse.go).
	// Channels worked on in a digest (digest.go) are done for this run.
	collapsed := map[string]bool{}
	for name := range digested {
		collapsed[name] = true
	}
	for _, c := range r.collapsible(g) {
		if digested[c.channel] {
			continue
		}
		r.deliverCollapsed(ctx, g, c)
		collapsed[c.channel] = true
	}
	open := map[string]blocker{}
	for name := range collapsed {
		// Worked on above, in this run: not sent again one by one.
		open[name] = blocker{done: true}
	}
	drafts := map[string]outbox.Alert{}
	for _, e := range g {
		if e.Alert.Draft {
			drafts[e.Alert.ID] = e.Alert
		}
	}
	for i, e := range g {
		if e.Alert.Draft {
			continue
		}
		if i > 0 && !r.h.timeForOneMore(ctx) {
			r.unsent(g[i:]...)
			return
		}
		if p, ok := drafts[e.Alert.Prev]; ok {
			// Committed by the state this alert was decided from, and
			// not yet marked so: it comes first.
			for _, name := range outbox.Undelivered(p) {
				if _, ok := open[name]; !ok {
					open[name] = blocker{id: p.ID, draft: true}
				}
			}
		}
		latest, there := r.deliverAlert(ctx, e, open)
		if !there {
			continue
		}
		now := r.h.now()
		for _, name := range outbox.Undelivered(latest) {
			if _, ok := open[name]; ok {
				continue
			}
			b := blocker{id: latest.ID}
			if d := latest.Deliveries[name]; outbox.Waiting(d, now) {
				b.due = *d.NotBefore
			}
			open[name] = b
		}
	}
}

// deliverAlert drops e's alert if it is past its deadline, or else sends it
// to each channel it is still pending on, except the channels an earlier
// alert still blocks (blocked, from which it removes the blockers that
// turn out to be done), then deletes it once every channel has delivered or
// rejected it. It
// returns the alert as last seen, and false when it is no longer in the
// outbox (delivered everywhere, dropped) or the store failed.
func (r *run) deliverAlert(ctx context.Context, e outbox.Entry, blocked map[string]blocker) (outbox.Alert, bool) {
	a := e.Alert
	if outbox.Expired(a, r.h.now()) {
		r.drop(ctx, a)
		return a, false
	}
	names := make([]string, 0, len(a.Deliveries))
	for name := range a.Deliveries {
		names = append(names, name)
	}
	sort.Strings(names)
	latest := e
	for _, name := range names {
		d, now := latest.Alert.Deliveries[name], r.h.now()
		if until, held := r.held(name, now); held && outbox.Claimable(d, now) {
			next, err := outbox.Hold(ctx, r.h.Store, a.ID, name, until)
			if errors.Is(err, store.ErrNotFound) {
				return a, false // another run finished or dropped it
			}
			if err != nil {
				r.fail(err)
				return a, true
			}
			latest, d = next, next.Alert.Deliveries[name]
		}
		if !outbox.Claimable(d, now) {
			if outbox.Waiting(d, now) {
				r.wait(a, name, d, now)
			}
			continue
		}
		if b, ok := blocked[name]; ok && b.done {
			continue
		} else if ok {
			if !r.unblocked(ctx, b, name) {
				r.waitFor(a, name, b)
				continue
			}
			delete(blocked, name)
		}
		next, ok, gone := r.deliverOne(ctx, a, name)
		if !ok {
			// The alert is gone or the store failed: nothing more to do
			// here, and (when it is still there) later alerts wait for it.
			return latest.Alert, !gone
		}
		latest = next
	}
	if outbox.Done(latest.Alert) {
		if err := outbox.Settle(ctx, r.h.Store, latest.Alert, r.h.now()); err != nil {
			r.fail(err)
			return latest.Alert, true
		}
		return latest.Alert, false
	}
	r.mu.Lock()
	r.out.Pending += len(outbox.Undelivered(latest.Alert))
	r.mu.Unlock()
	return latest.Alert, true
}

// deliverOne claims the delivery of a to channel name, sends it if the
// claim was won and records the outcome. It returns the alert as last
// written, and false when the alert can no longer be worked on: gone is
// true when it is no longer in the outbox, false when the store failed.
func (r *run) deliverOne(ctx context.Context, a outbox.Alert, name string) (e outbox.Entry, ok, gone bool) {
	e, won, err := outbox.Claim(ctx, r.h.Store, a.ID, name, r.claim, r.h.now(), r.h.lease())
	if errors.Is(err, store.ErrNotFound) {
		return e, false, true // another run finished or dropped it
	}
	if err != nil {
		r.fail(err)
		return e, false, false
	}
	if !won {
		return e, true, false // another run is sending or has sent it
	}

	o, hint := r.send(ctx, e.Alert, name)
	return r.finish(ctx, a, name, o, hint)
}

// finish records the outcome o of a send of a to channel name (claimed by
// this run), counts it and logs it. It returns what deliverOne returns.
func (r *run) finish(ctx context.Context, a outbox.Alert, name string, o outbox.Outcome, hint time.Duration) (e outbox.Entry, ok, gone bool) {
	log := r.log.With("alert", a.ID, "target", a.Target, "kind", a.Kind, "channel", name)
	o.At = r.h.now()
	if o.Status == outbox.Pending && hint > 0 {
		o.NotBefore = o.At.Add(hint)
	}
	e, err := outbox.Finish(ctx, r.h.Store, a.ID, name, r.claim, o)
	if err != nil {
		// The send happened but is not recorded; the lease expires and a
		// later run sends again. Say so loudly.
		log.Error("delivery outcome not recorded; the alert may be sent again after the lease", "outcome", o.Status, "error", err.Error())
		r.fail(err)
		return e, false, errors.Is(err, store.ErrNotFound)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	switch o.Status {
	case outbox.Delivered:
		r.out.Delivered++
		if o.CollapsedInto != "" {
			r.out.Collapsed++
			log.Info("alert delivered in the summary line of a later alert of the target", "collapsedInto", o.CollapsedInto)
			break
		}
		log.Info("alert delivered")
	case outbox.Rejected:
		r.out.Rejected++
		log.Error("alert rejected by channel; it will not be retried there", "error", o.Error)
	default:
		r.retries = append(r.retries, retry{
			text: fmt.Sprintf("alert %s on channel %s: %s", a.ID, name, o.Error),
			due:  o.NotBefore, hint: hint,
		})
		if hint > 0 {
			if r.holds[name].Before(o.NotBefore) {
				r.holds[name] = o.NotBefore
			}
			log.Warn("delivery failed transiently; the alert stays pending and is not sent there before the time the channel asked for",
				"error", o.Error, "notBefore", o.NotBefore)
		} else {
			log.Warn("delivery failed transiently; the alert stays pending", "error", o.Error)
		}
	}
	return e, true, false
}

// send delivers a to channel name and classifies the result. For a
// transient failure it also returns the channel's retry hint (0 if none),
// capped at channel.MaxRetryAfter.
func (r *run) send(ctx context.Context, a outbox.Alert, name string) (outbox.Outcome, time.Duration) {
	return r.sendWith(ctx, name, func(ctx context.Context, s channel.Sender) error { return s.Send(ctx, a) })
}

// sendWith is send for any way of sending to channel name (one alert, a
// digest).
func (r *run) sendWith(ctx context.Context, name string, do func(context.Context, channel.Sender) error) (outbox.Outcome, time.Duration) {
	sender, err := r.sender(name)
	var ce *channel.Error
	if errors.As(err, &ce) && ce.Retryable {
		// The channel cannot deliver in this environment now (an SNS
		// channel with no endpoint or topic): the alert waits for it.
		return outbox.Outcome{Status: outbox.Pending, Error: err.Error()}, retryHint(err)
	}
	if err != nil {
		return outbox.Outcome{Status: outbox.Rejected, Error: err.Error()}, 0
	}
	sendCtx, cancel := r.h.sendContext(ctx)
	defer cancel()
	err = do(sendCtx, sender)
	switch {
	case err == nil:
		return outbox.Outcome{Status: outbox.Delivered}, 0
	case channel.IsRetryable(err):
		return outbox.Outcome{Status: outbox.Pending, Error: err.Error()}, retryHint(err)
	default:
		return outbox.Outcome{Status: outbox.Rejected, Error: err.Error()}, 0
	}
}

// sender builds (once per run) the Sender for channel name. A channel that
// the targets file does not declare, or declares wrongly, is an error that
// rejects the delivery; one that cannot deliver in this environment for now
// (a retryable *channel.Error) leaves it pending.
func (r *run) sender(name string) (channel.Sender, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.senders[name]; ok {
		return s.s, s.err
	}
	var s senderOrErr
	if c, ok := r.channels[name]; ok {
		s.s, s.err = registry.New(c, r.h.Deps)
	} else {
		s.err = fmt.Errorf("channel %q is not declared under channels: in the targets file", name)
	}
	r.senders[name] = s
	return s.s, s.err
}

// drop removes an alert past its deadline, keeps a record in
// state/dropped/ and logs it loudly.
func (r *run) drop(ctx context.Context, a outbox.Alert) {
	rec, dropped, err := outbox.Drop(ctx, r.h.Store, a.ID, r.h.now())
	if err != nil {
		r.fail(err)
		return
	}
	if !dropped {
		return
	}
	r.log.Error("ALERT DROPPED: its deadline passed before every channel took it",
		"alert", a.ID, "target", a.Target, "kind", a.Kind, "deadline", a.Deadline,
		"undelivered", rec.Undelivered, "record", outbox.DroppedKey(a.ID))
	r.mu.Lock()
	r.out.Dropped++
	r.mu.Unlock()
}

func (r *run) fail(err error) {
	r.mu.Lock()
	r.fatal = append(r.fatal, err)
	r.mu.Unlock()
}
