package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// coverageAlerts returns the UNMONITORED and MONITORED alerts a receiver
// got, as "KIND target: text".
func coverageAlerts(rc *receiver) []string {
	var out []string
	for _, r := range rc.requests() {
		kind, _ := r.Body["kind"].(string)
		if kind == "UNMONITORED" || kind == "MONITORED" {
			out = append(out, fmt.Sprintf("%s %v: %v", kind, r.Body["target"], r.Body["text"]))
		}
	}
	return out
}

// TestCoverageLossIsAnnounced: a target that stops being monitored gets
// one alert saying why, to its channels (or the defaults' when it has none
// known), and one when it is monitored again; nothing is repeated in the
// runs between. Each way of losing a target: its pulse file turns
// malformed, its pulse file is deleted, its definition in the targets file
// gets a mistake, a new target is added with a mistake. Retiring a pulse
// target with {"retired": true} is on purpose: no alert. Before, each of
// these showed only in run output and logs.
func TestCoverageLossIsAnnounced(t *testing.T) {
	h := newHarness(t, setup{})
	ops := newReceiver(t, ok)
	oncall := newReceiver(t, ok)
	good := newBodyServer(t, http.StatusOK, "ok")
	file := func(apiExtra, extra string) string {
		return fmt.Sprintf(`
channels:
  ops: {type: webhook, url: %q}
  oncall: {type: webhook, url: %q}
defaults: {channels: [ops]}
targets:
  - {name: api, url: %q, channels: [oncall]%s}
%s`, ops.URL, oncall.URL, good.URL, apiExtra, extra)
	}
	pulse := func(name string) { h.put("pulse/"+name+".json", `{"heartbeat": "1h", "channels": ["oncall"]}`) }
	h.putTargets(file("", ""))
	pulse("beat")
	pulse("gone")
	pulse("old")
	run := func() map[string]any {
		h.clock.Advance(time.Minute)
		return output(t, h.mustSucceed(schedule))
	}
	run()
	run()
	if got := append(coverageAlerts(ops), coverageAlerts(oncall)...); len(got) != 0 {
		t.Fatalf("coverage alerts while everything is monitored: %q", got)
	}

	// Lose each: beat malformed, gone deleted, old retired, api's
	// definition broken, and a new target added with a mistake.
	h.put("pulse/beat.json", `{"heartbeat": "1h", "chanels": ["oncall"]}`)
	if err := h.direct.Delete(t.Context(), "pulse/gone.json"); err != nil {
		t.Fatal(err)
	}
	h.put("pulse/old.json", `{"retired": true}`)
	h.putTargets(file(", timeout: 5m", "  - {name: newbie, url: \"ftp://x\"}\n"))
	out := run()
	if n := num(out, "notMonitored"); n != 4 {
		t.Errorf("notMonitored = %d, want 4 (beat, gone, api, newbie)", n)
	}
	want := map[*receiver][]string{
		oncall: {
			`UNMONITORED api: api is no longer monitored: config/targets.yaml: timeout: timeout 5m0s must be more than 0 and at most 1m0s`,
			`UNMONITORED beat: beat is no longer monitored: pulse/beat.json: chanels: unknown key "chanels"`,
			`UNMONITORED gone: gone is no longer monitored: its pulse file pulse/gone.json is gone (to retire a target on purpose, upload {"retired": true} to it instead of deleting it)`,
		},
		ops: {`UNMONITORED newbie: newbie is no longer monitored: config/targets.yaml: url: `},
	}
	checkCoverage := func(when string) {
		t.Helper()
		for rc, prefixes := range want {
			got := coverageAlerts(rc)
			if len(got) != len(prefixes) {
				t.Errorf("%s: got %d coverage alerts %q, want %d", when, len(got), got, len(prefixes))
				continue
			}
			for _, p := range prefixes {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, p)
				}
				if !found {
					t.Errorf("%s: no alert starting %q in %q", when, p, got)
				}
			}
		}
	}
	checkCoverage("after the losses")
	if _, ok := h.state().Targets["old"]; ok {
		t.Error("the retired target is still in the state")
	}

	run() // nothing new: each loss is told once
	checkCoverage("a run later")

	// Back: beat fixed, gone uploaded again, api fixed, newbie fixed.
	pulse("beat")
	pulse("gone")
	h.putTargets(file("", fmt.Sprintf("  - {name: newbie, url: %q}\n", good.URL)))
	out = run()
	if n := num(out, "notMonitored"); n != 0 {
		t.Errorf("notMonitored = %d once everything is back, want 0", n)
	}
	want[oncall] = append(want[oncall], "MONITORED api: api is monitored again", "MONITORED beat: beat is monitored again", "MONITORED gone: gone is monitored again")
	want[ops] = append(want[ops], "MONITORED newbie: newbie is monitored again")
	checkCoverage("once monitored again")

	// Deleting a retired target's file afterwards is silent too.
	if err := h.direct.Delete(t.Context(), "pulse/old.json"); err != nil {
		t.Fatal(err)
	}
	run()
	checkCoverage("after deleting the retired file")
}

// TestAlarmForAnUnknownTargetIsAnnounced: an alarm whose metric namespace
// names no target checks nothing; the defaults' channels are told, once a
// day, instead of it showing only as a problem of the run.
func TestAlarmForAnUnknownTargetIsAnnounced(t *testing.T) {
	h := newHarness(t, setup{})
	ops := newReceiver(t, ok)
	h.putTargets(fmt.Sprintf(`
channels:
  ops: {type: webhook, url: %q}
defaults: {channels: [ops]}
targets:
  - {name: web, url: %q}
`, ops.URL, newBodyServer(t, http.StatusOK, "ok").URL))
	alarm := readFixture(t, "../internal/trigger/testdata/alarm-lambda-action.json") // namespace myhost
	for range 2 {
		h.mustSucceed(alarm)
		h.clock.Advance(time.Minute)
	}
	got := coverageAlerts(ops)
	if len(got) != 1 || !strings.HasPrefix(got[0], "UNMONITORED myhost: an alarm asked medic to check myhost, but no target has that name") {
		t.Fatalf("coverage alerts %q, want one for myhost", got)
	}
	h.clock.Advance(25 * time.Hour)
	h.mustSucceed(alarm)
	if got := coverageAlerts(ops); len(got) != 2 {
		t.Errorf("a day later: %d alerts, want a second one", len(got))
	}
}
