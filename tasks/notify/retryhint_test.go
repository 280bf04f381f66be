package notify_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/tasks/notify"
)

// tooMany answers 429 with the given Retry-After header (none when empty)
// and JSON body (none when empty).
func tooMany(retryAfter, body string) func(w http.ResponseWriter) {
	return answer(http.StatusTooManyRequests, retryAfter, body)
}

func answer(status int, retryAfter, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// TestRetryHints follows one delivery whose channel answers with a retry
// hint: the hint becomes the delivery's NotBefore, no run sends to that
// channel before it, the task fails with RetryableDeliveryError only when
// the delivery may be sent within the state machine's retries, and a run
// at NotBefore delivers.
func TestRetryHints(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		answer  func(w http.ResponseWriter)
		// notBefore is the expected NotBefore after t0 (0: none recorded);
		// with an HTTP date it may be up to a second earlier.
		notBefore time.Duration
		httpDate  bool
		// retryable: the first run fails with RetryableDeliveryError.
		retryable bool
		// early is when a second run comes, before notBefore, and
		// earlyRetryable whether it fails with RetryableDeliveryError.
		early          time.Duration
		earlyRetryable bool
	}{
		{name: "slack Retry-After 120", channel: "slack", answer: tooMany("120", ""),
			notBefore: 120 * time.Second, early: 60 * time.Second},
		{name: "slack Retry-After 120, run 90s later", channel: "slack", answer: tooMany("120", ""),
			notBefore: 120 * time.Second, early: 90 * time.Second, earlyRetryable: true},
		{name: "webhook Retry-After 2", channel: "hook", answer: tooMany("2", ""),
			notBefore: 2 * time.Second, retryable: true, early: time.Second, earlyRetryable: true},
		{name: "webhook 503 Retry-After 90", channel: "hook", answer: answer(http.StatusServiceUnavailable, "90", ""),
			notBefore: 90 * time.Second, early: 45 * time.Second},
		{name: "discord JSON retry_after only", channel: "discord", answer: tooMany("", `{"message": "You are being rate limited.", "retry_after": 75.5, "global": false}`),
			notBefore: 75500 * time.Millisecond, early: 30 * time.Second},
		{name: "discord header and JSON, short", channel: "discord", answer: tooMany("3", `{"message": "You are being rate limited.", "retry_after": 3, "global": false}`),
			notBefore: 3 * time.Second, retryable: true, early: 2 * time.Second, earlyRetryable: true},
		{name: "Retry-After over an hour is capped", channel: "slack", answer: tooMany("86400", ""),
			notBefore: time.Hour, early: 30 * time.Minute},
		{name: "Retry-After as an HTTP date", channel: "hook",
			answer: func(w http.ResponseWriter) {
				tooMany(time.Now().Add(120*time.Second).UTC().Format(http.TimeFormat), "")(w)
			},
			notBefore: 120 * time.Second, httpDate: true, early: 60 * time.Second},
		{name: "garbage Retry-After is ignored", channel: "slack", answer: tooMany("soon", ""), retryable: true},
		{name: "negative Retry-After is ignored", channel: "hook", answer: tooMany("-5", ""), retryable: true},
		{name: "negative JSON retry_after is ignored", channel: "discord", answer: tooMany("", `{"retry_after": -1}`), retryable: true},
		{name: "NaN-like JSON retry_after is ignored", channel: "discord", answer: tooMany("", `{"retry_after": "NaN"}`), retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			w.peers[tt.channel].respond(tt.answer)
			w.raise("a1", tt.channel, "hook2")

			// Run 1: the channel answers with its hint; hook2 takes the alert.
			out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
			w.noSecrets(err)
			checkRetryable(t, "run 1", err, tt.retryable)
			var rde *notify.RetryableDeliveryError
			if errors.As(err, &rde) && (rde.RetryAfter != tt.notBefore || len(rde.Failures) != 1 || len(rde.Waiting) != 0) {
				t.Fatalf("run 1 error = %+v, want one failure and RetryAfter %s", rde, tt.notBefore)
			}
			if out != (notify.Out{Delivered: 1, Pending: 1}) {
				t.Fatalf("run 1 out = %+v", out)
			}
			d := delivery(t, w, "a1", tt.channel)
			switch {
			case tt.notBefore == 0 && d.NotBefore != nil:
				t.Fatalf("NotBefore = %s recorded for an unusable hint", d.NotBefore)
			case tt.notBefore > 0 && d.NotBefore == nil:
				t.Fatalf("no NotBefore recorded: %+v", d)
			case tt.notBefore > 0 && tt.httpDate && (d.NotBefore.After(t0.Add(tt.notBefore)) || !d.NotBefore.After(t0.Add(tt.notBefore-time.Second))):
				t.Fatalf("NotBefore = %s, want within a second before %s", d.NotBefore, t0.Add(tt.notBefore))
			case tt.notBefore > 0 && !tt.httpDate && !d.NotBefore.Equal(t0.Add(tt.notBefore)):
				t.Fatalf("NotBefore = %s, want %s", d.NotBefore, t0.Add(tt.notBefore))
			}
			if d.Status != outbox.Pending || d.Attempts != 1 || !strings.Contains(d.LastError, "status") {
				t.Fatalf("delivery = %+v", d)
			}
			w.peers[tt.channel].set(answerOK)

			// Run 2, before NotBefore: nothing is sent to the channel.
			if tt.notBefore > 0 {
				w.clock.Set(t0.Add(tt.early))
				out, err = w.handler().Handle(ctx, notify.In{Run: "run-2"})
				checkRetryable(t, "run 2", err, tt.earlyRetryable)
				if out != (notify.Out{Pending: 1}) || w.requests()[tt.channel] != 1 {
					t.Fatalf("run 2 at +%s = %+v; %s got %d requests, want still 1", tt.early, out, tt.channel, w.requests()[tt.channel])
				}
				if errors.As(err, &rde) && (len(rde.Failures) != 0 || len(rde.Waiting) != 1 || !strings.Contains(rde.Error(), "waiting until")) {
					t.Fatalf("run 2 error = %v", err)
				}
				w.clock.Set(t0.Add(tt.notBefore))
			}

			// Run 3, at NotBefore: delivered once, the alert settles.
			out, err = w.handler().Handle(ctx, notify.In{Run: "run-3"})
			if err != nil || out != (notify.Out{Delivered: 1}) {
				t.Fatalf("run 3 = %+v, %v", out, err)
			}
			if got := w.requests(); got[tt.channel] != 2 || got["hook2"] != 1 {
				t.Fatalf("requests = %v", got)
			}
			if _, err := outbox.Get(ctx, w.store, "a1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("alert not settled: %v", err)
			}
		})
	}
}

// TestRetryHintLeavesOtherChannelsAlone: one channel of an alert waits two
// minutes, another fails without a hint and a third takes the alert. The
// task is retried for the channel that may recover soon, and that channel
// is delivered by the next run while the waiting one is left alone.
func TestRetryHintLeavesOtherChannelsAlone(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.peers["slack"].respond(tooMany("120", ""))
	w.peers["hook"].set(answer500)
	w.raise("a1", "slack", "hook", "hook2")

	out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
	var rde *notify.RetryableDeliveryError
	if !errors.As(err, &rde) || len(rde.Failures) != 1 || !strings.Contains(rde.Failures[0], "on channel hook:") || rde.RetryAfter != 0 {
		t.Fatalf("run 1 err = %v; want a RetryableDeliveryError for hook alone (slack waits beyond the retries)", err)
	}
	if out != (notify.Out{Delivered: 1, Pending: 2}) {
		t.Fatalf("run 1 out = %+v", out)
	}
	if d := delivery(t, w, "a1", "hook"); d.NotBefore != nil {
		t.Fatalf("hook gave no hint but has NotBefore %s", d.NotBefore)
	}

	// A retry 10 s later: hook recovered and is delivered; slack is not tried.
	w.peers["hook"].set(answerOK)
	w.peers["slack"].set(answerOK)
	w.clock.Advance(10 * time.Second)
	out, err = w.handler().Handle(ctx, notify.In{Run: "run-1"})
	if err != nil || out != (notify.Out{Delivered: 1, Pending: 1}) {
		t.Fatalf("retry = %+v, %v", out, err)
	}
	if got := w.requests(); got["slack"] != 1 || got["hook"] != 2 || got["hook2"] != 1 {
		t.Fatalf("requests after the retry = %v", got)
	}

	// The next scheduled run, after the two minutes: slack takes it.
	w.clock.Set(t0.Add(5 * time.Minute))
	out, err = w.handler().Handle(ctx, notify.In{Run: "run-2"})
	if err != nil || out != (notify.Out{Delivered: 1}) {
		t.Fatalf("run 2 = %+v, %v", out, err)
	}
	if got := w.requests(); got["slack"] != 2 || got["hook"] != 2 || got["hook2"] != 1 {
		t.Fatalf("requests after run 2 = %v", got)
	}
	if _, err := outbox.Get(ctx, w.store, "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("alert not settled: %v", err)
	}
}

// TestRetryHintHoldsTheChannelForOtherAlerts: once a channel has asked to
// wait, the run sends it no other alert; those deliveries wait until the
// same time (recorded, so later runs wait too) and are delivered then.
func TestRetryHintHoldsTheChannelForOtherAlerts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.peers["discord"].respond(tooMany("120", `{"message": "You are being rate limited.", "retry_after": 120, "global": false}`))
	w.raise("a1", "discord", "hook2")
	w.clock.Advance(time.Second)
	w.raise("a2", "discord", "hook2") // raised later: sent after a1
	w.clock.Set(t0.Add(time.Minute))
	h := w.handler()
	h.Parallel = 1 // one alert at a time, so a1's answer is known before a2

	out, err := h.Handle(ctx, notify.In{Run: "run-1"})
	if err != nil || out != (notify.Out{Delivered: 2, Pending: 2}) {
		t.Fatalf("run 1 = %+v, %v", out, err)
	}
	if got := w.requests(); got["discord"] != 1 || got["hook2"] != 2 {
		t.Fatalf("requests = %v, want discord tried once (for a1), hook2 twice", got)
	}
	want := t0.Add(time.Minute + 120*time.Second)
	for _, id := range []string{"a1", "a2"} {
		if d := delivery(t, w, id, "discord"); d.Status != outbox.Pending || d.NotBefore == nil || !d.NotBefore.Equal(want) {
			t.Fatalf("%s on discord = %+v, want pending until %s", id, d, want)
		}
	}
	if d := delivery(t, w, "a2", "discord"); d.Attempts != 0 {
		t.Fatalf("a2 on discord counts %d attempts, want 0 (never sent)", d.Attempts)
	}

	w.peers["discord"].set(answerOK)
	w.clock.Set(want.Add(-time.Second))
	out, err = w.handler().Handle(ctx, notify.In{Run: "run-2"})
	checkRetryable(t, "run 2 a second early", err, true)
	if out != (notify.Out{Pending: 2}) || w.requests()["discord"] != 1 {
		t.Fatalf("run 2 a second early = %+v; discord got %d requests", out, w.requests()["discord"])
	}
	// Both alerts are web's and discord missed both: one message, the
	// later one with the earlier in its summary line (collapse.go).
	w.clock.Set(want)
	out, err = w.handler().Handle(ctx, notify.In{Run: "run-3"})
	if err != nil || out != (notify.Out{Delivered: 2, Collapsed: 1}) || w.requests()["discord"] != 2 {
		t.Fatalf("run 3 = %+v, %v; discord got %d requests, want 2", out, err, w.requests()["discord"])
	}
	w.noSecrets(nil)
}

func checkRetryable(t *testing.T, what string, err error, want bool) {
	t.Helper()
	var rde *notify.RetryableDeliveryError
	if got := errors.As(err, &rde); got != want || (!want && err != nil) {
		t.Fatalf("%s: err = %v, want RetryableDeliveryError: %v", what, err, want)
	}
}

func delivery(t *testing.T, w *world, id, channel string) *outbox.Delivery {
	t.Helper()
	e, err := outbox.Get(context.Background(), w.store, id)
	if err != nil {
		t.Fatal(err)
	}
	d := e.Alert.Deliveries[channel]
	if d == nil {
		t.Fatalf("alert %s has no delivery for %s", id, channel)
	}
	return d
}
