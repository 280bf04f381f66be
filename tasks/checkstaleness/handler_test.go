package checkstaleness_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/tasks/checkstaleness"
)

const baseConfig = `
channels:
  ops: {type: sns}
defaults:
  channels: [ops]
  staleAfter: 15m
targets:
  - {name: web, url: "https://web.example/health", failureThreshold: 100}
  - {name: api, url: "https://api.example/", failureThreshold: 3, successThreshold: 2}
  - {name: db, tcp: "db.internal:5432", failureThreshold: 1, remindEvery: 30m}
`

// round is one run after advancing the clock and writing echoes and pulses.
type round struct {
	advance time.Duration
	echoes  map[string]bool // target → up
	pulses  []string        // pulse files (re)uploaded: name → body in pulseBodies
	want    map[string]string
	alerts  []string // alert IDs new in this round
}

var pulseBodies = map[string]string{"beat": `{"heartbeat": "10m"}`}

func TestRounds(t *testing.T) {
	tests := []struct {
		name   string
		rounds []round
	}{
		{
			name: "original rule: web's last good echo older than 15m while failures arrive is DOWN since then",
			rounds: []round{
				{echoes: map[string]bool{"web": true}, want: map[string]string{"web": status.Up}},
				{advance: 5 * time.Minute, echoes: map[string]bool{"web": false}, want: map[string]string{"web": status.Up}},
				{advance: 5 * time.Minute, echoes: map[string]bool{"web": false}, want: map[string]string{"web": status.Up}},
				{advance: 5 * time.Minute, echoes: map[string]bool{"web": false}, want: map[string]string{"web": status.Up}},
				{advance: time.Second, echoes: map[string]bool{"web": false}, want: map[string]string{"web": status.Down}, alerts: []string{"web-down-2"}},
				{advance: 5 * time.Minute, echoes: map[string]bool{"web": false}, want: map[string]string{"web": status.Down}},
			},
		},
		{
			name: "thresholds: api DOWN on the third failure, UP on the second success; db DOWN on the first",
			rounds: []round{
				{echoes: map[string]bool{"api": true, "db": true}, want: map[string]string{"api": status.Unknown, "db": status.Up}},
				{advance: time.Minute, echoes: map[string]bool{"api": true, "db": false}, want: map[string]string{"api": status.Up, "db": status.Down}, alerts: []string{"db-down-2"}},
				{advance: time.Minute, echoes: map[string]bool{"api": false}, want: map[string]string{"api": status.Up}},
				{advance: time.Minute, echoes: map[string]bool{"api": false}, want: map[string]string{"api": status.Up}},
				{advance: time.Minute, echoes: map[string]bool{"api": false}, want: map[string]string{"api": status.Down}, alerts: []string{"api-down-2"}},
				{advance: time.Minute, echoes: map[string]bool{"api": true, "db": true}, want: map[string]string{"api": status.Down, "db": status.Up}, alerts: []string{"db-recovered-3"}},
				{advance: time.Minute, echoes: map[string]bool{"api": true}, want: map[string]string{"api": status.Up}, alerts: []string{"api-recovered-3"}},
			},
		},
		{
			name: "no echo at all within staleAfter is STALE",
			rounds: []round{
				{want: map[string]string{"web": status.Unknown, "api": status.Unknown, "db": status.Unknown}},
				{advance: 15 * time.Minute, want: map[string]string{"web": status.Unknown}},
				{advance: time.Second, want: map[string]string{"web": status.Stale, "api": status.Stale, "db": status.Stale},
					alerts: []string{"api-stale-1", "db-stale-1", "web-stale-1"}},
				{advance: time.Minute, echoes: map[string]bool{"web": true}, want: map[string]string{"web": status.Up, "api": status.Stale}, alerts: []string{"web-recovered-2"}},
			},
		},
		{
			name: "push heartbeat: fresh pulse UP, older than its heartbeat STALE, re-upload RECOVERED",
			rounds: []round{
				{pulses: []string{"beat"}, want: map[string]string{"beat": status.Up}},
				{advance: 10 * time.Minute, want: map[string]string{"beat": status.Up}},
				{advance: time.Second, want: map[string]string{"beat": status.Stale}, alerts: []string{"beat-stale-2"}},
				{advance: 20 * time.Minute, want: map[string]string{"beat": status.Stale}},
				{advance: time.Minute, pulses: []string{"beat"}, want: map[string]string{"beat": status.Up}, alerts: []string{"beat-recovered-3"}},
			},
		},
		{
			name: "reminders every 30m while db is DOWN",
			rounds: []round{
				{echoes: map[string]bool{"db": false}, want: map[string]string{"db": status.Down}, alerts: []string{"db-down-1"}},
				{advance: 10 * time.Minute, echoes: map[string]bool{"db": false}, want: map[string]string{"db": status.Down}},
				{advance: 10 * time.Minute, echoes: map[string]bool{"db": false}, want: map[string]string{"db": status.Down}},
				{advance: 10 * time.Minute, echoes: map[string]bool{"db": false}, want: map[string]string{"db": status.Down}, alerts: []string{"db-reminder-2"}},
				{advance: 10 * time.Minute, echoes: map[string]bool{"db": true}, want: map[string]string{"db": status.Up}, alerts: []string{"db-recovered-3"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, baseConfig)
			// Only the targets a scenario is about are checked for alerts;
			// the others go STALE for want of echoes, as they should.
			watched := map[string]bool{}
			for _, r := range tt.rounds {
				for name := range r.want {
					watched[name] = true
				}
			}
			seen := map[string]bool{}
			for i, r := range tt.rounds {
				e.clk.Advance(r.advance)
				for name, up := range r.echoes {
					e.echo(name, up)
				}
				for _, p := range r.pulses {
					e.put("pulse/"+p+".json", pulseBodies[p])
				}
				out := e.run()
				st := e.state()
				for name, want := range r.want {
					if got := st.Targets[name].Status; got != want {
						t.Fatalf("round %d: %s is %s, want %s (%+v)", i, name, got, want, st.Targets[name])
					}
				}
				var fresh []string
				all := e.alerts()
				for _, id := range e.alertIDs() {
					if !seen[id] && watched[all[id].Target] {
						fresh = append(fresh, id)
						seen[id] = true
					}
				}
				var want []string
				for _, id := range r.alerts {
					want = append(want, id+"-"+status.RaiserOf("run-1"))
				}
				if !slices.Equal(fresh, want) {
					t.Fatalf("round %d: new alerts %v, want %v", i, fresh, want)
				}
				if out.Pending != len(all) {
					t.Fatalf("round %d: pending %d, want %d", i, out.Pending, len(seen))
				}
			}
		})
	}
}

func TestOutput(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.echo("web", true)
	e.echo("db", false)
	loaded := json.RawMessage(`{"targets":3,"batches":1,"problems":[],"problemCount":0}`)
	out, err := e.h.Handle(context.Background(), checkstaleness.In{Run: "exec-7", Trigger: "targeted", Loaded: loaded})
	if err != nil {
		t.Fatal(err)
	}
	if out.Run != "exec-7" || out.Trigger != "targeted" || string(out.Loaded) != string(loaded) {
		t.Errorf("run/trigger/loaded not echoed: %+v", out)
	}
	want := map[string]int{"UP": 1, "DOWN": 1, "STALE": 0, "UNKNOWN": 1}
	if mustJSON(t, out.Statuses) != mustJSON(t, want) {
		t.Errorf("statuses = %v, want %v", out.Statuses, want)
	}
	changes := mustJSON(t, out.Changes)
	wantChanges := `[{"target":"db","from":"UNKNOWN","to":"DOWN","since":"2026-11-21T10:00:00Z"},{"target":"web","from":"UNKNOWN","to":"UP","since":"2026-11-21T10:00:00Z"}]`
	if changes != wantChanges || out.ChangeCount != 2 {
		t.Errorf("changes = %s (%d)\nwant %s", changes, out.ChangeCount, wantChanges)
	}
	if out.Pending != 1 {
		t.Errorf("pending = %d, want 1", out.Pending)
	}
	a := e.alerts()["db-down-1-"+status.RaiserOf("exec-7")]
	if a.Text != "db is DOWN since 2026-11-21 10:00 UTC: status 503, want 200-399" || a.Endpoint != "db.internal:5432" ||
		a.Deliveries["ops"] == nil || a.Deliveries["ops"].Status != outbox.Pending || !a.Deadline.Equal(t0.Add(outbox.DefaultDeadline)) || a.Draft {
		t.Errorf("alert = %+v", a)
	}
	// The output is what the state machine reads: field names are the contract.
	b := mustJSON(t, out)
	for _, field := range []string{`"run"`, `"trigger"`, `"loaded"`, `"statuses"`, `"changes"`, `"pending"`} {
		if !strings.Contains(b, field) {
			t.Errorf("output %s lacks %s", b, field)
		}
	}
}
