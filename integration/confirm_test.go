package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
)

// With the built-in confirmation (two re-checks 5 s apart, and so
// failureThreshold 1), a single failed check is a blip that raises no
// alert, and an outage is alerted by the first run that sees it, 10 s (the
// two pauses, on the controlled clock) after the run began.
func TestConfirmationBlipRaisesNothingAndOutageAlertsOnFirstRun(t *testing.T) {
	h := newHarness(t, setup{probeSleepMovesClock: true})
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
defaults: {channels: [hook]}
targets:
  - {name: web, url: %q}
  - {name: api, url: %q}
`, hook.URL, flaky.URL, api.URL))

	h.mustSucceed(schedule)
	if h.statusOf("web") != status.Up || h.statusOf("api") != status.Up {
		t.Fatalf("after the first run: web %s api %s, want both UP", h.statusOf("web"), h.statusOf("api"))
	}
	if got := h.clock.Now(); !got.Equal(start) {
		t.Fatalf("a run with every check passing moved the clock to %v: no pause was due", got)
	}

	// A single dropped check: the first re-check, 5 s later, passes.
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
	if got := h.clock.Now().Sub(start.Add(10 * time.Minute)); got != 5*time.Second {
		t.Fatalf("the blip's run took %v on the clock, want the one 5s pause", got)
	}

	// An outage: every check fails. The first run that sees it alerts,
	// once both re-checks have failed.
	api.set(http.StatusServiceUnavailable, "down")
	hitsBefore := api.requests()
	runAt := start.Add(20 * time.Minute)
	h.clock.Set(runAt)
	h.mustSucceed(schedule)
	e = h.mustEcho("api")
	if e.Up || e.Confirm == nil || !e.Confirm.Confirmed || e.Confirm.Rechecks != 2 || api.requests()-hitsBefore != 3 {
		t.Fatalf("echo in an outage = up %v confirm %+v after %d requests, want a failure confirmed by two re-checks (3 requests)", e.Up, e.Confirm, api.requests()-hitsBefore)
	}
	got := hook.requests()
	if len(got) != 1 {
		t.Fatalf("the webhook got %d messages in the first run of the outage, want 1", len(got))
	}
	body := fmt.Sprint(got[0].Body)
	if !strings.Contains(body, "api") || !strings.Contains(body, "DOWN") {
		t.Fatalf("alert %s does not name api DOWN", body)
	}
	if st := h.state().Targets["api"]; !st.LastAlertAt.Equal(runAt.Add(10 * time.Second)) {
		t.Fatalf("api's DOWN alert was raised at %v, want %v (the run's start and the two 5s pauses)", st.LastAlertAt, runAt.Add(10*time.Second))
	}
	if h.statusOf("web") != status.Up {
		t.Fatalf("web = %s, want still UP", h.statusOf("web"))
	}
}

// A confirmation that runs into the batch's deadline: the Probe task gets
// 20 s (as a Lambda function gets its timeout), of which the headroom
// leaves 18 s. web's first re-check (9 s of pause plus its 2 s timeout)
// fits; after that pause, on the controlled clock, the second does not,
// so it is not started. The failure counts as it is, unconfirmed: web is
// DOWN and alerted in that run, and the echo says why the confirmation
// stopped. ok, in the same batch, is untouched.
func TestConfirmationRunsIntoTheBatchDeadline(t *testing.T) {
	var deadlines atomic.Int64
	h := newHarness(t, setup{
		probeSleepMovesClock: true,
		wrap: map[string]func(engine.Func) engine.Func{taskProbe: func(f engine.Func) engine.Func {
			return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
				deadlines.Add(1)
				ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				return f(ctx, payload)
			}
		}},
	})
	hook := newReceiver(t, ok)
	web := newBodyServer(t, http.StatusServiceUnavailable, "down")
	okSrv := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
defaults: {channels: [hook], timeout: 2s}
targets:
  - {name: web, url: %q, confirm: {attempts: 3, interval: 9s}}
  - {name: ok, url: %q}
`, hook.URL, web.URL, okSrv.URL))

	began := time.Now()
	h.mustSucceed(schedule)
	if took := time.Since(began); took > time.Minute {
		t.Fatalf("the run took %v of real time, want the pauses on the controlled clock", took)
	}
	if deadlines.Load() != 1 {
		t.Fatalf("the probe task ran %d times, want once", deadlines.Load())
	}
	e := h.mustEcho("web")
	c := e.Confirm
	if e.Up || c == nil || c.Rechecks != 1 || c.Confirmed || c.Blip || web.requests() != 2 {
		t.Fatalf("web's echo = up %v confirm %+v after %d requests, want one failed re-check, unconfirmed (2 requests)", e.Up, c, web.requests())
	}
	if !strings.HasPrefix(c.CutShort, probe.SkippedCutShort+": re-check 2 of 3 would not finish before the probe task's deadline") {
		t.Fatalf("web's confirm.cutShort = %q, want it to name re-check 2 of 3 and the deadline", c.CutShort)
	}
	if got := h.clock.Now().Sub(start); got != 9*time.Second {
		t.Fatalf("the run moved the clock %v, want the one 9s pause", got)
	}
	if h.statusOf("web") != status.Down || h.statusOf("ok") != status.Up {
		t.Fatalf("web %s ok %s, want web DOWN (an unconfirmed failure still counts) and ok UP", h.statusOf("web"), h.statusOf("ok"))
	}
	if got := hook.requests(); len(got) != 1 || !strings.Contains(fmt.Sprint(got[0].Body), "web") {
		t.Fatalf("the webhook got %v, want web's one DOWN alert", got)
	}
	if e := h.mustEcho("ok"); !e.Up || e.Confirm != nil || okSrv.requests() != 1 {
		t.Fatalf("ok's echo = up %v confirm %+v after %d requests, want one passing check", e.Up, e.Confirm, okSrv.requests())
	}
}
