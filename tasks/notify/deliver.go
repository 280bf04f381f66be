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

// unsent counts e's alert as not tried in this invocation: its undelivered
// channels stay pending.
func (r *run) unsent(e outbox.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notTried++
	r.out.Pending += len(outbox.Undelivered(e.Alert))
}

// deliverAlert drops e's alert if it is past its deadline, or else sends it
// to each channel it is still pending on, then deletes it once every
// channel has delivered or rejected it.
func (r *run) deliverAlert(ctx context.Context, e outbox.Entry) {
	a := e.Alert
	if outbox.Expired(a, r.h.now()) {
		r.drop(ctx, a)
		return
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
				return // another run finished or dropped it
			}
			if err != nil {
				r.fail(err)
				return
			}
			latest, d = next, next.Alert.Deliveries[name]
		}
		if !outbox.Claimable(d, now) {
			if outbox.Waiting(d, now) {
				r.wait(a, name, d, now)
			}
			continue
		}
		next, ok := r.deliverOne(ctx, a, name)
		if !ok {
			return // the alert is gone or the store failed: nothing more to do here
		}
		latest = next
	}
	if outbox.Done(latest.Alert) {
		if err := outbox.Settle(ctx, r.h.Store, latest.Alert, r.h.now()); err != nil {
			r.fail(err)
		}
		return
	}
	r.mu.Lock()
	r.out.Pending += len(outbox.Undelivered(latest.Alert))
	r.mu.Unlock()
}

// deliverOne claims the delivery of a to channel name, sends it if the
// claim was won and records the outcome. It returns the alert as last
// written, and false when the alert can no longer be worked on.
func (r *run) deliverOne(ctx context.Context, a outbox.Alert, name string) (outbox.Entry, bool) {
	log := r.log.With("alert", a.ID, "target", a.Target, "kind", a.Kind, "channel", name)
	e, won, err := outbox.Claim(ctx, r.h.Store, a.ID, name, r.claim, r.h.now(), r.h.lease())
	if errors.Is(err, store.ErrNotFound) {
		return e, false // another run finished or dropped it
	}
	if err != nil {
		r.fail(err)
		return e, false
	}
	if !won {
		return e, true // another run is sending or has sent it
	}

	o, hint := r.send(ctx, e.Alert, name)
	o.At = r.h.now()
	if o.Status == outbox.Pending && hint > 0 {
		o.NotBefore = o.At.Add(hint)
	}
	e, err = outbox.Finish(ctx, r.h.Store, a.ID, name, r.claim, o)
	if err != nil {
		// The send happened but is not recorded; the lease expires and a
		// later run sends again. Say so loudly.
		log.Error("delivery outcome not recorded; the alert may be sent again after the lease", "outcome", o.Status, "error", err.Error())
		r.fail(err)
		return e, false
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	switch o.Status {
	case outbox.Delivered:
		r.out.Delivered++
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
	return e, true
}

// send delivers a to channel name and classifies the result. For a
// transient failure it also returns the channel's retry hint (0 if none),
// capped at channel.MaxRetryAfter.
func (r *run) send(ctx context.Context, a outbox.Alert, name string) (outbox.Outcome, time.Duration) {
	sender, err := r.sender(name)
	if err != nil {
		return outbox.Outcome{Status: outbox.Rejected, Error: err.Error()}, 0
	}
	sendCtx, cancel := r.h.sendContext(ctx)
	defer cancel()
	err = sender.Send(sendCtx, a)
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
// rejects the delivery.
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
