package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
)

// putMany writes n pulse files, named by name(i) with body(i), 8 at a time.
func (h *harness) putMany(n int, name func(int) string, body func(int) string) {
	h.t.Helper()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if _, err := h.direct.Put(context.Background(), "pulse/"+name(i)+".json", []byte(body(i)), store.Condition{}); err != nil {
					h.t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestUntrustedPulseFilesNeverStopMonitoring: pulse/ is written by the
// monitored servers. Whatever is in it (one object over 16 MiB, one pulse
// whose body is 300 KB, 2,500 heartbeat files, 1,500 probed pulse
// targets, a pulse file S3 refuses to read),
// every run succeeds, the targets file's targets are probed, a failing one
// goes DOWN and its alert is delivered (Notify reads only the targets
// file), and the bad pulse files are reported by name. Before, each of
// these failed every run: no probes, no alerts for anyone.
func TestUntrustedPulseFilesNeverStopMonitoring(t *testing.T) {
	heartbeat := func(int) string { return `{"heartbeat": "1h"}` }
	cases := []struct {
		name  string
		flood func(t *testing.T, h *harness, good string)
		s3    func(backend string, p *s3Proxy) string
		// want is in the problems of every run (the first 50 are listed).
		want []string
		// pulses is how many pulse targets the state must hold.
		pulses int
	}{
		{name: "one object over 16 MiB", flood: func(t *testing.T, h *harness, good string) {
			h.put("pulse/huge.json", fmt.Sprintf(`{"url": %q, "body": "%s"}`, good, strings.Repeat("x", 17<<20)))
		}, want: []string{"pulse/huge.json | huge | <nil> | the pulse file is 17.0 MiB, over the 8 KiB limit for a pulse file"}},
		{name: "one pulse with a 300 KB body", flood: func(t *testing.T, h *harness, good string) {
			h.put("pulse/fat.json", fmt.Sprintf(`{"url": %q, "body": "%s"}`, good, strings.Repeat("x", 300<<10)))
		}, want: []string{"pulse/fat.json | fat | <nil> | the pulse file is 300.0 KiB, over the 8 KiB limit"}},
		{name: "2,500 heartbeat files", flood: func(t *testing.T, h *harness, good string) {
			h.putMany(2500, func(i int) string { return fmt.Sprintf("beat-%04d", i) }, heartbeat)
		}, pulses: 2500},
		{name: "1,500 probed pulse files", flood: func(t *testing.T, h *harness, good string) {
			h.putMany(1500, func(i int) string { return fmt.Sprintf("site-%04d", i) },
				func(int) string { return fmt.Sprintf(`{"url": %q, "body": "ok"}`, good) })
		}, pulses: -1},
		{name: "a pulse file S3 refuses", flood: func(t *testing.T, h *harness, good string) {
			h.put("pulse/locked.json", fmt.Sprintf(`{"url": %q, "body": "ok"}`, good))
		}, s3: func(backend string, p *s3Proxy) string {
			p.decide = func(_ int, r *http.Request) fault {
				if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/pulse/locked.json") {
					return denied
				}
				return pass
			}
			return p.front(backend)
		}, want: []string{"pulse/locked.json | locked | <nil> | cannot read the pulse file (get s3://medic/pulse/locked.json: operation error S3: GetObject, https response error StatusCode: 403"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := setup{}
			if tc.s3 != nil {
				p := newS3Proxy(t, nil)
				cfg.s3Front = func(backend string) string { return tc.s3(backend, p) }
			}
			h := newHarness(t, cfg)
			good := newBodyServer(t, http.StatusOK, "ok")
			hook := newReceiver(t, ok)
			h.putTargets(fmt.Sprintf(`
channels:
  ops: {type: webhook, url: %q}
targets:
  - {name: web, url: %q, channels: [ops]}
  - {name: db, tcp: %q, channels: [ops]}
`, hook.URL, good.URL, freePort(t)))
			tc.flood(t, h, good.URL)
			for run := range 2 { // db's failureThreshold is 2
				x := h.mustSucceed(schedule)
				got := strings.Join(problems(t, x), "\n")
				for _, want := range tc.want {
					if !strings.Contains(got, want) {
						t.Errorf("run %d: problems do not say %q:\n%.3000s", run+1, want, got)
					}
				}
				if tc.pulses < 0 {
					// Every pulse target is checked: the list is in S3, not
					// in a state's payload.
					if carried, left := num(output(t, x), "loaded.targets"), num(output(t, x), "loaded.problemCount"); carried != 1502 || left != 0 {
						t.Errorf("run %d: %d targets carried and %d left out, want all 1,502 and none left out", run+1, carried, left)
					}
				}
				h.clock.Advance(time.Minute)
			}
			if e := h.mustEcho("web"); !e.Up {
				t.Errorf("web was not probed up: %+v", e)
			}
			if got := h.statusOf("db"); got != status.Down {
				t.Errorf("db is %q after two failed checks, want DOWN", got)
			}
			var downs int
			for _, r := range hook.requests() {
				if r.Body["target"] == "db" && r.Body["kind"] == "DOWN" {
					downs++
				}
			}
			if downs != 1 {
				t.Errorf("the webhook got %d DOWN alerts for db (all: %v), want 1", downs, hook.alertIDs())
			}
			targets := len(h.state().Targets)
			switch {
			case tc.pulses >= 0 && targets != 2+tc.pulses:
				t.Errorf("the state holds %d targets, want %d", targets, 2+tc.pulses)
			case tc.pulses < 0 && targets < 2+500:
				t.Errorf("the state holds %d targets, want the config's 2 and hundreds of pulse targets that fit", targets)
			}
		})
	}
}

// TestPulseFileCannotTakeOverAnInvalidConfiguredTarget: every name in the
// targets file is the operator's, valid or not. api is DOWN; its
// definition then gets a mistake (so the targets file skips it) and a
// pulse file named api.json points at a healthy URL. The pulse file is
// ignored and reported, api keeps its DOWN state, and no RECOVERED is
// sent. Before, the pulse target stood in for api: "api DOWN → UP
// RECOVERED" while the real api was still down.
func TestPulseFileCannotTakeOverAnInvalidConfiguredTarget(t *testing.T) {
	h := newHarness(t, setup{})
	hook := newReceiver(t, ok)
	healthy := newBodyServer(t, http.StatusOK, "ok")
	down := freePort(t)
	file := func(extra string) string {
		return fmt.Sprintf(`
channels:
  ops: {type: webhook, url: %q}
targets:
  - {name: api, url: "http://%s/health", channels: [ops]%s}
`, hook.URL, down, extra)
	}
	h.putTargets(file(""))
	for range 2 {
		h.mustSucceed(schedule)
		h.clock.Advance(time.Minute)
	}
	if got := h.statusOf("api"); got != status.Down {
		t.Fatalf("api is %q, want DOWN before the takeover attempt", got)
	}
	h.putTargets(file(", timeout: 5m")) // over the 1m maximum: api is skipped
	h.put("pulse/api.json", fmt.Sprintf(`{"url": %q, "body": "ok"}`, healthy.URL))
	for range 2 {
		x := h.mustSucceed(schedule)
		got := strings.Join(problems(t, x), "\n")
		if !strings.Contains(got, `pulse/api.json | api | <nil> | a target named "api" is defined in config/targets.yaml (skipped there for its own problems); the name is reserved for it`) {
			t.Errorf("problems do not report the pulse file as ignored:\n%s", got)
		}
		h.clock.Advance(time.Minute)
	}
	if healthy.requests() != 0 {
		t.Errorf("the pulse file's URL was probed %d times", healthy.requests())
	}
	if got := h.statusOf("api"); got != status.Down {
		t.Errorf("api is %q, want it still DOWN (its state kept while its definition is invalid)", got)
	}
	for _, r := range hook.requests() {
		if r.Body["kind"] == "RECOVERED" {
			t.Errorf("a RECOVERED alert was sent for %v while api was still down", r.Body["target"])
		}
	}
}
