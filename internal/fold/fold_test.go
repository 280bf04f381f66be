package fold_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/fold"
	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/target"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// world runs CheckStaleness's decision, as the task does it: status.Decide
// for every target, then fold.Apply, on a state carried from run to run.
type world struct {
	t       *testing.T
	targets []target.Target
	state   map[string]status.TargetState
	run     int
	// pin holds targets' states fixed from run to run (a paused target).
	pin map[string]status.TargetState
}

func newWorld(t *testing.T, targets ...target.Target) *world {
	return &world{t: t, targets: targets, state: map[string]status.TargetState{}}
}

func tgt(name string, dependsOn ...string) target.Target {
	return target.Target{
		Name: name, Kind: target.KindTCP, Address: name + ":1",
		StaleAfter: target.Duration(15 * time.Minute), FailureThreshold: 2, SuccessThreshold: 1,
		Channels: []string{"ops"}, DependsOn: dependsOn,
	}
}

// step is one run at t0+at in which the targets named in failing fail
// their check and the others pass; it returns "kind target: text" for each
// alert raised, and the folded alerts as "target kind into".
func (w *world) step(at time.Duration, failing ...string) (alerts []string, folded []string) {
	w.t.Helper()
	w.run++
	now := t0.Add(at)
	next := map[string]status.TargetState{}
	var raised []outbox.Alert
	for _, t := range w.targets {
		echo := &probe.Result{Target: t.Name, Up: true, CheckedAt: now}
		if slices.Contains(failing, t.Name) {
			echo = &probe.Result{Target: t.Name, CheckedAt: now, Failures: []string{"connection refused"}}
		}
		if st, ok := w.pin[t.Name]; ok {
			next[t.Name] = st
			continue
		}
		st, as := status.Decide(w.state[t.Name], t, echo, nil, now, fmt.Sprintf("run%d", w.run))
		next[t.Name] = st
		raised = append(raised, as...)
	}
	out, fs := fold.Apply(w.state, next, w.targets, raised, now, fmt.Sprintf("run%d", w.run))
	w.state = next
	for _, a := range out {
		if a.Prev != "" && !strings.HasPrefix(a.Prev, a.Target+"-") {
			w.t.Errorf("alert %s has prev %s of another target", a.ID, a.Prev)
		}
		if st := next[a.Target]; st.LastAlertID != a.ID && !slices.ContainsFunc(out, func(b outbox.Alert) bool { return b.Target == a.Target && b.Seq > a.Seq }) {
			w.t.Errorf("state of %s says its last alert is %s, want %s", a.Target, st.LastAlertID, a.ID)
		}
		alerts = append(alerts, a.Kind+" "+a.Target+": "+a.Text)
	}
	for _, f := range fs {
		folded = append(folded, f.Target+" "+f.Kind+" "+f.Into)
	}
	return alerts, folded
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// The timeline of docs/status.md: a router and two targets behind it, with
// the default thresholds, checked every 5 minutes.
func TestFoldTimeline(t *testing.T) {
	w := newWorld(t, tgt("router"), tgt("web", "router"), tgt("db", "router"))
	a, f := w.step(0)
	eq(t, "10:00 alerts", a, nil)
	eq(t, "10:00 folded", f, nil)
	a, _ = w.step(5*time.Minute, "router", "web", "db")
	eq(t, "10:05 alerts", a, nil)
	a, f = w.step(10*time.Minute, "router", "web", "db")
	eq(t, "10:10 alerts", a, []string{"DOWN router: router is DOWN since 2026-11-21 10:00 UTC: connection refused; 2 dependent targets also failing: db, web"})
	eq(t, "10:10 folded", f, []string{"web DOWN router", "db DOWN router"})
	for _, n := range []string{"web", "db"} {
		if st := w.state[n]; st.Status != status.Down || st.FoldedInto != "router" || !st.FoldedSince.Equal(t0.Add(10*time.Minute)) || st.LastAlertID != "" {
			t.Errorf("10:10 %s state = %+v, want DOWN, folded into router since 10:10, no alert", n, st)
		}
	}
	a, f = w.step(15*time.Minute, "router", "web", "db")
	eq(t, "10:15 alerts", a, nil)
	eq(t, "10:15 folded", f, nil)
	a, f = w.step(20*time.Minute, "db")
	eq(t, "10:20 alerts", a, []string{
		"RECOVERED router: router RECOVERED after 20m down; 1 dependent target still failing, now alerted on their own: db",
		"DOWN db: db is DOWN since 2026-11-21 10:00 UTC: connection refused (folded into router's alerts since 2026-11-21 10:10 UTC)",
	})
	eq(t, "10:20 folded", f, []string{"web RECOVERED router"})
	if st := w.state["web"]; st.Status != status.Up || st.FoldedInto != "" {
		t.Errorf("10:20 web = %+v, want UP, not folded", st)
	}
	if st := w.state["db"]; st.FoldedInto != "" || st.LastAlertID == "" {
		t.Errorf("10:20 db = %+v, want not folded, its own alert recorded", st)
	}
	a, _ = w.step(25 * time.Minute)
	eq(t, "10:25 alerts", a, []string{"RECOVERED db: db RECOVERED after 25m down"})
}

// A target that went down before its dependency was told on its own: it is
// named by the dependency's alert, its reminders are folded, and it is not
// told again when the dependency recovers; its recovery is.
func TestFoldAfterTheDependentWasTold(t *testing.T) {
	web := tgt("web", "router")
	web.RemindEvery = target.Duration(10 * time.Minute)
	router := tgt("router")
	router.FailureThreshold = 3
	w := newWorld(t, router, web)
	w.step(0)
	w.step(5*time.Minute, "router", "web")
	a, _ := w.step(10*time.Minute, "router", "web")
	eq(t, "10:10", a, []string{"DOWN web: web is DOWN since 2026-11-21 10:00 UTC: connection refused"})
	a, _ = w.step(15*time.Minute, "router", "web")
	eq(t, "10:15", a, []string{"DOWN router: router is DOWN since 2026-11-21 10:00 UTC: connection refused; 1 dependent target also failing: web"})
	a, f := w.step(20*time.Minute, "router", "web")
	eq(t, "10:20 (web's reminder is due)", a, nil)
	eq(t, "10:20 folded", f, []string{"web REMINDER router"})
	if st := w.state["web"]; st.FoldedInto != "" || !st.LastAlertAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("10:20 web = %+v: its DOWN was told, so it is not marked folded, and its last alert stays the 10:10 one", st)
	}
	a, _ = w.step(25*time.Minute, "web")
	eq(t, "10:25", a, []string{
		"RECOVERED router: router RECOVERED after 25m down",
		// No longer covered, still down, its reminder is due: told as ever.
		"REMINDER web: web is still DOWN since 2026-11-21 10:00 UTC (25m): connection refused",
	})
	a, _ = w.step(30 * time.Minute)
	eq(t, "10:30", a, []string{"RECOVERED web: web RECOVERED after 30m down"})
}

func TestFoldRules(t *testing.T) {
	t.Run("a dependent whose channels the dependency lacks alerts on its own", func(t *testing.T) {
		web := tgt("web", "router")
		web.Channels = []string{"ops", "shop-team"}
		w := newWorld(t, tgt("router"), web)
		w.step(0)
		w.step(time.Minute, "router", "web")
		a, f := w.step(2*time.Minute, "router", "web")
		eq(t, "alerts", a, []string{
			"DOWN router: router is DOWN since 2026-11-21 10:00 UTC: connection refused",
			"DOWN web: web is DOWN since 2026-11-21 10:00 UTC: connection refused",
		})
		eq(t, "folded", f, nil)
	})
	t.Run("dependencies of dependencies fold into the first failing root", func(t *testing.T) {
		w := newWorld(t, tgt("router"), tgt("switch", "router"), tgt("web", "switch"), tgt("db", "other", "switch"), tgt("other"))
		w.step(0)
		w.step(time.Minute, "router", "switch", "web", "db")
		a, f := w.step(2*time.Minute, "router", "switch", "web", "db")
		eq(t, "alerts", a, []string{"DOWN router: router is DOWN since 2026-11-21 10:00 UTC: connection refused; 3 dependent targets also failing: db, switch, web"})
		eq(t, "folded", f, []string{"switch DOWN router", "web DOWN router", "db DOWN router"})
		// The router comes back; the switch does not: the switch tells its
		// own outage, and the targets behind it fold into it.
		a, f = w.step(3*time.Minute, "switch", "web", "db")
		eq(t, "alerts after the router", a, []string{
			"RECOVERED router: router RECOVERED after 3m down; 1 dependent target still failing, now alerted on their own: switch",
			"DOWN switch: switch is DOWN since 2026-11-21 10:00 UTC: connection refused (folded into router's alerts since 2026-11-21 10:02 UTC); 2 dependent targets also failing: db, web",
		})
		eq(t, "folded after the router", f, nil)
		if w.state["web"].FoldedInto != "switch" || w.state["db"].FoldedInto != "switch" {
			t.Errorf("web, db folded into %q, %q; want switch", w.state["web"].FoldedInto, w.state["db"].FoldedInto)
		}
	})
	t.Run("a dependency that is not failing covers nothing", func(t *testing.T) {
		w := newWorld(t, tgt("router"), tgt("web", "router"))
		w.step(0)
		w.step(time.Minute, "web")
		a, f := w.step(2*time.Minute, "web")
		eq(t, "alerts", a, []string{"DOWN web: web is DOWN since 2026-11-21 10:00 UTC: connection refused"})
		eq(t, "folded", f, nil)
	})
	t.Run("a dependent that recovers while folded raises nothing", func(t *testing.T) {
		w := newWorld(t, tgt("router"), tgt("web", "router"))
		w.step(0)
		w.step(time.Minute, "router", "web")
		w.step(2*time.Minute, "router", "web")
		a, f := w.step(3*time.Minute, "router")
		eq(t, "alerts", a, nil)
		eq(t, "folded", f, []string{"web RECOVERED router"})
		// The router's reminder-free outage goes on; it recovers alone.
		a, _ = w.step(4 * time.Minute)
		eq(t, "router back", a, []string{"RECOVERED router: router RECOVERED after 4m down"})
	})
	t.Run("a paused dependency covers nothing", func(t *testing.T) {
		w := newWorld(t, tgt("router"), tgt("web", "router"))
		w.step(0)
		w.step(time.Minute, "router")
		w.step(2*time.Minute, "router")
		st := w.state["router"]
		st.Paused = &hold.Pause{By: "ops"}
		w.state["router"] = st
		// status.Decide keeps a paused target's state; here the router
		// stays DOWN and paused while web fails.
		w.pin = map[string]status.TargetState{"router": st}
		w.step(3*time.Minute, "router", "web")
		a, f := w.step(4*time.Minute, "router", "web")
		eq(t, "alerts", a, []string{"DOWN web: web is DOWN since 2026-11-21 10:02 UTC: connection refused"})
		eq(t, "folded", f, nil)
	})
	t.Run("the dependency's reminder names the dependents", func(t *testing.T) {
		router := tgt("router")
		router.RemindEvery = target.Duration(30 * time.Minute)
		w := newWorld(t, router, tgt("web", "router"))
		w.step(0)
		w.step(time.Minute, "router", "web")
		w.step(2*time.Minute, "router", "web")
		a, _ := w.step(32*time.Minute, "router", "web")
		eq(t, "alerts", a, []string{"REMINDER router: router is still DOWN since 2026-11-21 10:00 UTC (32m): connection refused; 1 dependent target also failing: web"})
	})
}

func TestFoldNamesAtMostTen(t *testing.T) {
	targets := []target.Target{tgt("router")}
	var failing []string
	for i := range 12 {
		name := fmt.Sprintf("svc%02d", i)
		targets = append(targets, tgt(name, "router"))
		failing = append(failing, name)
	}
	w := newWorld(t, targets...)
	w.step(0)
	w.step(time.Minute, append(failing, "router")...)
	a, _ := w.step(2*time.Minute, append(failing, "router")...)
	eq(t, "alerts", a, []string{"DOWN router: router is DOWN since 2026-11-21 10:00 UTC: connection refused; 12 dependent targets also failing: svc00, svc01, svc02, svc03, svc04, svc05, svc06, svc07, svc08, svc09 and 2 more"})
}
