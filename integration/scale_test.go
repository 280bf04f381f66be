package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

// kindCase is one kind of target and the outcome it must have.
type kindCase struct {
	name string
	// define returns the target's YAML (a flow mapping) or, for pulse
	// targets, "pulse:" followed by the pulse file's JSON.
	define func(name string) string
	up     bool
	// echo is false for push targets, which are never probed.
	echo bool
	// failure is a fragment of the echo's failures when not up.
	failure string
}

// peers are the targets' servers for the 200-target run.
type peers struct {
	http, tlsGood, tlsExpired string
	tcpUp, refused            string
}

func startPeers(t *testing.T, h *harness) peers {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/json", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"status": "ok", "checks": {"db": {"up": true}}}`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	plain := httpServer(t, mux)
	good := tlsServer(t, h.pki.leaf(loopbackIPs, nil, start.Add(-24*time.Hour), start.Add(90*24*time.Hour), false), mux)
	expired := tlsServer(t, h.pki.leaf(loopbackIPs, nil, start.Add(-48*time.Hour), start.Add(-24*time.Hour), false), mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return peers{http: plain.URL, tlsGood: good.URL, tlsExpired: expired.URL, tcpUp: ln.Addr().String(), refused: freePort(t)}
}

func kindCases(p peers) []kindCase {
	url := func(u, extra string) func(string) string {
		return func(n string) string { return fmt.Sprintf("{name: %s, url: %q%s}", n, u, extra) }
	}
	return []kindCase{
		{name: "http-up", define: url(p.http+"/ok", ", expect: {bodyContains: ok}"), up: true, echo: true},
		{name: "http-500", define: url(p.http+"/fail", ""), failure: "status 500"},
		{name: "body-mismatch", define: url(p.http+"/ok", ", expect: {body: pong}"), failure: `body "ok", want "pong"`},
		{name: "json-up", define: url(p.http+"/json", ", expect: {json: {status: ok, checks.db.up: true}}"), up: true, echo: true},
		{name: "json-down", define: url(p.http+"/json", ", expect: {json: {status: degraded}}"), failure: "status"},
		{name: "tcp-up", define: func(n string) string { return fmt.Sprintf("{name: %s, tcp: %q}", n, p.tcpUp) }, up: true, echo: true},
		{name: "tcp-refused", define: func(n string) string { return fmt.Sprintf("{name: %s, tcp: %q}", n, p.refused) }, failure: "connection refused"},
		{name: "https-up", define: url(p.tlsGood+"/ok", ", expect: {certValidFor: 720h}"), up: true, echo: true},
		{name: "https-expired", define: url(p.tlsExpired+"/ok", ""), failure: "certificate expired"},
		{name: "slow", define: url(p.http+"/slow", ", timeout: 300ms"), failure: "timeout after 300ms"},
		{name: "pulse", define: func(string) string { return fmt.Sprintf(`pulse:{"url": %q, "body": "ok"}`, p.http+"/ok") }, up: true, echo: true},
		{name: "heartbeat", define: func(string) string { return `pulse:{"heartbeat": "10m"}` }, up: true},
	}
	// Down cases have echo true too; set below.
}

// Scenario 4: a scheduled run over 200 targets of every kind and outcome
// gives every target a correct echo and status; one bad target definition
// is reported and skipped.
func TestScheduledRunOver200TargetsOfEveryKind(t *testing.T) {
	h := newHarness(t, setup{})
	cases := kindCases(startPeers(t, h))
	var yaml strings.Builder
	yaml.WriteString("defaults: {timeout: 5s, failureThreshold: 1}\ntargets:\n")
	want := map[string]kindCase{}
	for i := range 200 {
		c := cases[i%len(cases)]
		if !c.up {
			c.echo = true
		}
		name := fmt.Sprintf("%s-%03d", c.name, i)
		want[name] = c
		def := c.define(name)
		if body, ok := strings.CutPrefix(def, "pulse:"); ok {
			h.put("pulse/"+name+".json", body)
			continue
		}
		yaml.WriteString("  - " + def + "\n")
	}
	yaml.WriteString("  - {name: broken, url: \"http://127.0.0.1:1/\", timeout: 2m}\n")
	h.putTargets(yaml.String())

	x := h.mustSucceed(schedule)
	out := output(t, x)
	wantBatches := (200 + loadtargets.DefaultBatchSize - 1) / loadtargets.DefaultBatchSize
	if num(out, "loaded.targets") != 200 || num(out, "loaded.batches") != wantBatches || num(out, "loaded.problemCount") != 1 {
		t.Errorf("loaded %v, want 200 targets in %d batches and 1 problem", field(out, "loaded"), wantBatches)
	}
	problems, _ := field(out, "loaded.problems").([]any)
	if len(problems) != 1 || field(problems[0], "target") != "broken" || field(problems[0], "field") != "timeout" ||
		!strings.Contains(fmt.Sprint(field(problems[0], "source")), "config/targets.yaml") {
		t.Errorf("problems %v, want one naming config/targets.yaml, target broken, field timeout", problems)
	}
	if _, ok := h.echo("broken"); ok {
		t.Error("the bad target was probed")
	}

	state := h.state()
	ups, downs := 0, 0
	for name, c := range want {
		e, hasEcho := h.echo(name)
		switch {
		case hasEcho != c.echo:
			t.Errorf("%s: echo present %v, want %v", name, hasEcho, c.echo)
		case hasEcho && e.Up != c.up:
			t.Errorf("%s: echo up %v, want %v (failures %q)", name, e.Up, c.up, e.Failures)
		case hasEcho && !c.up && !strings.Contains(strings.Join(e.Failures, "; "), c.failure):
			t.Errorf("%s: failures %q, want one containing %q", name, e.Failures, c.failure)
		case hasEcho && (e.Run != x.ExecutionArn[strings.LastIndex(x.ExecutionArn, ":")+1:] || !e.CheckedAt.Equal(start)):
			t.Errorf("%s: echo run %q checked at %v, want this run at %v", name, e.Run, e.CheckedAt, start)
		}
		wantStatus := status.Down
		if c.up {
			wantStatus = status.Up
			ups++
		} else {
			downs++
		}
		if got := state.Targets[name].Status; got != wantStatus {
			t.Errorf("%s: status %q, want %q", name, got, wantStatus)
		}
	}
	// The 200 and the broken one, kept to say it is not monitored.
	if len(state.Targets) != 201 || !strings.Contains(state.Targets["broken"].NotMonitored, "timeout") {
		t.Errorf("state holds %d targets (broken: %+v), want the 200 and broken marked not monitored for its timeout", len(state.Targets), state.Targets["broken"])
	}
	if num(out, "statuses.UP") != ups || num(out, "statuses.DOWN") != downs {
		t.Errorf("statuses %v, want UP %d, DOWN %d", field(out, "statuses"), ups, downs)
	}
	// One echo object per batch of 100 (the targets sorted by name), one
	// result per probed target in them.
	probed := 200 - countKind(want, "heartbeat")
	keys := h.keys("echo/")
	results := 0
	for _, k := range keys {
		var rs []probe.Result
		if _, err := h.direct.GetJSON(context.Background(), k, &rs); err != nil {
			t.Fatal(err)
		}
		results += len(rs)
	}
	if len(keys) != (probed+99)/100 || results != probed {
		t.Errorf("%d echo objects holding %d results, want %d objects and one result per probed target (%d)", len(keys), results, (probed+99)/100, probed)
	}
}

func countKind(want map[string]kindCase, kind string) int {
	n := 0
	for _, c := range want {
		if c.name == kind {
			n++
		}
	}
	return n
}

// Scenario 5: one failure below failureThreshold sends nothing, nor does a
// flap; DOWN after the threshold; a reminder while down; RECOVERED only
// after successThreshold good checks.
func TestThresholdsFlappingReminderAndRecovery(t *testing.T) {
	h := newHarness(t, setup{})
	srv := newBodyServer(t, http.StatusOK, "ok")
	api := newReceiver(t, ok)
	h.putTargets(fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
targets:
  - name: web
    url: %q
    timeout: 5s
    failureThreshold: 3
    successThreshold: 2
    remindEvery: 30m
    channels: [api]
`, api.URL, srv.URL))

	kinds := func() []string {
		var k []string
		for _, r := range api.requests() {
			k = append(k, fmt.Sprint(r.Body["kind"]))
		}
		return k
	}
	step := func(code int, after time.Duration, wantStatus string, wantKinds ...string) {
		t.Helper()
		srv.set(code, "")
		h.clock.Advance(after)
		h.mustSucceed(schedule)
		if got := h.statusOf("web"); got != wantStatus {
			t.Fatalf("after a %d at %v: status %q, want %q", code, h.clock.Now().Sub(start), got, wantStatus)
		}
		if got := kinds(); strings.Join(got, ",") != strings.Join(wantKinds, ",") {
			t.Fatalf("after a %d at %v: alerts sent %q, want %q", code, h.clock.Now().Sub(start), got, wantKinds)
		}
	}
	step(200, 0, status.Unknown)
	step(200, time.Minute, status.Up)                          // successThreshold 2
	step(500, time.Minute, status.Up)                          // one failure: below the threshold
	step(200, time.Minute, status.Up)                          // a flap resets the streak
	step(500, time.Minute, status.Up)                          // 1
	step(500, time.Minute, status.Up)                          // 2
	step(500, time.Minute, status.Down, "DOWN")                // 3: the threshold
	step(500, time.Minute, status.Down, "DOWN")                // still down: nothing new
	step(500, 30*time.Minute, status.Down, "DOWN", "REMINDER") // remindEvery 30m
	step(200, time.Minute, status.Down, "DOWN", "REMINDER")    // 1 good check of 2
	step(200, time.Minute, status.Up, "DOWN", "REMINDER", "RECOVERED")
	step(200, time.Minute, status.Up, "DOWN", "REMINDER", "RECOVERED")

	down := api.requests()[0].Body
	if !strings.Contains(fmt.Sprint(down["text"]), "web is DOWN since") || !strings.Contains(fmt.Sprint(down["failures"]), "status 500") {
		t.Errorf("DOWN alert %v, want its text and the failure", down)
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none", n)
	}
}

// Scenario 6: overlapping executions leave state consistent and send each
// alert exactly once.
func TestOverlappingRunsSendEachAlertOnce(t *testing.T) {
	h := newHarness(t, setup{batchSize: 1})
	srv := newBodyServer(t, http.StatusOK, "ok")
	broken := newBodyServer(t, http.StatusBadGateway, "")
	api := newReceiver(t, func(int, http.ResponseWriter, *http.Request) { time.Sleep(20 * time.Millisecond) })
	h.putTargets(fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
defaults: {failureThreshold: 1, timeout: 5s, channels: [api]}
targets:
  - {name: up-1, url: %q}
  - {name: up-2, url: %q}
  - {name: down-1, url: %q}
  - {name: down-2, url: %q}
  - {name: down-3, url: %q}
`, api.URL, srv.URL, srv.URL, broken.URL, broken.URL, broken.URL))

	overlap := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if x := h.run(schedule); x.Status != "SUCCEEDED" {
					t.Errorf("overlapping execution %s: %s %s", x.Status, x.Error, x.Cause)
				}
			})
		}
		wg.Wait()
	}

	overlap(3)
	ids := api.alertIDs()
	if len(ids) != 3 || !distinct(ids) {
		t.Fatalf("alerts sent %q by 3 overlapping runs, want 3 distinct (one per down target)", ids)
	}
	st := h.state()
	for name, want := range map[string]string{"up-1": status.Up, "up-2": status.Up, "down-1": status.Down, "down-2": status.Down, "down-3": status.Down} {
		ts := st.Targets[name]
		if ts.Status != want || (want == status.Down && (ts.Seq != 1 || ts.FailStreak != 1)) {
			t.Errorf("%s: %+v, want %s (a DOWN counted once: seq 1, failStreak 1)", name, ts, want)
		}
	}

	broken.set(http.StatusOK, "ok")
	h.clock.Advance(5 * time.Minute)
	overlap(3)
	ids = api.alertIDs()
	if len(ids) != 6 || !distinct(ids) {
		t.Fatalf("alerts sent %q, want 3 DOWN then 3 RECOVERED, each once", ids)
	}
	for _, id := range ids[3:] {
		if !strings.Contains(id, "recovered") {
			t.Errorf("alert %s after recovery, want a RECOVERED alert", id)
		}
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none", n)
	}
	for name, ts := range h.state().Targets {
		if ts.Status != status.Up {
			t.Errorf("%s: %s after recovery, want UP", name, ts.Status)
		}
	}
}

func distinct(ids []string) bool {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}
