package notify

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
)

// A channel that could not be reached while a target changed several times
// gets the net change, not a replay: the target's alerts that wait for it
// go as one message, the latest change's, with a line that tells the ones
// before it ("while this channel was unreachable: DOWN at 10:10 UTC,
// RECOVERED at 10:25 UTC"). Each of those alerts' delivery on the channel
// is still claimed, and recorded once: the latest as delivered, the others
// as delivered with collapsedInto naming it. See docs/channels.md.

// collapse is one channel's share of one target's alerts that go as one
// message: indexes into the target's entries, in order.
type collapse struct {
	channel string
	members []int
}

// collapsible finds, for each channel, the run of g's alerts (one target's,
// in order) waiting for it that starts with one the channel already failed
// to take (attempts > 0) and has more than one alert: the channel was
// unreachable across several changes. The run stops before a draft, an
// alert whose prev is a draft, or a delivery another run holds or the
// channel asked to wait for; alerts past their deadline are left to be
// dropped. A channel that asked this run to wait is not collapsed now.
func (r *run) collapsible(g []outbox.Entry) []collapse {
	var out []collapse
	for _, c := range r.waiting(g) {
		if collapses(g, c) {
			out = append(out, c)
		}
	}
	return out
}

// collapses reports whether c's alerts go as one message: more than one,
// and the channel already failed to take the first.
func collapses(g []outbox.Entry, c collapse) bool {
	return len(c.members) > 1 && g[c.members[0]].Alert.Deliveries[c.channel].Attempts > 0
}

// waiting returns, for each channel of g's alerts (one target's, in order)
// that has not asked this run to wait, the alerts that may be sent to it
// now, in order: up to a draft, an alert whose prev is a draft, or a
// delivery another run holds or the channel asked to wait for; alerts
// past their deadline are left out (they are dropped).
func (r *run) waiting(g []outbox.Entry) []collapse {
	now := r.h.now()
	drafts := map[string]bool{}
	channels := map[string]bool{}
	for _, e := range g {
		if e.Alert.Draft {
			drafts[e.Alert.ID] = true
		}
		for name := range e.Alert.Deliveries {
			channels[name] = true
		}
	}
	names := make([]string, 0, len(channels))
	for name := range channels {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []collapse
	for _, name := range names {
		if _, held := r.held(name, now); held {
			continue
		}
		var members []int
	walk:
		for i, e := range g {
			a := e.Alert
			d, ok := a.Deliveries[name]
			switch {
			case a.Draft || drafts[a.Prev]:
				break walk
			case !ok || d == nil || d.Status == outbox.Delivered || d.Status == outbox.Rejected:
				continue
			case outbox.Expired(a, now):
				continue
			case !outbox.Claimable(d, now):
				break walk
			}
			members = append(members, i)
		}
		if len(members) > 0 {
			out = append(out, collapse{channel: name, members: members})
		}
	}
	return out
}

// deliverCollapsed claims c's deliveries in order, sends the net one with
// the summary of the others, and records the outcome on each (updating g).
// A delivery it cannot claim ends the run there: the ones before it are
// sent, the ones after wait.
func (r *run) deliverCollapsed(ctx context.Context, g []outbox.Entry, c collapse) {
	claimed := r.claimAll(ctx, g, c)
	if len(claimed) == 0 {
		return
	}
	msg := collapsedMessage(g, claimed)
	if len(claimed) > 1 {
		r.log.Info("a channel missed several alerts of a target: sending the net change with a summary of the others",
			"target", msg.Target, "channel", c.channel, "alert", msg.ID, "collapsed", len(msg.Collapsed))
	}
	o, hint := r.send(ctx, msg, c.channel)
	r.finishAll(ctx, g, claimed, c.channel, msg.ID, o, hint)
}

// finishAll records o on the claimed deliveries: delivered as net, the
// others collapsedInto it.
func (r *run) finishAll(ctx context.Context, g []outbox.Entry, claimed []int, channel, net string, o outbox.Outcome, hint time.Duration) {
	for _, i := range claimed {
		oi := o
		if g[i].Alert.ID != net && o.Status == outbox.Delivered {
			oi.CollapsedInto = net
		}
		e, ok, _ := r.finish(ctx, g[i].Alert, channel, oi, hint)
		if ok {
			g[i] = e
		}
	}
}

// collapsedMessage is the alert sent for the claimed alerts: the net
// change, with the others in Collapsed.
func collapsedMessage(g []outbox.Entry, claimed []int) outbox.Alert {
	net := netChange(g, claimed)
	msg := g[net].Alert
	msg.Collapsed = nil
	for _, i := range claimed {
		if i != net {
			a := g[i].Alert
			msg.Collapsed = append(msg.Collapsed, outbox.Collapsed{ID: a.ID, Kind: a.Kind, At: a.At})
		}
	}
	return msg
}

// claimAll claims c's deliveries in order, updating g, and returns the
// indexes claimed: a delivery it cannot claim ends them there.
func (r *run) claimAll(ctx context.Context, g []outbox.Entry, c collapse) []int {
	var claimed []int
	for _, i := range c.members {
		e, won, err := outbox.Claim(ctx, r.h.Store, g[i].Alert.ID, c.channel, r.claim, r.h.now(), r.h.lease())
		if errors.Is(err, store.ErrNotFound) || (err == nil && !won) {
			break // finished or dropped by another run, or it is sending it
		}
		if err != nil {
			r.fail(err)
			break
		}
		g[i] = e
		claimed = append(claimed, i)
	}
	return claimed
}

// netChange is, among the claimed alerts (in order), the one whose message
// tells where the target stands: the last status change (a reminder after
// it adds nothing the channel needs), or the last alert when all are
// reminders.
func netChange(g []outbox.Entry, claimed []int) int {
	for k := len(claimed) - 1; k >= 0; k-- {
		if g[claimed[k]].Alert.Kind != outbox.KindReminder {
			return claimed[k]
		}
	}
	return claimed[len(claimed)-1]
}
