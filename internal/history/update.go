package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// maxAttempts bounds the read-apply-write rounds of one object when other
// runs keep writing it first.
const maxAttempts = 5

// Snapshot is the history as a run left it: what the status page and the
// CLI show.
type Snapshot struct {
	Recent    Recent
	Uptime    Uptime
	Incidents Incidents
}

// Update records one run's observations (one per configured target) in the
// history objects and returns the history as saved. It makes a GET and a
// conditional PUT per object (four objects; five when the run's checks fall
// on two UTC days) and deletes the day object that has just turned 90 days
// old, whatever the number of targets.
func Update(ctx context.Context, s *store.Store, obs []Observation, now time.Time) (Snapshot, error) {
	var snap Snapshot
	if err := update(ctx, s, RecentKey, &snap.Recent, func(r *Recent) { applyRecent(r, obs, now) }); err != nil {
		return Snapshot{}, err
	}
	if err := update(ctx, s, UptimeKey, &snap.Uptime, func(u *Uptime) { applyUptime(u, obs, now) }); err != nil {
		return Snapshot{}, err
	}
	for _, day := range daysOf(obs, now) {
		var d Day
		if err := update(ctx, s, DaysPrefix+day+".json", &d, func(d *Day) { applyDay(d, day, obs, now) }); err != nil {
			return Snapshot{}, err
		}
	}
	// The day that has just left the 90 days (DELETE requests are free; a
	// day object already gone is no error).
	if err := s.Delete(ctx, DayKey(now.AddDate(0, 0, -Days))); err != nil {
		return Snapshot{}, fmt.Errorf("update history: %w", err)
	}
	if err := update(ctx, s, IncidentsKey, &snap.Incidents, func(in *Incidents) { applyIncidents(in, obs, now) }); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}

// daysOf lists the UTC days the observations' checks fall on.
func daysOf(obs []Observation, now time.Time) []string {
	var days []string
	for _, o := range obs {
		if c := checkOf(o, now); c != nil {
			if d := c.At.UTC().Format(time.DateOnly); !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
	}
	slices.Sort(days)
	return days
}

// update reads key into v (an absent object leaves v zero), applies fn and
// writes v back with If-Match (If-None-Match when it was absent). On a
// conflict another run wrote first: it reads that run's version and applies
// fn to it again, up to maxAttempts times.
func update[T any](ctx context.Context, s *store.Store, key string, v *T, fn func(*T)) error {
	for attempt := 1; ; attempt++ {
		var cur T
		etag, err := s.GetJSON(ctx, key, &cur)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("update %s: %w", key, err)
		}
		fn(&cur)
		body, err := json.Marshal(cur)
		if err != nil {
			return fmt.Errorf("update %s: encode: %w", key, err)
		}
		_, err = s.Put(ctx, key, body, store.Condition{IfMatch: etag, IfNoneMatch: etag == ""})
		if err == nil {
			*v = cur
			return nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == maxAttempts {
			return fmt.Errorf("update %s (attempt %d of %d): %w", key, attempt, maxAttempts, err)
		}
		pause := 20 * time.Millisecond << (attempt - 1)
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Read reads the history as the last run left it (absent objects are
// empty).
func Read(ctx context.Context, s *store.Store) (Snapshot, error) {
	var snap Snapshot
	for key, v := range map[string]any{RecentKey: &snap.Recent, UptimeKey: &snap.Uptime, IncidentsKey: &snap.Incidents} {
		if _, err := s.GetJSON(ctx, key, v); err != nil && !errors.Is(err, store.ErrNotFound) {
			return Snapshot{}, fmt.Errorf("read history: %w", err)
		}
	}
	return snap, nil
}

// ReadDays reads the day objects of target's last n UTC days up to now,
// oldest first; a day without an object, or without checks of the target,
// is a zero DayAgg.
func ReadDays(ctx context.Context, s *store.Store, target string, now time.Time, n int) ([]string, []DayAgg, error) {
	infos, err := s.List(ctx, DaysPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("read history days: %w", err)
	}
	have := map[string]bool{}
	for _, info := range infos {
		have[info.Key] = true
	}
	days := make([]string, 0, n)
	aggs := make([]DayAgg, 0, n)
	for i := n - 1; i >= 0; i-- {
		day := now.UTC().AddDate(0, 0, -i).Format(time.DateOnly)
		days = append(days, day)
		var agg DayAgg
		if key := DaysPrefix + day + ".json"; have[key] {
			var d Day
			if _, err := s.GetJSON(ctx, key, &d); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, nil, fmt.Errorf("read history days: %w", err)
			}
			if a := d.Targets[target]; a != nil {
				agg = *a
			}
		}
		aggs = append(aggs, agg)
	}
	return days, aggs, nil
}
