package status

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// step is one CheckStaleness run at t0+at with the echo and pulse it sees.
type step struct {
	at     time.Duration
	echo   *probe.Result
	pulse  *time.Duration // pulse LastModified as an offset from t0
	want   string         // status after the step
	alerts []string       // alert IDs raised by the step
	text   string         // when set, the first alert's text
}

func good(at time.Duration) *probe.Result {
	return &probe.Result{Target: "web", Up: true, CheckedAt: t0.Add(at), StatusCode: 200}
}

func bad(at time.Duration) *probe.Result {
	return &probe.Result{Target: "web", CheckedAt: t0.Add(at), StatusCode: 503, Failures: []string{"status 503, want 200-399"}}
}

func pulseAt(at time.Duration) *time.Duration { return &at }

func web(mod func(*target.Target)) target.Target {
	t := target.Target{
		Name: "web", Kind: target.KindHTTP, URL: "https://example.com/health",
		StaleAfter:       target.Duration(15 * time.Minute),
		FailureThreshold: 2, SuccessThreshold: 1,
		Channels: []string{"ops"},
	}
	if mod != nil {
		mod(&t)
	}
	return t
}

func beat(mod func(*target.Target)) target.Target {
	t := target.Target{
		Name: "beat", Kind: target.KindPush, Heartbeat: true,
		StaleAfter: target.Duration(15 * time.Minute), FailureThreshold: 2, SuccessThreshold: 1,
		Channels: []string{"ops"}, Source: "pulse/beat.json",
	}
	if mod != nil {
		mod(&t)
	}
	return t
}

const m = time.Minute

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		target target.Target
		steps  []step
	}{
		{
			name:   "original rule: last good echo older than staleAfter while echoes arrive is DOWN since the last good echo",
			target: web(func(t *target.Target) { t.FailureThreshold = 100 }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 5 * m, echo: bad(5 * m), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Up},
				{at: 15 * m, echo: bad(15 * m), want: Up}, // exactly staleAfter: not older
				{at: 15*m + time.Second, echo: bad(15*m + time.Second), want: Down, alerts: []string{"web-down-2"},
					text: "web is DOWN since 2026-11-21 10:00 UTC: status 503, want 200-399"},
				{at: 20 * m, echo: bad(20 * m), want: Down},
			},
		},
		{
			name:   "docs/status.md timeline, defaults",
			target: web(nil),
			steps: []step{
				{at: 0 + 5*time.Second, echo: good(0), want: Up},
				{at: 5*m + 5*time.Second, echo: bad(5 * m), want: Up},
				{at: 10*m + 5*time.Second, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 15*m + 5*time.Second, echo: bad(15 * m), want: Down},
				{at: 20*m + 5*time.Second, echo: bad(20 * m), want: Down},
				{at: 25*m + 5*time.Second, echo: good(25 * m), want: Up, alerts: []string{"web-recovered-3"}, text: "web RECOVERED after 25m down"},
				{at: 30*m + 5*time.Second, echo: good(25 * m), want: Up},
				{at: 35*m + 5*time.Second, echo: good(25 * m), want: Up},
				{at: 40*m + 5*time.Second, echo: good(25 * m), want: Stale, alerts: []string{"web-stale-4"},
					text: "web is STALE: no check result since 2026-11-21 10:25 UTC; is the monitor running?"},
			},
		},
		{
			name:   "docs/status.md timeline, failureThreshold 100",
			target: web(func(t *target.Target) { t.FailureThreshold = 100 }),
			steps: []step{
				{at: 0 + 5*time.Second, echo: good(0), want: Up},
				{at: 5*m + 5*time.Second, echo: bad(5 * m), want: Up},
				{at: 10*m + 5*time.Second, echo: bad(10 * m), want: Up},
				{at: 15*m + 5*time.Second, echo: bad(15 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 25*m + 5*time.Second, echo: good(25 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 40*m + 5*time.Second, echo: good(25 * m), want: Stale, alerts: []string{"web-stale-4"}},
			},
		},
		{
			name:   "failureThreshold 1: the first failure is DOWN, the next good echo RECOVERED",
			target: web(func(t *target.Target) { t.FailureThreshold = 1 }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 20 * m, echo: bad(20 * m), want: Down},
				{at: 35 * m, echo: good(35 * m), want: Up, alerts: []string{"web-recovered-3"}, text: "web RECOVERED after 35m down"},
			},
		},
		{
			name:   "failureThreshold 3: DOWN on the third consecutive failure",
			target: web(func(t *target.Target) { t.FailureThreshold = 3 }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 1 * m, echo: bad(1 * m), want: Up},
				{at: 2 * m, echo: bad(2 * m), want: Up},
				{at: 3 * m, echo: bad(3 * m), want: Down, alerts: []string{"web-down-2"}},
			},
		},
		{
			name:   "successThreshold 3: UP again only on the third consecutive good echo",
			target: web(func(t *target.Target) { t.FailureThreshold = 1; t.SuccessThreshold = 3 }),
			steps: []step{
				{at: 0, echo: bad(0), want: Down, alerts: []string{"web-down-1"}, text: "web is DOWN since 2026-11-21 10:00 UTC: status 503, want 200-399"},
				{at: 1 * m, echo: good(1 * m), want: Down},
				{at: 2 * m, echo: good(2 * m), want: Down},
				{at: 3 * m, echo: bad(3 * m), want: Down},
				{at: 4 * m, echo: good(4 * m), want: Down},
				{at: 5 * m, echo: good(5 * m), want: Down},
				{at: 6 * m, echo: good(6 * m), want: Up, alerts: []string{"web-recovered-2"}, text: "web RECOVERED after 6m down"},
			},
		},
		{
			name:   "successThreshold 3 from UNKNOWN: stays UNKNOWN until three good echoes, sends nothing",
			target: web(func(t *target.Target) { t.SuccessThreshold = 3 }),
			steps: []step{
				{at: 0, echo: good(0), want: Unknown},
				{at: 1 * m, echo: good(1 * m), want: Unknown},
				{at: 2 * m, echo: good(2 * m), want: Up},
			},
		},
		{
			name:   "flapping below failureThreshold 2 never alerts",
			target: web(nil),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 1 * m, echo: bad(1 * m), want: Up},
				{at: 2 * m, echo: good(2 * m), want: Up},
				{at: 3 * m, echo: bad(3 * m), want: Up},
				{at: 4 * m, echo: good(4 * m), want: Up},
				{at: 5 * m, echo: bad(5 * m), want: Up},
			},
		},
		{
			name:   "flapping with failureThreshold 1 and successThreshold 2 alerts once each way",
			target: web(func(t *target.Target) { t.FailureThreshold = 1; t.SuccessThreshold = 2 }),
			steps: []step{
				{at: 0, echo: good(0), want: Unknown},
				{at: 1 * m, echo: good(1 * m), want: Up},
				{at: 2 * m, echo: bad(2 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 3 * m, echo: good(3 * m), want: Down},
				{at: 4 * m, echo: bad(4 * m), want: Down},
				{at: 5 * m, echo: good(5 * m), want: Down},
				{at: 6 * m, echo: good(6 * m), want: Up, alerts: []string{"web-recovered-3"}},
			},
		},
		{
			name:   "an echo already processed is counted once",
			target: web(nil),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 1 * m, echo: bad(1 * m), want: Up},
				{at: 2 * m, echo: bad(1 * m), want: Up}, // the same echo, seen by a second run
				{at: 3 * m, echo: bad(1 * m), want: Up},
				{at: 4 * m, echo: bad(30 * time.Second), want: Up}, // older than the last processed
				{at: 5 * m, echo: bad(5 * m), want: Down, alerts: []string{"web-down-2"}},
			},
		},
		{
			name:   "no echo at all within staleAfter is STALE since first seen",
			target: web(nil),
			steps: []step{
				{at: 0, want: Unknown},
				{at: 15 * m, want: Unknown},
				{at: 15*m + time.Nanosecond, want: Stale, alerts: []string{"web-stale-1"},
					text: "web is STALE: no check result since 2026-11-21 10:00 UTC; is the monitor running?"},
			},
		},
		{
			name:   "echoes stop: STALE since the last echo; a good echo RECOVERED",
			target: web(nil),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: good(10 * m), want: Up},
				{at: 20 * m, echo: good(10 * m), want: Up},
				{at: 25 * m, echo: good(10 * m), want: Up},
				{at: 25*m + time.Second, echo: good(10 * m), want: Stale, alerts: []string{"web-stale-2"},
					text: "web is STALE: no check result since 2026-11-21 10:10 UTC; is the monitor running?"},
				{at: 40 * m, echo: good(40 * m), want: Up, alerts: []string{"web-recovered-3"}, text: "web RECOVERED after 30m stale"},
			},
		},
		{
			name:   "a gap breaks the success streak",
			target: web(func(t *target.Target) { t.SuccessThreshold = 2 }),
			steps: []step{
				{at: 0, echo: good(0), want: Unknown},
				{at: 1 * m, echo: good(1 * m), want: Up},
				{at: 2 * m, echo: good(2 * m), want: Up},
				{at: 30 * m, want: Stale, alerts: []string{"web-stale-2"}},
				{at: 31 * m, echo: good(31 * m), want: Stale},
				{at: 32 * m, echo: good(32 * m), want: Up, alerts: []string{"web-recovered-3"}},
			},
		},
		{
			name:   "STALE then a failing echo is DOWN (the last good echo is old)",
			target: web(nil),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 20 * m, want: Stale, alerts: []string{"web-stale-2"}},
				{at: 21 * m, echo: bad(21 * m), want: Down, alerts: []string{"web-down-3"}},
			},
		},
		{
			name:   "DOWN then echoes stop is STALE",
			target: web(func(t *target.Target) { t.FailureThreshold = 1 }),
			steps: []step{
				{at: 0, echo: bad(0), want: Down, alerts: []string{"web-down-1"}},
				{at: 15 * m, echo: bad(0), want: Down},
				{at: 16 * m, echo: bad(0), want: Stale, alerts: []string{"web-stale-2"}},
			},
		},
		{
			name:   "default thresholds: failureThreshold 2, successThreshold 1, staleAfter 15m",
			target: web(func(t *target.Target) { t.FailureThreshold = 0; t.SuccessThreshold = 0; t.StaleAfter = 0 }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 1 * m, echo: bad(1 * m), want: Up},
				{at: 2 * m, echo: bad(2 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 3 * m, echo: good(3 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 18 * m, want: Up},
				{at: 18*m + 1, want: Stale, alerts: []string{"web-stale-4"}},
			},
		},
		{
			name:   "push target: a fresh pulse is UP, an old one STALE, a new upload RECOVERED",
			target: beat(nil),
			steps: []step{
				{at: 0, pulse: pulseAt(-time.Minute), want: Up},
				{at: 14 * m, pulse: pulseAt(-time.Minute), want: Up},
				{at: 14*m + time.Second, pulse: pulseAt(-time.Minute), want: Stale, alerts: []string{"beat-stale-2"},
					text: "beat is STALE: no heartbeat since 2026-11-21 09:59 UTC"},
				{at: 30 * m, pulse: pulseAt(-time.Minute), want: Stale},
				{at: 31 * m, pulse: pulseAt(30 * m), want: Up, alerts: []string{"beat-recovered-3"}, text: "beat RECOVERED after 31m stale"},
			},
		},
		{
			name:   "push target: its echoes are ignored, only the pulse counts",
			target: beat(nil),
			steps: []step{
				{at: 0, pulse: pulseAt(0), echo: bad(0), want: Up},
				{at: 5 * m, pulse: pulseAt(0), echo: bad(5 * m), want: Up},
			},
		},
		{
			name:   "push target without any pulse: UNKNOWN, then STALE after staleAfter",
			target: beat(nil),
			steps: []step{
				{at: 0, want: Unknown},
				{at: 15 * m, want: Unknown},
				{at: 15*m + time.Second, want: Stale, alerts: []string{"beat-stale-1"}, text: "beat is STALE: no heartbeat since 2026-11-21 10:00 UTC"},
				{at: 16 * m, pulse: pulseAt(16 * m), want: Up, alerts: []string{"beat-recovered-2"}},
			},
		},
		{
			name: "push target with a URL: a stale pulse is STALE even while probes pass",
			target: web(func(t *target.Target) {
				t.Heartbeat = true
			}),
			steps: []step{
				{at: 0, pulse: pulseAt(0), echo: good(0), want: Up},
				{at: 10 * m, pulse: pulseAt(0), echo: good(10 * m), want: Up},
				{at: 20 * m, pulse: pulseAt(0), echo: good(20 * m), want: Stale, alerts: []string{"web-stale-2"},
					text: "web is STALE: no heartbeat since 2026-11-21 10:00 UTC"},
				{at: 30 * m, pulse: pulseAt(25 * m), echo: good(30 * m), want: Up, alerts: []string{"web-recovered-3"}},
				{at: 31 * m, pulse: pulseAt(25 * m), echo: bad(31 * m), want: Up},
				{at: 32 * m, pulse: pulseAt(25 * m), echo: bad(32 * m), want: Down, alerts: []string{"web-down-4"}},
			},
		},
		{
			name:   "reminders every RemindEvery while DOWN, from the last alert; none after recovery",
			target: web(func(t *target.Target) { t.FailureThreshold = 1; t.RemindEvery = target.Duration(time.Hour) }),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 10 * m, echo: bad(10 * m), want: Down, alerts: []string{"web-down-2"}},
				{at: 69 * m, echo: bad(69 * m), want: Down},
				{at: 70 * m, echo: bad(70 * m), want: Down, alerts: []string{"web-reminder-3"},
					text: "web is still DOWN since 2026-11-21 10:00 UTC (1h 10m): status 503, want 200-399"},
				{at: 100 * m, echo: bad(100 * m), want: Down},
				{at: 130 * m, echo: bad(130 * m), want: Down, alerts: []string{"web-reminder-4"}},
				{at: 140 * m, echo: good(140 * m), want: Up, alerts: []string{"web-recovered-5"}, text: "web RECOVERED after 2h 20m down"},
				{at: 300 * m, echo: good(300 * m), want: Up},
			},
		},
		{
			name:   "reminders while STALE",
			target: beat(func(t *target.Target) { t.RemindEvery = target.Duration(30 * time.Minute) }),
			steps: []step{
				{at: 0, pulse: pulseAt(0), want: Up},
				{at: 20 * m, pulse: pulseAt(0), want: Stale, alerts: []string{"beat-stale-2"}},
				{at: 50 * m, pulse: pulseAt(0), want: Stale, alerts: []string{"beat-reminder-3"},
					text: "beat is still STALE: no heartbeat since 2026-11-21 10:00 UTC (50m)"},
			},
		},
		{
			name: "no channels: the status changes, no alert and no reminder",
			target: web(func(t *target.Target) {
				t.Channels = nil
				t.FailureThreshold = 1
				t.RemindEvery = target.Duration(time.Minute)
			}),
			steps: []step{
				{at: 0, echo: good(0), want: Up},
				{at: 1 * m, echo: bad(1 * m), want: Down},
				{at: 10 * m, echo: bad(10 * m), want: Down},
				{at: 11 * m, echo: good(11 * m), want: Up},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st TargetState
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				var pulse *time.Time
				if s.pulse != nil {
					p := t0.Add(*s.pulse)
					pulse = &p
				}
				var echo *probe.Result
				if s.echo != nil {
					e := *s.echo
					e.Target = tt.target.Name
					echo = &e
				}
				next, alerts := Decide(st, tt.target, echo, pulse, now, "")
				if next.Status != s.want {
					t.Fatalf("step %d (t0+%v): status %s, want %s (state %+v)", i, s.at, next.Status, s.want, next)
				}
				var ids []string
				for _, a := range alerts {
					ids = append(ids, a.ID)
				}
				if !slices.Equal(ids, s.alerts) {
					t.Fatalf("step %d (t0+%v): alerts %v, want %v", i, s.at, ids, s.alerts)
				}
				if s.text != "" && alerts[0].Text != s.text {
					t.Fatalf("step %d: text\n got %q\nwant %q", i, alerts[0].Text, s.text)
				}
				// Deciding again at the same moment with the same inputs changes nothing.
				again, more := Decide(next, tt.target, echo, pulse, now, "")
				if len(more) != 0 || again.Status != next.Status || again.Seq != next.Seq ||
					again.FailStreak != next.FailStreak || again.SuccessStreak != next.SuccessStreak {
					t.Fatalf("step %d: deciding twice is not idempotent: %+v then %+v, alerts %v", i, next, again, more)
				}
				st = next
			}
		})
	}
}

func TestDecideAlertFields(t *testing.T) {
	tgt := web(func(t *target.Target) { t.FailureThreshold = 1; t.Channels = []string{"ops", "pager"} })
	st, _ := Decide(TargetState{}, tgt, good(0), nil, t0, "")
	now := t0.Add(10 * m)
	next, alerts := Decide(st, tgt, bad(9*m), nil, now, "")
	if len(alerts) != 1 {
		t.Fatalf("alerts = %v, want one", alerts)
	}
	a := alerts[0]
	if a.ID != "web-down-2" || a.Kind != outbox.KindDown || a.Target != "web" {
		t.Errorf("id/kind/target = %s/%s/%s", a.ID, a.Kind, a.Target)
	}
	if !a.Since.Equal(t0) || !a.At.Equal(now) || !a.Deadline.Equal(now.Add(outbox.DefaultDeadline)) {
		t.Errorf("since/at/deadline = %v/%v/%v", a.Since, a.At, a.Deadline)
	}
	if a.Endpoint != "https://example.com/health" {
		t.Errorf("endpoint = %q", a.Endpoint)
	}
	if !slices.Equal(a.Failures, []string{"status 503, want 200-399"}) {
		t.Errorf("failures = %v", a.Failures)
	}
	if len(a.Deliveries) != 2 || a.Deliveries["ops"].Status != outbox.Pending || a.Deliveries["pager"].Status != outbox.Pending {
		t.Errorf("deliveries = %v", a.Deliveries)
	}
	if !next.LastAlertAt.Equal(now) || !next.Since.Equal(t0) || next.Seq != 2 {
		t.Errorf("state after alert = %+v", next)
	}
	// The alert does not share memory with the state.
	a.Failures[0] = "changed"
	if next.LastFailures[0] == "changed" {
		t.Error("alert failures alias the state's")
	}

	tcp := web(func(t *target.Target) {
		t.URL = ""
		t.Kind = target.KindTCP
		t.Address = "db:5432"
		t.FailureThreshold = 1
	})
	_, alerts = Decide(TargetState{}, tcp, bad(0), nil, t0, "")
	if len(alerts) != 1 || alerts[0].Endpoint != "db:5432" {
		t.Errorf("tcp alert endpoint: %+v", alerts)
	}
}

func TestDecideKeepsPreviousState(t *testing.T) {
	prev := TargetState{Target: "web", Status: Up, Since: t0, FirstSeenAt: t0.Add(-time.Hour),
		LastEchoAt: t0, LastGoodAt: t0, SuccessStreak: 4, Seq: 7, LastFailures: []string{"x"}}
	next, _ := Decide(prev, web(nil), bad(time.Minute), nil, t0.Add(time.Minute), "")
	if prev.FailStreak != 0 || prev.SuccessStreak != 4 || !slices.Equal(prev.LastFailures, []string{"x"}) {
		t.Errorf("Decide changed its input: %+v", prev)
	}
	if !next.FirstSeenAt.Equal(prev.FirstSeenAt) || next.Seq != 7 || next.FailStreak != 1 {
		t.Errorf("next = %+v", next)
	}
}

func TestHumanDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {45 * time.Second, "45s"}, {25 * m, "25m"}, {25*m + 29*time.Second, "25m"},
		{time.Hour, "1h"}, {80 * m, "1h 20m"}, {24 * time.Hour, "1d"}, {51 * time.Hour, "2d 3h"},
	} {
		if got := HumanDuration(tt.d); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAlertID(t *testing.T) {
	if id := AlertID("web-eu", outbox.KindRecovered, 12, ""); id != "web-eu-recovered-12" {
		t.Fatalf("AlertID without raiser = %q", id)
	}
	r := RaiserOf("run-20261121-200127-4ff3fb")
	if id := AlertID("web-eu", outbox.KindRecovered, 12, r); id != "web-eu-recovered-12-"+r || len(r) != 12 {
		t.Fatalf("AlertID = %q (raiser %q)", id, r)
	}
	// Every attempt of one execution picks the same IDs; other executions,
	// and runs without a name, pick others.
	if RaiserOf("run-20261121-200127-4ff3fb") != r {
		t.Fatal("RaiserOf is not stable for one execution name")
	}
	seen := map[string]bool{r: true}
	for _, run := range []string{"run-20261121-200127-4ff3fc", "", "", "check-1"} {
		got := RaiserOf(run)
		if seen[got] || len(got) != 12 {
			t.Fatalf("RaiserOf(%q) = %q: not a fresh 12-digit raiser", run, got)
		}
		seen[got] = true
	}
}

// A target's alerts carry what orders them (seq, the state's epoch) and a
// link to the alert before them, so Notify can deliver them in order.
func TestAlertsAreChained(t *testing.T) {
	tgt := web(nil)
	st, _ := Decide(TargetState{}, tgt, good(0), nil, t0, "r1")
	st, _ = Decide(st, tgt, bad(m), nil, t0.Add(m), "r2") // failureThreshold 2
	st, down := Decide(st, tgt, bad(2*m), nil, t0.Add(2*m), "r3")
	st, up := Decide(st, tgt, good(3*m), nil, t0.Add(3*m), "r4")
	if len(down) != 1 || len(up) != 1 {
		t.Fatalf("alerts %v, %v; want one DOWN, one RECOVERED", down, up)
	}
	d, u := down[0], up[0]
	if d.Prev != "" || u.Prev != d.ID || st.LastAlertID != u.ID {
		t.Errorf("prev links: down.prev %q, recovered.prev %q (want %q), state's last alert %q", d.Prev, u.Prev, d.ID, st.LastAlertID)
	}
	if !d.Epoch.Equal(t0) || !u.Epoch.Equal(t0) || d.Seq >= u.Seq || !outbox.Before(d, u) || outbox.Before(u, d) {
		t.Errorf("order: down epoch %v seq %d, recovered epoch %v seq %d", d.Epoch, d.Seq, u.Epoch, u.Seq)
	}
	if d.ID != AlertID("web", outbox.KindDown, d.Seq, "r3") {
		t.Errorf("down id %q, want it built from its run's raiser", d.ID)
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, in, err string
	}{
		{"empty object", `{}`, ""},
		{"valid", `{"targets":{"web":{"target":"web","status":"DOWN","seq":3}},"updatedAt":"2026-11-21T10:00:00Z"}`, ""},
		{"bad status", `{"targets":{"web":{"target":"web","status":"SICK"}}}`, `targets.web.status: "SICK"`},
		{"name mismatch", `{"targets":{"web":{"target":"api","status":"UP"}}}`, `targets.web.target: "api" does not match`},
		{"not json", `nope`, "parse state/status.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if tt.err == "" {
				if err != nil || f.Targets == nil {
					t.Fatalf("Parse: %v, targets %v", err, f.Targets)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want it to contain %q", err, tt.err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"targets":{"web":{"target":"web","status":"UP","seq":1,"lastFailures":["a"]}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"targets":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for name, st := range file.Targets {
			if st.Target != name {
				t.Fatalf("accepted mismatched entry %q", name)
			}
			// Any accepted state can be decided on without panicking.
			Decide(st, web(func(t *target.Target) { t.Name = name }), nil, nil, t0, "")
		}
	})
}

// TestDecideCountsBlips checks that a blip (a failure its re-check did not
// confirm) is a good check for the streaks, raises nothing, and is
// counted; a confirmed failure at failureThreshold 1 is DOWN at once.
func TestDecideCountsBlips(t *testing.T) {
	tg := web(func(t *target.Target) {
		t.FailureThreshold = 1
		t.Confirm = &target.Confirm{Attempts: 1, Interval: target.Duration(time.Second)}
	})
	blip := good(time.Minute)
	blip.Confirm = &probe.Confirmation{Rechecks: 1, Blip: true, FirstFailures: []string{"status 503, want 200-399"}}
	st, alerts := Decide(TargetState{}, tg, good(0), nil, t0, "r1")
	st, alerts2 := Decide(st, tg, blip, nil, t0.Add(time.Minute), "r2")
	if st.Status != Up || len(alerts)+len(alerts2) != 0 || st.Blips != 1 || !st.LastBlipAt.Equal(t0.Add(time.Minute)) || st.FailStreak != 0 {
		t.Fatalf("after a blip: %+v with %d alerts, want UP, no alert, 1 blip at +1m, no failure streak", st, len(alerts)+len(alerts2))
	}
	down := bad(2 * time.Minute)
	down.Confirm = &probe.Confirmation{Rechecks: 1, Confirmed: true}
	st, alerts = Decide(st, tg, down, nil, t0.Add(2*time.Minute), "r3")
	if st.Status != Down || len(alerts) != 1 || alerts[0].Kind != outbox.KindDown || st.Blips != 1 {
		t.Fatalf("after a confirmed failure: %+v with alerts %+v, want DOWN and one DOWN alert", st, alerts)
	}
}
