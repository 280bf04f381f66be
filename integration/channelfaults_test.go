package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
)

// channelSendTimeout bounds one delivery in the channel fault tests.
const channelSendTimeout = 1500 * time.Millisecond // far above a loopback answer under -race

// channelFault runs one DOWN alert for a target alerting two webhook
// channels: steady (always 200) and flaky (answered by flakyRespond).
func channelFault(t *testing.T, flakyRespond func(n int, w http.ResponseWriter, r *http.Request)) (*harness, *engine.Execution, *receiver, *receiver) {
	t.Helper()
	h := newHarness(t, setup{sendTimeout: channelSendTimeout})
	down := newBodyServer(t, http.StatusServiceUnavailable, "")
	steady := newReceiver(t, ok)
	flaky := newReceiver(t, flakyRespond)
	h.putTargets(fmt.Sprintf(`
channels:
  steady: {type: webhook, url: %q}
  flaky: {type: webhook, url: %q}
targets:
  - {name: web, url: %q, failureThreshold: 1, channels: [steady, flaky]}
`, steady.URL, flaky.URL, down.URL))
	x := h.mustSucceed(schedule)
	return h, x, steady, flaky
}

// failFirst answers the first request with fail and later ones with 200.
func failFirst(fail func(w http.ResponseWriter, r *http.Request)) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			fail(w, r)
		}
	}
}

// checkRetriedOnce asserts that Notify failed once with
// RetryableDeliveryError, was retried after the definition's backoff and
// then delivered: the flaky channel got the alert twice (the failed
// attempt and the retry), the steady one exactly once, and the outbox is
// empty.
func checkRetriedOnce(t *testing.T, h *harness, x *engine.Execution, steady, flaky *receiver) {
	t.Helper()
	if got := failures(x, taskNotify); !slices.Equal(got, []string{"RetryableDeliveryError"}) {
		t.Errorf("Notify failures %q, want one RetryableDeliveryError", got)
	}
	if n := scheduled(x, taskNotify); n != 2 {
		t.Errorf("Notify attempted %d times, want 2", n)
	}
	checkBackoff(t, h.engine.takeSleeps(), 1, 5*time.Second, 0)
	if ids := steady.alertIDs(); len(ids) != 1 {
		t.Errorf("steady channel got %q, want the alert exactly once while flaky was retried", ids)
	}
	ids := flaky.alertIDs()
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("flaky channel got %q, want the same alert twice (failed, then retried)", ids)
	}
	if out := output(t, x); num(out, "notify.delivered") != 1 || num(out, "notify.pending") != 0 {
		t.Errorf("notify output %v, want the retry's delivered 1, pending 0", field(out, "notify"))
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none", n)
	}
}

// TestChannel429WithRetryAfterIsNotSentBeforeItsTime: the channel answers
// 429 with Retry-After: 7. Notify records when the channel may be tried
// again (the delivery's notBefore) and no attempt sends to it before then.
// 7 s is within the definition's retries, so Notify fails with
// RetryableDeliveryError and is retried with backoff; in this harness the
// engine's retry sleeps do not move the tasks' clock, so every retry comes
// before the 7 s are up, sends nothing and fails again, and the alert is
// held for the next run, which delivers it once the time has come.
func TestChannel429WithRetryAfterIsNotSentBeforeItsTime(t *testing.T) {
	h, x, steady, flaky := channelFault(t, failFirst(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	failedAt := h.clock.Now()
	if n := len(flaky.requests()); n != 1 {
		t.Errorf("flaky channel got %d requests during the run, want 1: nothing before its Retry-After of 7s", n)
	}
	if ids := steady.alertIDs(); len(ids) != 1 {
		t.Errorf("steady channel got %q, want the alert exactly once", ids)
	}
	if got := failures(x, taskNotify); !slices.Equal(got, []string{"RetryableDeliveryError", "RetryableDeliveryError", "RetryableDeliveryError", "RetryableDeliveryError"}) {
		t.Errorf("Notify failures %q, want RetryableDeliveryError 4 times (1 + 3 retries, each before the 7s)", got)
	}
	checkBackoff(t, h.engine.takeSleeps(), 3, 5*time.Second, 60*time.Second)
	causes := failureCauses(x, taskNotify)
	if len(causes) != 4 || !strings.Contains(causes[0], "retry after 7s") {
		t.Errorf("Notify failure causes %q, want the first to carry the channel's Retry-After of 7s", causes)
	}
	for i, c := range causes[min(1, len(causes)):] {
		if !strings.Contains(c, "waiting until") {
			t.Errorf("retry %d failed with %q, want it to say the delivery waits for the channel", i+1, c)
		}
	}
	if countEntered(x, "AlertsHeldForNextRun") != 1 {
		t.Errorf("states entered %q, want AlertsHeldForNextRun after the retries", entered(x))
	}
	alerts := h.outbox()
	if len(alerts) != 1 {
		t.Fatalf("outbox holds %d alerts, want the one waiting for flaky", len(alerts))
	}
	d := alerts[0].Deliveries["flaky"]
	if d == nil || d.Status != "pending" || d.Attempts != 1 || d.NotBefore == nil || !d.NotBefore.Equal(failedAt.Add(7*time.Second)) {
		t.Fatalf("delivery on flaky = %+v, want pending after 1 attempt, not before %s", d, failedAt.Add(7*time.Second))
	}

	h.clock.Advance(7 * time.Second)
	x = h.mustSucceed(schedule)
	if out := output(t, x); num(out, "notify.delivered") != 1 || num(out, "notify.pending") != 0 {
		t.Errorf("next run's notify output %v, want delivered 1, pending 0", field(out, "notify"))
	}
	ids := flaky.alertIDs()
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("flaky channel got %q, want the same alert twice (refused, then delivered)", ids)
	}
	if ids := steady.alertIDs(); len(ids) != 1 {
		t.Errorf("steady channel got %q after the next run, want the alert still exactly once", ids)
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none", n)
	}
}

// TestChannel429WithLongRetryAfterWaitsForALaterRun: a Retry-After longer
// than the definition's retries can wait does not fail Notify: it succeeds
// with the delivery pending, no retry is spent, and runs before the time
// send nothing to the channel.
func TestChannel429WithLongRetryAfterWaitsForALaterRun(t *testing.T) {
	h, x, steady, flaky := channelFault(t, failFirst(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	if n := scheduled(x, taskNotify); n != 1 {
		t.Errorf("Notify attempted %d times, want 1: a 120s wait is beyond the retries", n)
	}
	if got := failures(x, taskNotify); len(got) != 0 {
		t.Errorf("Notify failures %q, want none", got)
	}
	if sleeps := h.engine.takeSleeps(); len(sleeps) != 0 {
		t.Errorf("retry sleeps %v, want none", sleeps)
	}
	if out := output(t, x); num(out, "notify.delivered") != 1 || num(out, "notify.pending") != 1 {
		t.Errorf("notify output %v, want delivered 1 (steady), pending 1 (flaky)", field(out, "notify"))
	}
	// A run a minute later leaves flaky alone.
	h.clock.Advance(time.Minute)
	x = h.mustSucceed(schedule)
	if out := output(t, x); num(out, "notify.delivered") != 0 || num(out, "notify.pending") != 1 || len(failures(x, taskNotify)) != 0 {
		t.Errorf("run a minute later: notify output %v, failures %q; want pending 1 and no failure", field(out, "notify"), failures(x, taskNotify))
	}
	if n := len(flaky.requests()); n != 1 {
		t.Errorf("flaky channel got %d requests within its Retry-After of 120s, want 1", n)
	}
	// The run after the two minutes delivers.
	h.clock.Advance(time.Minute)
	x = h.mustSucceed(schedule)
	if out := output(t, x); num(out, "notify.delivered") != 1 || num(out, "notify.pending") != 0 {
		t.Errorf("run after 120s: notify output %v, want delivered 1, pending 0", field(out, "notify"))
	}
	if ids := flaky.alertIDs(); len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("flaky channel got %q, want the same alert twice (refused, then delivered)", ids)
	}
	if ids := steady.alertIDs(); len(ids) != 1 {
		t.Errorf("steady channel got %q, want the alert exactly once", ids)
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none", n)
	}
}

func TestChannel500IsRetried(t *testing.T) {
	h, x, steady, flaky := channelFault(t, failFirst(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	checkRetriedOnce(t, h, x, steady, flaky)
}

func TestChannelAnswerSlowerThanTheSendTimeoutIsRetried(t *testing.T) {
	h, x, steady, flaky := channelFault(t, failFirst(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * channelSendTimeout):
		case <-r.Context().Done():
		}
	}))
	checkRetriedOnce(t, h, x, steady, flaky)
	if causes := failureCauses(x, taskNotify); len(causes) != 1 || !strings.Contains(causes[0], "Client.Timeout") && !strings.Contains(causes[0], "deadline exceeded") {
		t.Errorf("Notify failure cause %q, want a timeout", causes)
	}
}

func TestChannelConnectionThatHangsIsRetried(t *testing.T) {
	h, x, steady, flaky := channelFault(t, failFirst(func(w http.ResponseWriter, r *http.Request) {
		// Accepts the request and never answers, until the client gives up.
		<-r.Context().Done()
	}))
	checkRetriedOnce(t, h, x, steady, flaky)
}

func TestChannel404IsRejectedAndNotRetried(t *testing.T) {
	h, x, steady, flaky := channelFault(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Unknown Webhook", http.StatusNotFound)
	})
	if n := scheduled(x, taskNotify); n != 1 {
		t.Errorf("Notify attempted %d times, want 1: a 404 is not retried", n)
	}
	if len(flaky.requests()) != 1 || len(steady.requests()) != 1 {
		t.Errorf("flaky got %d requests and steady %d, want 1 each", len(flaky.requests()), len(steady.requests()))
	}
	out := output(t, x)
	if num(out, "notify.rejected") != 1 || num(out, "notify.delivered") != 1 {
		t.Errorf("notify output %v, want delivered 1 (steady), rejected 1 (flaky)", field(out, "notify"))
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none: a rejected delivery is settled", n)
	}
	h.clock.Advance(5 * time.Minute)
	h.mustSucceed(schedule)
	if len(flaky.requests()) != 1 {
		t.Errorf("flaky got %d requests after another run, want still 1", len(flaky.requests()))
	}
}
