package outbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// Claimable reports whether a delivery may be claimed at now: it is pending
// (or absent) and not waiting for its NotBefore, or a run claimed it and its
// lease has expired (the run crashed or timed out).
func Claimable(d *Delivery, now time.Time) bool {
	if d == nil {
		return true
	}
	switch d.Status {
	case Pending, "":
		return !Waiting(d, now)
	case Sending:
		return d.LeaseUntil == nil || !now.Before(*d.LeaseUntil)
	default:
		return false
	}
}

// Waiting reports whether d is pending but the channel asked not to be
// sent to before a time still after now (d.NotBefore).
func Waiting(d *Delivery, now time.Time) bool {
	return d != nil && (d.Status == Pending || d.Status == "") && d.NotBefore != nil && now.Before(*d.NotBefore)
}

// Done reports whether every delivery of a is delivered or rejected.
func Done(a Alert) bool {
	for _, d := range a.Deliveries {
		if d == nil || (d.Status != Delivered && d.Status != Rejected) {
			return false
		}
	}
	return true
}

// Undelivered lists, sorted, the channels of a that are neither delivered
// nor rejected.
func Undelivered(a Alert) []string {
	var names []string
	for name, d := range a.Deliveries {
		if d == nil || (d.Status != Delivered && d.Status != Rejected) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Expired reports whether a is past its deadline with a channel that no run
// is sending to right now: it should be dropped.
func Expired(a Alert, now time.Time) bool {
	if a.Deadline.IsZero() || !now.After(a.Deadline) {
		return false
	}
	for _, d := range a.Deliveries {
		if d != nil && d.Status == Sending && !Claimable(d, now) {
			return false // a live lease: let that run finish
		}
	}
	return len(Undelivered(a)) > 0
}

var errNotClaimable = errors.New("delivery is not claimable")

// Claim marks the delivery of alert id to channel as Sending by claim until
// now+lease, with If-Match (re-reading on conflict). Only the run that wins
// may send. It returns won=false when the delivery is not claimable (another
// run holds a live lease, or it is already delivered or rejected) and an
// error wrapping store.ErrNotFound when the alert is gone.
func Claim(ctx context.Context, s *store.Store, id, channel, claim string, now time.Time, lease time.Duration) (e Entry, won bool, err error) {
	e, err = Update(ctx, s, id, func(a *Alert) error {
		d := a.Deliveries[channel]
		if !Claimable(d, now) {
			return errNotClaimable
		}
		if d == nil {
			d = &Delivery{}
			if a.Deliveries == nil {
				a.Deliveries = map[string]*Delivery{}
			}
			a.Deliveries[channel] = d
		}
		until := now.Add(lease)
		d.Status, d.LeaseUntil, d.Claim = Sending, &until, claim
		return nil
	})
	if errors.Is(err, errNotClaimable) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("claim %s for channel %s: %w", id, channel, err)
	}
	return e, true, nil
}

// Hold sets the NotBefore of alert id's delivery to channel to until, with
// If-Match (re-reading on conflict), when that delivery is pending and not
// already held as long: its channel asked, on another alert, not to be sent
// to before until. Other deliveries are left as they are. An absent alert
// is an error wrapping store.ErrNotFound.
func Hold(ctx context.Context, s *store.Store, id, channel string, until time.Time) (Entry, error) {
	e, err := Update(ctx, s, id, func(a *Alert) error {
		d := a.Deliveries[channel]
		if d == nil || (d.Status != Pending && d.Status != "") || (d.NotBefore != nil && !d.NotBefore.Before(until)) {
			return ErrNoChange
		}
		d.NotBefore = &until
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("hold %s on channel %s until %s: %w", id, channel, until.Format(time.RFC3339), err)
	}
	return e, nil
}

// Outcome is the result of one send.
type Outcome struct {
	// Status is Delivered, Rejected or Pending (a transient failure).
	Status string
	// Error says why, for Rejected and Pending; it must hold no secret.
	Error string
	// NotBefore, for Pending, is when the channel asked to be tried again
	// (zero when it gave no hint); it becomes the delivery's NotBefore.
	NotBefore time.Time
	// At is when the send finished.
	At time.Time
	// CollapsedInto, for Delivered, names the alert whose message told
	// this one (Delivery.CollapsedInto).
	CollapsedInto string
}

// Finish records the outcome of a send made under claim, with If-Match
// (re-reading on conflict), and counts the attempt. A Pending outcome
// records o.NotBefore (or clears an older one); any other outcome clears it. A delivery is recorded
// as delivered whoever holds it now; a failure is recorded only while claim
// still holds the delivery, so a run whose lease expired cannot undo the
// work of the run that took over.
func Finish(ctx context.Context, s *store.Store, id, channel, claim string, o Outcome) (Entry, error) {
	e, err := Update(ctx, s, id, func(a *Alert) error {
		d := a.Deliveries[channel]
		if d == nil {
			return ErrNoChange // the alert was rewritten without this channel
		}
		if d.Status == Delivered || (o.Status != Delivered && (d.Status != Sending || d.Claim != claim)) {
			return ErrNoChange
		}
		d.Attempts++
		d.Status, d.LeaseUntil, d.Claim, d.NotBefore = o.Status, nil, "", nil
		switch o.Status {
		case Delivered:
			at := o.At
			d.DeliveredAt, d.LastError, d.CollapsedInto = &at, "", o.CollapsedInto
		case Pending:
			d.LastError = o.Error
			if !o.NotBefore.IsZero() {
				nb := o.NotBefore
				d.NotBefore = &nb
			}
		default:
			d.LastError = o.Error
		}
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("record %s of %s on channel %s: %w", o.Status, id, channel, err)
	}
	return e, nil
}

// Release gives back the delivery of alert id to channel that claim holds
// without sending it: it is pending again, not counted as an attempt, and,
// when notBefore is not zero, waits until then. A delivery claim no longer
// holds is left as it is.
func Release(ctx context.Context, s *store.Store, id, channel, claim string, notBefore time.Time) (Entry, error) {
	e, err := Update(ctx, s, id, func(a *Alert) error {
		d := a.Deliveries[channel]
		if d == nil || d.Status != Sending || d.Claim != claim {
			return ErrNoChange
		}
		d.Status, d.LeaseUntil, d.Claim = Pending, nil, ""
		if !notBefore.IsZero() {
			nb := notBefore
			d.NotBefore = &nb
		}
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("release %s on channel %s: %w", id, channel, err)
	}
	return e, nil
}
