package status

import (
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/window"
)

// heldStep is one CheckStaleness run at t0+at.
type heldStep struct {
	at    time.Duration
	echo  *probe.Result
	holds Holds
	want  string // Shown() after the step
	kinds []string
	text  string // when set, a substring of the first alert's text
}

func mustWindow(t *testing.T, s window.Spec) window.Window {
	t.Helper()
	w, errs := window.FromSpec(s)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return w
}

func sp(s string) *string { return &s }

func runHeld(t *testing.T, tgt target.Target, steps []heldStep) TargetState {
	t.Helper()
	clk := clock.NewManual(t0)
	var st TargetState
	lastID := "" // every alert's prev is the alert raised before it
	for i, s := range steps {
		clk.Set(t0.Add(s.at))
		var alerts []outbox.Alert
		st, alerts = DecideHeld(st, tgt, s.echo, nil, clk.Now(), RaiserOf("run"), s.holds)
		var kinds []string
		for _, a := range alerts {
			kinds = append(kinds, a.Kind)
		}
		if st.Shown() != s.want || strings.Join(kinds, ",") != strings.Join(s.kinds, ",") {
			t.Fatalf("step %d (+%s): shown %s alerts %v, want %s %v (state %+v)", i, s.at, st.Shown(), kinds, s.want, s.kinds, st)
		}
		if s.text != "" && (len(alerts) == 0 || !strings.Contains(alerts[0].Text, s.text)) {
			t.Fatalf("step %d (+%s): alerts %+v, want text containing %q", i, s.at, alerts, s.text)
		}
		for _, a := range alerts {
			if a.Seq != st.Seq || a.ID != st.LastAlertID || a.Prev != lastID {
				t.Fatalf("step %d: alert %s seq %d prev %q, state seq %d last %s, previous alert %q", i, a.ID, a.Seq, a.Prev, st.Seq, st.LastAlertID, lastID)
			}
			lastID = a.ID
		}
	}
	return st
}

// A one-off window 10:10-10:40 over an outage 10:15-10:30: the DOWN and
// RECOVERED alerts are held, and the first run after the window sends one
// summary.
func TestMaintenanceHoldsAlertsAndSummarises(t *testing.T) {
	tgt := web(func(tt *target.Target) {
		tt.Maintenance = []window.Window{mustWindow(t, window.Spec{Start: sp("2026-11-21T10:10:00Z"), End: sp("2026-11-21T10:40:00Z")})}
	})
	runHeld(t, tgt, []heldStep{
		{at: 0, echo: good(0), want: Up},
		{at: 10 * time.Minute, echo: good(10 * time.Minute), want: InMaintenance},
		{at: 15 * time.Minute, echo: bad(15 * time.Minute), want: InMaintenance},
		{at: 20 * time.Minute, echo: bad(20 * time.Minute), want: InMaintenance}, // DOWN, held
		{at: 25 * time.Minute, echo: bad(25 * time.Minute), want: InMaintenance},
		{at: 30 * time.Minute, echo: good(30 * time.Minute), want: InMaintenance}, // RECOVERED, held
		{at: 40 * time.Minute, echo: good(40 * time.Minute), want: Up, kinds: []string{outbox.KindMaintenance},
			text: "web: maintenance 2026-11-21 10:10 UTC to 10:40 UTC is over: UP → DOWN → UP, 3 of 5 checks failed; now UP"},
		{at: 45 * time.Minute, echo: good(45 * time.Minute), want: Up},
	})
}

// A target still DOWN after the window: the summary says so, with the
// failures, and reminders resume remindEvery after it.
func TestMaintenanceSummaryOfATargetStillDown(t *testing.T) {
	tgt := web(func(tt *target.Target) {
		tt.RemindEvery = target.Duration(30 * time.Minute)
		tt.Maintenance = []window.Window{mustWindow(t, window.Spec{Cron: sp("10 10 * * *"), Duration: sp("20m")})}
	})
	runHeld(t, tgt, []heldStep{
		{at: 0, echo: good(0), want: Up},
		{at: 10 * time.Minute, echo: bad(10 * time.Minute), want: InMaintenance},
		{at: 20 * time.Minute, echo: bad(20 * time.Minute), want: InMaintenance},
		{at: 30 * time.Minute, echo: bad(30 * time.Minute), want: Down, kinds: []string{outbox.KindMaintenance},
			text: "UP → DOWN, 2 of 2 checks failed; now DOWN since 2026-11-21 10:00 UTC: status 503, want 200-399"},
		{at: 50 * time.Minute, echo: bad(50 * time.Minute), want: Down},
		{at: 60 * time.Minute, echo: bad(60 * time.Minute), want: Down, kinds: []string{outbox.KindReminder}},
	})
}

// The run right after the window changes the status itself: one alert,
// the summary, which tells the change.
func TestMaintenanceSummaryReplacesTheRunsOwnAlert(t *testing.T) {
	tgt := web(func(tt *target.Target) {
		tt.Maintenance = []window.Window{mustWindow(t, window.Spec{Start: sp("2026-11-21T10:05:00Z"), End: sp("2026-11-21T10:15:00Z")})}
	})
	runHeld(t, tgt, []heldStep{
		{at: 0, echo: good(0), want: Up},
		{at: 10 * time.Minute, echo: bad(10 * time.Minute), want: InMaintenance},
		{at: 20 * time.Minute, echo: bad(20 * time.Minute), want: Down, kinds: []string{outbox.KindMaintenance},
			text: "UP → DOWN, 1 of 1 checks failed; now DOWN"},
	})
}

// A weekly window in Europe/Berlin, 02:00 for 1h, across the October
// change of the clocks: it holds at 02:30 local the week before (CEST) and
// after (CET); on the day of the change 02:00 happens twice, and the window
// opens at the first for one real hour, so the second 02:30 is outside it.
func TestMaintenanceRecurringAcrossDST(t *testing.T) {
	w := mustWindow(t, window.Spec{Cron: sp("0 2 * * SUN"), Duration: sp("1h"), TimeZone: sp("Europe/Berlin")})
	tgt := web(func(tt *target.Target) { tt.Maintenance = []window.Window{w} })
	for _, tt := range []struct {
		at   string
		want string
	}{
		{"2026-10-18T00:30:00Z", InMaintenance}, // 02:30 CEST
		{"2026-10-18T01:30:00Z", Unknown},       // 03:30 CEST
		{"2026-10-25T00:30:00Z", InMaintenance}, // the first 02:30
		{"2026-10-25T01:30:00Z", Unknown},       // the second 02:30 (CET)
		{"2026-11-01T01:30:00Z", InMaintenance}, // 02:30 CET
		{"2026-11-01T00:30:00Z", Unknown},       // 01:30 CET
	} {
		clk := clock.NewManual(time.Time{})
		now, _ := time.Parse(time.RFC3339, tt.at)
		clk.Set(now)
		st, alerts := DecideHeld(TargetState{}, tgt, &probe.Result{Target: "web", CheckedAt: clk.Now(), Failures: []string{"x"}}, nil, clk.Now(), "r", Holds{})
		if st.Shown() != tt.want || len(alerts) != 0 {
			t.Errorf("%s: shown %s alerts %d, want %s and none", tt.at, st.Shown(), len(alerts), tt.want)
		}
	}
}

// A paused target keeps its state, raises nothing however long it is
// paused, and its ages start again when it is resumed.
func TestPauseKeepsStateAndRaisesNothing(t *testing.T) {
	p := &hold.Pause{At: t0.Add(5 * time.Minute), By: "alice"}
	st := runHeld(t, web(nil), []heldStep{
		{at: 0, echo: good(0), want: Up},
		{at: 5 * time.Minute, holds: Holds{Pause: p}, want: Paused},
		{at: 2 * time.Hour, holds: Holds{Pause: p}, want: Paused}, // no echo for 2h: not STALE
		{at: 2*time.Hour + 5*time.Minute, want: Up},               // resumed
		{at: 2*time.Hour + 15*time.Minute, want: Up},              // 10m without an echo: within staleAfter of the resume
		{at: 2*time.Hour + 21*time.Minute, want: Stale, kinds: []string{outbox.KindStale}},
	})
	if st.Paused != nil || !st.ResumedAt.Equal(t0.Add(2*time.Hour+5*time.Minute)) {
		t.Fatalf("paused %v resumedAt %v", st.Paused, st.ResumedAt)
	}
}

// An acknowledged DOWN target sends no reminders; its recovery says who
// acknowledged it and when; a later outage is not covered by the old ack.
func TestAckStopsRemindersUntilRecovery(t *testing.T) {
	tgt := web(func(tt *target.Target) { tt.RemindEvery = target.Duration(10 * time.Minute) })
	ack := &hold.Ack{At: t0.Add(12 * time.Minute), By: "alice", Note: "on it"}
	runHeld(t, tgt, []heldStep{
		{at: 0, echo: good(0), want: Up},
		{at: 5 * time.Minute, echo: bad(5 * time.Minute), want: Up},
		{at: 10 * time.Minute, echo: bad(10 * time.Minute), want: Down, kinds: []string{outbox.KindDown}},
		{at: 20 * time.Minute, echo: bad(20 * time.Minute), holds: Holds{Ack: ack}, want: Down},
		{at: 30 * time.Minute, echo: bad(30 * time.Minute), holds: Holds{Ack: ack}, want: Down},
		{at: 40 * time.Minute, echo: good(40 * time.Minute), holds: Holds{Ack: ack}, want: Up, kinds: []string{outbox.KindRecovered},
			text: "web RECOVERED after 40m down (acknowledged by alice at 2026-11-21 10:12 UTC: on it)"},
		{at: 45 * time.Minute, echo: bad(45 * time.Minute), holds: Holds{Ack: ack}, want: Up},
		{at: 50 * time.Minute, echo: bad(50 * time.Minute), holds: Holds{Ack: ack}, want: Down, kinds: []string{outbox.KindDown}},
		{at: 60 * time.Minute, echo: bad(60 * time.Minute), holds: Holds{Ack: ack}, want: Down, kinds: []string{outbox.KindReminder}},
	})
	// Without the ack, the same outage is reminded of.
	runHeld(t, tgt, []heldStep{
		{at: 0, echo: good(0), want: Up},
		{at: 5 * time.Minute, echo: bad(5 * time.Minute), want: Up},
		{at: 10 * time.Minute, echo: bad(10 * time.Minute), want: Down, kinds: []string{outbox.KindDown}},
		{at: 20 * time.Minute, echo: bad(20 * time.Minute), want: Down, kinds: []string{outbox.KindReminder}},
	})
}
