package notify

import (
	"context"
	"errors"
	"sort"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
)

// When one run has more alerts for a channel than its digestAfter (a
// channel setting, target.DefaultDigestAfter by default), they go as one
// digest message, split only where the service's limits require
// (channel.Digester's Split): a Slack message of sections, a Discord
// message of embeds, a LINE push of texts, one SNS message, a webhook JSON
// array. Each alert's delivery on the channel is claimed before and
// recorded once after, like any other; a target's alerts keep their order,
// and a channel that missed several of one target's alerts gets them as one
// item, collapsed (collapse.go). See docs/channels.md.

// item is one entry of a digest: one target's alerts (a collapsed run, or
// one alert) and the message that tells them.
type item struct {
	group   int   // index into the run's groups
	claimed []int // indexes into that group, claimed
	msg     outbox.Alert
}

// digest sends the digests this run's alerts call for, and returns for
// each group the channels it worked on (the group's deliveries to them are
// not sent again in this run).
func (r *run) digest(ctx context.Context, groups [][]outbox.Entry) []map[string]bool {
	done := make([]map[string]bool, len(groups))
	byChannel := map[string][]collapse{}
	owner := map[string][]int{}
	for gi, g := range groups {
		for _, c := range r.waiting(g) {
			if collapses(g, c) {
				byChannel[c.channel] = append(byChannel[c.channel], c)
				owner[c.channel] = append(owner[c.channel], gi)
				continue
			}
			for _, m := range c.members {
				byChannel[c.channel] = append(byChannel[c.channel], collapse{channel: c.channel, members: []int{m}})
				owner[c.channel] = append(owner[c.channel], gi)
			}
		}
	}
	names := make([]string, 0, len(byChannel))
	for name := range byChannel {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		units := byChannel[name]
		after := r.channels[name].DigestAfter
		if after <= 0 || len(units) <= after {
			continue
		}
		sender, err := r.sender(name)
		d, ok := sender.(channel.Digester)
		if err != nil || !ok {
			continue // sent one by one, where the error is recorded
		}
		r.deliverDigest(ctx, groups, units, owner[name], name, d)
		for _, gi := range owner[name] {
			if done[gi] == nil {
				done[gi] = map[string]bool{}
			}
			done[gi][name] = true
		}
	}
	return done
}

// deliverDigest claims every unit's deliveries to channel name, sends the
// digest in the parts d.Split makes, in order, and records each delivery's
// outcome. After a part that fails, the later parts are not sent (a
// target's later alert must not arrive before its earlier one): their
// deliveries are released, pending, unattempted.
func (r *run) deliverDigest(ctx context.Context, groups [][]outbox.Entry, units []collapse, owners []int, name string, d channel.Digester) {
	var items []item
	for k, u := range units {
		g := groups[owners[k]]
		claimed := r.claimAll(ctx, g, u)
		if len(claimed) == 0 {
			continue
		}
		items = append(items, item{group: owners[k], claimed: claimed, msg: collapsedMessage(g, claimed)})
	}
	if len(items) == 0 {
		return
	}
	msgs := make([]outbox.Alert, len(items))
	for i, it := range items {
		msgs[i] = it.msg
	}
	parts := d.Split(msgs)
	r.log.Info("many alerts for one channel in this run: sending them as a digest",
		"channel", name, "alerts", len(items), "messages", len(parts))
	next := 0
	failed := false
	for _, part := range parts {
		its := items[next : next+len(part)]
		next += len(part)
		if failed {
			r.release(ctx, groups, its, name)
			continue
		}
		o, hint := r.sendWith(ctx, name, func(ctx context.Context, s channel.Sender) error {
			return s.(channel.Digester).SendDigest(ctx, part)
		})
		for _, it := range its {
			r.finishAll(ctx, groups[it.group], it.claimed, name, it.msg.ID, o, hint)
		}
		failed = o.Status != outbox.Delivered
	}
}

// release gives back the claimed deliveries of its, unsent.
func (r *run) release(ctx context.Context, groups [][]outbox.Entry, its []item, name string) {
	until, _ := r.held(name, r.h.now())
	for _, it := range its {
		g := groups[it.group]
		for _, i := range it.claimed {
			e, err := outbox.Release(ctx, r.h.Store, g[i].Alert.ID, name, r.claim, until)
			if errors.Is(err, store.ErrNotFound) {
				continue // settled or dropped by another run
			}
			if err != nil {
				r.fail(err)
				continue
			}
			g[i] = e
			r.mu.Lock()
			r.retries = append(r.retries, retry{text: "alert " + e.Alert.ID + " on channel " + name + ": not sent: an earlier part of its digest failed",
				waiting: true, due: until})
			r.mu.Unlock()
		}
	}
}
