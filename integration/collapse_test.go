package integration

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A webhook that fails while web goes DOWN, RECOVERED and DOWN again gets,
// once it answers, one message: the DOWN that holds, with the two before it
// in its summary line; every alert leaves the outbox.
func TestCollapseAfterAChannelOutageThroughTheDefinition(t *testing.T) {
	h := newHarness(t, setup{})
	hook := newReceiver(t, ok)
	web := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
targets:
  # No confirmation (so failureThreshold 2) and no flap detection: three
  # changes in 15 minutes, each its own alert, are what this test collapses.
  - {name: web, url: %q, channels: [hook], confirm: {attempts: 0}, flap: {changes: 0}}
`, hook.URL, web.URL))
	run := func(d time.Duration) {
		t.Helper()
		h.clock.Set(start.Add(d))
		h.mustSucceed(schedule)
	}
	run(0)
	hook.setRespond(func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	web.set(http.StatusServiceUnavailable, "down")
	run(5 * time.Minute)
	run(10 * time.Minute) // DOWN: the webhook fails
	web.set(http.StatusOK, "ok")
	run(15 * time.Minute) // RECOVERED: fails too
	web.set(http.StatusServiceUnavailable, "down")
	run(20 * time.Minute)
	run(25 * time.Minute) // DOWN again
	failed := len(hook.requests())
	if failed == 0 || len(h.outbox()) != 3 {
		t.Fatalf("during the outage: %d requests, %d alerts waiting; want some failed requests and 3 alerts", failed, len(h.outbox()))
	}

	hook.setRespond(ok)
	run(30 * time.Minute)
	got := hook.requests()[failed:]
	want := "web is DOWN since 2026-03-02 09:15 UTC: status 503, want 200-399 (while this channel was unreachable: DOWN at 09:10 UTC, RECOVERED at 09:15 UTC)"
	if len(got) != 1 || got[0].Body["text"] != want || got[0].Body["kind"] != "DOWN" {
		t.Fatalf("once the webhook answered it got %v, want one message with text %q", got, want)
	}
	if n := len(h.outbox()); n != 0 {
		t.Fatalf("%d alerts still in the outbox, want none", n)
	}
}
