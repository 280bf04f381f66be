package checkstaleness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/fold"
	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// maxAttempts bounds the read-decide-write rounds when other runs keep
// writing the state first.
const maxAttempts = 5

// decision is one round's outcome.
type decision struct {
	file    status.File
	alerts  []outbox.Alert
	changes []Change
	// folded are the alerts not raised because they were folded into a
	// dependency's (package fold).
	folded []fold.Folded
	// checks are the results this decision counted, by target (the
	// history records them).
	checks map[string]*probe.Result
}

// decideAndSave reads the state, decides every target, writes the alerts
// as drafts and then writes the state, listing them, with If-Match
// (If-None-Match when there is none yet). Once the state is saved it
// commits the drafts, which Notify may then send. On a conflict another run
// saved first: it re-reads and decides again from that run's state, so
// nothing either run did is lost, and at the end it withdraws every draft
// of a decision that was not saved. Only the alerts of saved decisions are
// ever sent: each change is told once, whatever the number of runs racing.
//
// An alert is never lost between the writes: a run that fails after saving
// the state leaves its drafts listed in it (status.File.Raised), and the
// next run to read that state commits them before deciding anything.
func (h *Handler) decideAndSave(ctx context.Context, set *target.Set, echoes []store.Info, r *echoReader, now time.Time, raiser string, unmatched []string) (decision, error) {
	drafts := map[string]bool{} // every draft this run wrote
	for attempt := 1; ; attempt++ {
		prev, etag, err := readState(ctx, h.Store)
		if err != nil {
			return decision{}, h.withdraw(ctx, drafts, nil, err)
		}
		if err := commitAlerts(ctx, h.Store, prev.Raised); err != nil {
			return decision{}, h.withdraw(ctx, drafts, nil, err)
		}
		holds, _, err := hold.Read(ctx, h.Store)
		if err != nil {
			return decision{}, h.withdraw(ctx, drafts, nil, err)
		}
		batches := batchesToRead(prev, set, echoes)
		if err := r.read(ctx, batches); err != nil {
			return decision{}, h.withdraw(ctx, drafts, nil, err)
		}
		d := decide(prev, set, newestInBatches(batches, r), holds, now, raiser)
		d.cover(prev, set, now, raiser, unmatched)
		for _, a := range d.alerts {
			drafts[a.ID] = true
			if err := outbox.WriteDraft(ctx, h.Store, a); err != nil {
				return decision{}, h.withdraw(ctx, drafts, nil, err)
			}
		}
		err = saveState(ctx, h.Store, prev, d.file, etag)
		if err == nil {
			saved := make(map[string]bool, len(d.alerts))
			for _, a := range d.alerts {
				saved[a.ID] = true
			}
			if err := commitAlerts(ctx, h.Store, d.file.Raised); err != nil {
				// The state lists them: the next run commits them.
				return decision{}, h.withdraw(ctx, drafts, saved, err)
			}
			h.logChanges(d)
			return d, h.withdraw(ctx, drafts, saved, nil)
		}
		if !errors.Is(err, store.ErrConflict) || attempt == maxAttempts {
			return decision{}, h.withdraw(ctx, drafts, nil, fmt.Errorf("save state (attempt %d of %d): %w", attempt, maxAttempts, err))
		}
		h.logger().Info("state was saved by another run; deciding again", "attempt", attempt)
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return decision{}, h.withdraw(ctx, drafts, nil, err)
		}
	}
}

// commitAlerts commits the drafts a saved state lists.
func commitAlerts(ctx context.Context, s *store.Store, ids []string) error {
	for _, id := range ids {
		if err := outbox.Commit(ctx, s, id); err != nil {
			return err
		}
	}
	return nil
}

// withdraw withdraws every draft this run wrote that is not in saved, then
// returns cause. A draft it cannot withdraw is never sent either (Notify
// sends no draft and removes it at its deadline); that is logged.
func (h *Handler) withdraw(ctx context.Context, drafts, saved map[string]bool, cause error) error {
	for id := range drafts {
		if saved[id] {
			continue
		}
		if err := outbox.Withdraw(ctx, h.Store, id); err != nil {
			h.logger().Warn("a draft alert of a decision that was not saved could not be withdrawn; it is not sent", "alert", id, "error", err.Error())
		}
	}
	return cause
}

// decide decides every configured target. A target that is no longer
// configured is dropped from the state, unless the load reported a
// problem with it (a typo in its definition must not reset it).
//
// A target's latest result is its newest result in the echo objects read
// this round (inBatches).
//
// The holds (pauses, acknowledgements) and the targets' maintenance windows
// apply as status.DecideHeld says.
func decide(prev status.File, set *target.Set, inBatches map[string]batchResult, holds hold.File, now time.Time, raiser string) decision {
	d := decision{file: status.File{Targets: make(map[string]status.TargetState, len(set.Targets)), UpdatedAt: now}, checks: map[string]*probe.Result{}}
	for _, t := range set.Targets {
		before, known := prev.Targets[t.Name]
		var echo *probe.Result
		var echoETag string
		if b, ok := inBatches[t.Name]; ok && isProbed(t) {
			echo, echoETag = b.result, b.etag
		}
		var pulse *time.Time
		if at, ok := set.PulseModified[t.Name]; ok {
			pulse = &at
		}
		var again []outbox.Alert
		if known && before.NotMonitored != "" {
			channels := t.Channels
			if len(channels) == 0 {
				channels = set.DefaultChannels
			}
			again = status.MonitoredAgain(&before, channels, now, raiser)
		}
		var held status.Holds
		if p, ok := holds.PauseOf(t.Name, now); ok {
			held.Pause = &p
		}
		if a, ok := holds.Acks[t.Name]; ok {
			held.Ack = &a
		}
		st, alerts := status.DecideHeld(before, t, echo, pulse, now, raiser, held)
		if echo != nil && isProbed(t) && echo.CheckedAt.After(before.LastEchoAt) && held.Pause == nil {
			d.checks[t.Name] = echo
		}
		alerts = append(again, alerts...)
		st.Source, st.Channels, st.Group = t.Source, slices.Clone(t.Channels), t.Group
		// Remember the echo as read unless it is older than what another
		// run already processed (a run that lost a race and decides again).
		if echoETag != "" && (echo == nil || !echo.CheckedAt.Before(before.LastEchoAt)) {
			st.EchoETag = echoETag
		}
		d.file.Targets[t.Name] = st
		d.alerts = append(d.alerts, alerts...)

		from := before.Status
		if !known {
			from = status.Unknown
		}
		if st.Status != from {
			d.changes = append(d.changes, Change{Target: t.Name, From: from, To: st.Status, Since: st.Since.UTC().Format(time.RFC3339)})
		}
	}
	d.alerts, d.folded = fold.Apply(prev.Targets, d.file.Targets, set.Targets, d.alerts, now, raiser)
	return d
}

// retireTombstone is how long the state remembers a pulse target whose
// file is gone (and says so in NotMonitored) before it forgets it.
const retireTombstone = 7 * 24 * time.Hour

// cover keeps the state of every target that is no longer monitored and
// announces the change: a target skipped for a problem (its definition in
// the targets file, its pulse file malformed, too large, unreadable, past
// the pulse limits), and a pulse target whose file is gone. Each gets one
// UNMONITORED alert, to the channels it last had (or the defaults'), and
// keeps its state, marked NotMonitored, until it is monitored again, which
// is announced too (in decide's loop: MONITORED). A target removed from the
// targets file, or retired with a {"retired": true} pulse file, is dropped
// without an alert: that is on purpose. A pulse target gone for
// retireTombstone is dropped too. unmatched names the targets an alarm run
// asked for that do not exist: each is announced to the defaults' channels
// at most once a day. Finally the alerts are listed in d.file.Raised.
func (d *decision) cover(prev status.File, set *target.Set, now time.Time, raiser string, unmatched []string) {
	problems := map[string]target.Problem{}
	for _, p := range set.Problems {
		if _, seen := problems[p.Target]; p.Target != "" && !seen {
			problems[p.Target] = p
		}
	}
	channelsOf := func(st status.TargetState) []string {
		if len(st.Channels) > 0 {
			return st.Channels
		}
		return set.DefaultChannels
	}
	names := make([]string, 0, len(prev.Targets)+len(problems))
	for name := range prev.Targets {
		names = append(names, name)
	}
	for name := range problems {
		if _, known := prev.Targets[name]; !known && set.ConfigNames[name] {
			names = append(names, name) // never monitored: a new target with a mistake
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if _, configured := d.file.Targets[name]; configured {
			continue
		}
		st, known := prev.Targets[name]
		if !known {
			st = status.TargetState{Target: name, Status: status.Unknown, Since: now, FirstSeenAt: now, Source: problems[name].Source}
		}
		var reason string
		p, hasProblem := problems[name]
		switch {
		case set.Retired[name]:
			continue // retired on purpose: forgotten
		case hasProblem:
			reason = problemText(p)
		case strings.HasPrefix(st.Source, target.PulsePrefix):
			if st.NotMonitored != "" && now.Sub(st.NotMonitoredSince) > retireTombstone {
				continue
			}
			reason = fmt.Sprintf("its pulse file %s is gone (to retire a target on purpose, upload {\"retired\": true} to it instead of deleting it)", st.Source)
		default:
			continue // removed from the targets file: on purpose
		}
		d.alerts = append(d.alerts, status.NotMonitored(&st, reason, channelsOf(st), now, raiser)...)
		d.file.Targets[name] = st
	}
	if len(prev.Unmatched) > 0 || len(unmatched) > 0 {
		d.file.Unmatched = map[string]time.Time{}
		for name, at := range prev.Unmatched {
			if now.Sub(at) < 24*time.Hour {
				d.file.Unmatched[name] = at
			}
		}
		for _, name := range unmatched {
			if _, told := d.file.Unmatched[name]; told {
				continue
			}
			if _, exists := d.file.Targets[name]; exists {
				continue
			}
			d.file.Unmatched[name] = now
			if a, ok := status.UnmatchedAlert(name, set.DefaultChannels, now, raiser); ok {
				d.alerts = append(d.alerts, a)
			}
		}
		if len(d.file.Unmatched) == 0 {
			d.file.Unmatched = nil
		}
	}
	for _, a := range d.alerts {
		d.file.Raised = append(d.file.Raised, a.ID)
	}
}

// problemText is a problem as an alert says it: where, the field, what.
func problemText(p target.Problem) string {
	s := p.Source
	if p.Field != "" {
		s += ": " + p.Field
	}
	return s + ": " + p.Error
}

func isProbed(t target.Target) bool { return t.URL != "" || t.Address != "" }

// readState reads state/status.json; an absent object is an empty state
// and an empty ETag.
func readState(ctx context.Context, s *store.Store) (status.File, string, error) {
	obj, err := s.Get(ctx, status.Key)
	if errors.Is(err, store.ErrNotFound) {
		return status.File{Targets: map[string]status.TargetState{}}, "", nil
	}
	if err != nil {
		return status.File{}, "", fmt.Errorf("read state: %w", err)
	}
	f, err := status.Parse(obj.Body)
	if err != nil {
		return status.File{}, "", fmt.Errorf("read state: %w", err)
	}
	return f, obj.ETag, nil
}

// saveState writes next if it differs from prev: If-Match prevETag, or
// If-None-Match when there was no state. A failed condition wraps
// store.ErrConflict.
func saveState(ctx context.Context, s *store.Store, prev, next status.File, prevETag string) error {
	a, err := json.Marshal(prev.Targets)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	b, err := json.Marshal(next.Targets)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if prevETag != "" && string(a) == string(b) {
		// Nothing changed: no write. (The alerts prev lists were
		// committed before deciding; committing them again is a read.)
		return nil
	}
	cond := store.Condition{IfMatch: prevETag, IfNoneMatch: prevETag == ""}
	if _, err := s.PutJSON(ctx, status.Key, next, cond); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// logChanges logs each saved status change and each alert.
func (h *Handler) logChanges(d decision) {
	log := h.logger()
	for _, c := range d.changes {
		log.Info("status changed", "target", c.Target, "from", c.From, "to", c.To, "since", c.Since)
	}
	for _, f := range d.folded {
		log.Info("alert folded into a dependency's", "alert", f.Alert, "target", f.Target, "kind", f.Kind, "into", f.Into)
	}
	for _, a := range d.alerts {
		log.Info("alert raised", "alert", a.ID, "target", a.Target, "kind", a.Kind, "channels", len(a.Deliveries), "text", a.Text)
	}
}

// backoff is a jittered, growing pause before deciding again: 10-30ms,
// then 20-60ms, 40-120ms, 80-240ms.
func backoff(attempt int) time.Duration {
	base := 20 * time.Millisecond << (attempt - 1)
	return base/2 + rand.N(base)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
