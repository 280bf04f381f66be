package checkstaleness

import (
	"context"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/target"
)

// recordHistory records the saved decision in the history (the checks it
// counted, every target's status) and publishes the status page: a fixed
// number of requests whatever the number of targets (history.Update, two
// PUTs for the page). It runs after the state is saved and the alerts are
// committed, so a failure here never holds an alert back: it is logged as
// an error and returned for the task's output.
func (h *Handler) recordHistory(ctx context.Context, set *target.Set, d decision, now time.Time) error {
	kinds := make(map[string]target.Target, len(set.Targets))
	staleAfter := time.Duration(0)
	for _, t := range set.Targets {
		kinds[t.Name] = t
		staleAfter = max(staleAfter, time.Duration(t.StaleAfter))
	}
	if staleAfter == 0 {
		staleAfter = target.DefaultStaleAfter
	}
	obs := make([]history.Observation, 0, len(d.file.Targets))
	for name, st := range d.file.Targets {
		o := history.Observation{Target: name, State: st}
		t, configured := kinds[name]
		o.Push = configured && !isProbed(t)
		if r := d.checks[name]; r != nil {
			o.Check = &history.Check{At: r.CheckedAt, Up: r.Up, LatencyMS: r.LatencyMS}
			if len(r.Failures) > 0 {
				o.Check.Failure = r.Failures[0]
			}
		}
		obs = append(obs, o)
	}
	snap, err := history.Update(ctx, h.Store, obs, now)
	if err == nil {
		page := site.Build(site.Input{Now: now, State: d.file, History: snap, StaleAfter: staleAfter})
		err = site.Publish(ctx, h.Store, page)
	}
	if err != nil {
		h.logger().Error("history and status page not updated; the statuses and alerts are saved", "error", err.Error())
		return fmt.Errorf("history: %w", err)
	}
	return nil
}
