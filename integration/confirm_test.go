package integration

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

// With confirmation on (one re-check a second after a failure, and so the
// default failureThreshold 1), a single failed check is a blip that raises no
// alert, and an outage is alerted by the first run that sees it.
func TestConfirmationBlipRaisesNothingAndOutageAlertsOnFirstRun(t *testing.T) {
	h := newHarness(t, setup{})
	hook := newReceiver(t, ok)
	var failNext atomic.Bool
	flaky := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failNext.Swap(false) {
			http.Error(w, "dropped", http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	api := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
defaults: {channels: [hook], confirm: {attempts: 1}}
targets:
  - {name: web, url: %q}
  - {name: api, url: %q}
`, hook.URL, flaky.URL, api.URL))

	h.mustSucceed(schedule)
	if h.statusOf("web") != status.Up || h.statusOf("api") != status.Up {
		t.Fatalf("after the first run: web %s api %s, want both UP", h.statusOf("web"), h.statusOf("api"))
	}

	// A single dropped check: the re-check passes.
	failNext.Store(true)
	h.clock.Set(start.Add(10 * time.Minute))
	h.mustSucceed(schedule)
	e := h.mustEcho("web")
	if !e.Up || e.Confirm == nil || !e.Confirm.Blip || e.Confirm.Rechecks != 1 || len(e.Confirm.FirstFailures) != 1 || !strings.Contains(e.Confirm.FirstFailures[0], "502") {
		t.Fatalf("echo after a dropped check = up %v confirm %+v, want up, a blip after one re-check, first failure the 502", e.Up, e.Confirm)
	}
	st := h.state().Targets["web"]
	if st.Status != status.Up || st.Blips != 1 || st.FailStreak != 0 || !st.LastBlipAt.Equal(start.Add(10*time.Minute)) {
		t.Fatalf("state after a blip = %+v, want UP, 1 blip at +10m, no failure streak", st)
	}
	if n := len(hook.requests()); n != 0 {
		t.Fatalf("the webhook got %d messages after a blip, want none", n)
	}

	// An outage: every check fails. The first run that sees it alerts.
	api.set(http.StatusServiceUnavailable, "down")
	hitsBefore := api.requests()
	h.clock.Set(start.Add(20 * time.Minute))
	h.mustSucceed(schedule)
	e = h.mustEcho("api")
	if e.Up || e.Confirm == nil || !e.Confirm.Confirmed || e.Confirm.Rechecks != 1 || api.requests()-hitsBefore != 2 {
		t.Fatalf("echo in an outage = up %v confirm %+v after %d requests, want a failure confirmed by one re-check (2 requests)", e.Up, e.Confirm, api.requests()-hitsBefore)
	}
	got := hook.requests()
	if len(got) != 1 {
		t.Fatalf("the webhook got %d messages in the first run of the outage, want 1", len(got))
	}
	body := fmt.Sprint(got[0].Body)
	if !strings.Contains(body, "api") || !strings.Contains(body, "DOWN") {
		t.Fatalf("alert %s does not name api DOWN", body)
	}
	if h.statusOf("web") != status.Up {
		t.Fatalf("web = %s, want still UP", h.statusOf("web"))
	}
}
