package status

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// flappy is web as the targets file's defaults make it: confirmation on
// (so failureThreshold 1) and flap detection at 3 changes within 30m.
func flappy(mod func(*target.Target)) target.Target {
	return web(func(t *target.Target) {
		t.FailureThreshold = 1
		t.Flap = &target.Flap{Changes: 3, Window: target.Duration(30 * m)}
		if mod != nil {
			mod(t)
		}
	})
}

// TestFlapping runs the flap rule over runs every 10 minutes (the time of
// each run is the controlled clock: Decide's now).
func TestFlapping(t *testing.T) {
	tests := []struct {
		name   string
		target target.Target
		steps  []step
	}{
		{
			name:   "docs/status.md flapping timeline: DOWN, RECOVERED, then one FLAPPING alert, the changes held, one alert when it settles",
			target: flappy(nil),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 20 * m, echo: good(20 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 30 * m, echo: bad(30 * m), want: Down, alerts: []string{"web-flapping-4"},
					text: "web is FLAPPING: 3 status changes in 20m (now DOWN since 2026-11-21 10:20 UTC: status 503, want 200-399); its DOWN, STALE and RECOVERED alerts are held until it keeps one status for 30m"},
				{at: 40 * m, echo: good(40 * m), want: Up},
				{at: 50 * m, echo: bad(50 * m), want: Down},
				{at: 60 * m, echo: good(60 * m), want: Up},
				{at: 70 * m, echo: good(70 * m), want: Up},
				{at: 80 * m, echo: good(80 * m), want: Up},
				{at: 90 * m, echo: good(90 * m), want: Up, alerts: []string{"web-recovered-8"},
					text: "web stopped flapping after 1h and is UP since 2026-11-21 11:00 UTC"},
				// Settled: the next change alerts as usual.
				{at: 100 * m, echo: bad(100 * m), want: Down, alerts: []string{"web-down-9"}},
			},
		},
		{
			name:   "settles DOWN: the settling alert is a DOWN with the failures; no reminder while it flaps, reminders again after",
			target: flappy(func(t *target.Target) { t.RemindEvery = target.Duration(20 * m) }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 20 * m, echo: good(20 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 30 * m, echo: bad(30 * m), want: Down, alerts: []string{"web-flapping-4"}},
				{at: 40 * m, echo: bad(40 * m), want: Down},
				{at: 50 * m, echo: bad(50 * m), want: Down}, // 20m after the FLAPPING alert: no reminder
				{at: 60 * m, echo: bad(60 * m), want: Down, alerts: []string{"web-down-5"},
					text: "web stopped flapping after 30m and is DOWN since 2026-11-21 10:20 UTC: status 503, want 200-399"},
				{at: 70 * m, echo: bad(70 * m), want: Down},
				{at: 80 * m, echo: bad(80 * m), want: Down, alerts: []string{"web-reminder-6"}},
			},
		},
		{
			name:   "changes further apart than the window never flap",
			target: flappy(nil),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 30 * m, echo: good(30 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 50 * m, echo: bad(50 * m), want: Down, alerts: []string{"web-down-4"}}, // 10:10 is 40m back
				{at: 70 * m, echo: good(70 * m), want: Up, alerts: []string{"web-recovered-5"}},
			},
		},
		{
			name:   "flap detection off (flap.changes: 0): every change alerts",
			target: flappy(func(t *target.Target) { t.Flap = nil }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 20 * m, echo: good(20 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 30 * m, echo: bad(30 * m), want: Down, alerts: []string{"web-down-4"}},
				{at: 40 * m, echo: good(40 * m), want: Up, alerts: []string{"web-recovered-5"}},
			},
		},
		{
			name:   "STALE counts as a change: UP, STALE, UP, DOWN within the window flaps",
			target: flappy(func(t *target.Target) { t.Flap.Window = target.Duration(time.Hour) }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 16 * m, echo: good(0), want: Stale, alerts: []string{"web-stale-2"}},
				{at: 20 * m, echo: good(20 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 30 * m, echo: bad(30 * m), want: Down, alerts: []string{"web-flapping-4"}},
			},
		},
		{
			name:   "no channels: the flapping is recorded, nothing is sent",
			target: flappy(func(t *target.Target) { t.Channels = nil }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down},
				{at: 20 * m, echo: good(20 * m), want: Up},
				{at: 30 * m, echo: bad(30 * m), want: Down},
				{at: 40 * m, echo: good(40 * m), want: Up},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st TargetState
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				e := *s.echo
				next, alerts := Decide(st, tt.target, &e, nil, now, "")
				if next.Status != s.want {
					t.Fatalf("step %d (t0+%v): status %s, want %s (state %+v)", i, s.at, next.Status, s.want, next)
				}
				var ids []string
				for _, a := range alerts {
					ids = append(ids, a.ID)
				}
				if !slices.Equal(ids, s.alerts) {
					t.Fatalf("step %d (t0+%v): alerts %v, want %v (state %+v)", i, s.at, ids, s.alerts, next)
				}
				if s.text != "" && alerts[0].Text != s.text {
					t.Fatalf("step %d: text\n got %q\nwant %q", i, alerts[0].Text, s.text)
				}
				if len(next.Changes) > 3 {
					t.Fatalf("step %d: the state keeps %d changes, want at most flap.changes (3)", i, len(next.Changes))
				}
				// A retry of the run (the same moment, the same echo) changes nothing.
				again, more := Decide(next, tt.target, &e, nil, now, "")
				if len(more) != 0 || !reflect.DeepEqual(again, next) {
					t.Fatalf("step %d: deciding twice is not idempotent: %+v then %+v, alerts %v", i, next, again, more)
				}
				st = next
			}
		})
	}
}

// TestFlappingState checks what the state records: the flapping's start
// while it lasts, and nothing once it has settled.
func TestFlappingState(t *testing.T) {
	tg := flappy(nil)
	var st TargetState
	for i, e := range []*probe.Result{good(0), bad(10 * m), good(20 * m), bad(30 * m)} {
		st, _ = Decide(st, tg, e, nil, t0.Add(time.Duration(i)*10*m), "")
	}
	if !st.FlappingSince.Equal(t0.Add(30*m)) || len(st.Changes) != 3 || st.Changes[0] != t0.Add(10*m).Unix() {
		t.Fatalf("state while flapping = %+v, want flappingSince 10:30 and the 3 changes from 10:10", st)
	}
	st, alerts := Decide(st, tg, bad(60*m), nil, t0.Add(60*m), "")
	if len(alerts) != 1 || !st.FlappingSince.IsZero() || st.Changes != nil {
		t.Fatalf("state once settled = %+v with alerts %v, want no flapping, no changes kept, one alert", st, alerts)
	}
	// Flap detection turned off while the target flaps: it settles at the next run.
	for i, e := range []*probe.Result{good(70 * m), bad(80 * m), good(90 * m)} {
		st, _ = Decide(st, tg, e, nil, t0.Add(70*m+time.Duration(i)*10*m), "")
	}
	if st.FlappingSince.IsZero() {
		t.Fatalf("state = %+v, want flapping again", st)
	}
	off := flappy(func(t *target.Target) { t.Flap = nil })
	st, alerts = Decide(st, off, good(90*m), nil, t0.Add(95*m), "")
	if len(alerts) != 1 || alerts[0].Kind != "RECOVERED" || !st.FlappingSince.IsZero() {
		t.Fatalf("after flap detection was turned off: %+v with alerts %+v, want one settling RECOVERED", st, alerts)
	}
}
