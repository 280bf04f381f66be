package notify_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/tasks/notify"
)

// raiseFor puts an alert of web in the outbox for channels, seq-ordered.
func (w *world) raiseFor(id, kind string, seq int, prev string, at time.Time, channels ...string) {
	w.t.Helper()
	a := outbox.Alert{ID: id, Target: "web", Kind: kind, Seq: seq, Epoch: t0, Prev: prev, Since: at, At: at,
		Text: "web is " + kind, Deadline: at.Add(outbox.DefaultDeadline), Deliveries: map[string]*outbox.Delivery{}}
	for _, c := range channels {
		a.Deliveries[c] = &outbox.Delivery{Status: outbox.Pending}
	}
	if _, err := outbox.Create(context.Background(), w.store, a); err != nil {
		w.t.Fatal(err)
	}
}

// messageText is the alert text a peer's request carries, by channel type.
func messageText(t *testing.T, channel string, body []byte) string {
	t.Helper()
	switch channel {
	case "sns":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatal(err)
		}
		return v.Get("Message")
	case "line":
		var b struct{ Messages []struct{ Text string } }
		if err := json.Unmarshal(body, &b); err != nil || len(b.Messages) != 1 {
			t.Fatalf("line body %s: %v", body, err)
		}
		return b.Messages[0].Text
	case "slack":
		var b struct{ Text string }
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		return b.Text
	case "discord":
		var b struct{ Content string }
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		return b.Content
	default:
		var b struct{ Text string }
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		return b.Text
	}
}

// A channel down across four alerts of web (DOWN, RECOVERED, DOWN and a
// reminder) gets one message when it is back: the net change (the second
// DOWN, which still holds) with the others in one line. Every channel type
// gets it so; each delivery is recorded once, the others collapsedInto it.
func TestACollapsedChannelGetsTheNetChangeNotAReplay(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	all := []string{"slack", "discord", "line", "sns", "hook"}
	for _, c := range all {
		w.peers[c].set(answer500)
	}
	w.raiseFor("web-down-1", outbox.KindDown, 1, "", t0.Add(10*time.Minute), all...)
	w.clock.Set(t0.Add(10 * time.Minute))
	if _, err := w.handler().Handle(ctx, notify.In{Run: "run-1"}); err == nil {
		t.Fatal("run 1: every channel failed, want a RetryableDeliveryError")
	}
	w.raiseFor("web-recovered-2", outbox.KindRecovered, 2, "web-down-1", t0.Add(25*time.Minute), all...)
	w.raiseFor("web-down-3", outbox.KindDown, 3, "web-recovered-2", t0.Add(40*time.Minute), all...)
	w.raiseFor("web-reminder-4", outbox.KindReminder, 4, "web-down-3", t0.Add(100*time.Minute), all...)
	w.clock.Set(t0.Add(101 * time.Minute))
	for _, c := range all {
		w.peers[c].set(answerOK)
	}
	out, err := w.handler().Handle(ctx, notify.In{Run: "run-2"})
	if err != nil || out != (notify.Out{Delivered: 20, Collapsed: 15}) {
		t.Fatalf("run 2 = %+v, %v; want 20 deliveries, 15 of them collapsed", out, err)
	}
	const want = "web is DOWN (while this channel was unreachable: DOWN at 10:10 UTC, RECOVERED at 10:25 UTC, REMINDER at 11:40 UTC)"
	for _, c := range all {
		reqs := w.peers[c].Requests()
		if len(reqs) != 2 {
			t.Errorf("%s got %d requests, want 2 (the failed DOWN, then one message)", c, len(reqs))
			continue
		}
		if got := messageText(t, c, reqs[1].Body); !strings.Contains(got, want) {
			t.Errorf("%s got %q, want it to contain %q", c, got, want)
		}
	}
	var hook struct {
		ID        string
		Collapsed []outbox.Collapsed
	}
	if err := json.Unmarshal(w.peers["hook"].Requests()[1].Body, &hook); err != nil || hook.ID != "web-down-3" || len(hook.Collapsed) != 3 ||
		hook.Collapsed[0].ID != "web-down-1" || hook.Collapsed[2].Kind != outbox.KindReminder {
		t.Fatalf("webhook body = %+v, %v; want id web-down-3 with the three others under collapsed", hook, err)
	}
	// Every alert settled, each delivery recorded once.
	for _, id := range []string{"web-down-1", "web-recovered-2", "web-down-3", "web-reminder-4"} {
		var rec outbox.Settled
		if _, err := w.store.GetJSON(ctx, outbox.SettledKey(id), &rec); err != nil {
			t.Fatalf("%s not settled: %v", id, err)
		}
		for _, c := range all {
			d := rec.Alert.Deliveries[c]
			wantInto := "web-down-3"
			if id == "web-down-3" {
				wantInto = ""
			}
			wantAttempts := 1
			if id == "web-down-1" {
				wantAttempts = 2
			}
			if d.Status != outbox.Delivered || d.CollapsedInto != wantInto || d.Attempts != wantAttempts {
				t.Errorf("%s on %s = %+v, want delivered, collapsedInto %q, %d attempts", id, c, d, wantInto, wantAttempts)
			}
		}
	}
}

func TestCollapseRules(t *testing.T) {
	ctx := context.Background()
	t.Run("alerts that never failed are sent one by one", func(t *testing.T) {
		w := newWorld(t)
		w.raiseFor("web-monitored-1", outbox.KindMonitored, 1, "", t0, "hook")
		w.raiseFor("web-down-2", outbox.KindDown, 2, "web-monitored-1", t0, "hook")
		out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
		if err != nil || out != (notify.Out{Delivered: 2}) || strings.Join(hookKinds(t, w), ",") != "MONITORED,DOWN" {
			t.Fatalf("run = %+v, %v, hook got %v; want both sent one by one", out, err, hookKinds(t, w))
		}
	})
	t.Run("only reminders: the last one", func(t *testing.T) {
		w := newWorld(t)
		w.peers["hook"].set(answer500)
		w.raiseFor("web-reminder-5", outbox.KindReminder, 5, "", t0, "hook")
		_, _ = w.handler().Handle(ctx, notify.In{Run: "run-1"})
		w.raiseFor("web-reminder-6", outbox.KindReminder, 6, "web-reminder-5", t0.Add(time.Hour), "hook")
		w.peers["hook"].set(answerOK)
		w.clock.Set(t0.Add(time.Hour))
		out, err := w.handler().Handle(ctx, notify.In{Run: "run-2"})
		reqs := w.peers["hook"].Requests()
		if err != nil || out != (notify.Out{Delivered: 2, Collapsed: 1}) || len(reqs) != 2 ||
			messageText(t, "hook", reqs[1].Body) != "web is REMINDER (while this channel was unreachable: REMINDER at 10:00 UTC)" {
			t.Fatalf("run 2 = %+v, %v, %d requests", out, err, len(reqs))
		}
	})
	t.Run("a channel that works is not held back by one that does not", func(t *testing.T) {
		w := newWorld(t)
		w.peers["hook"].set(answer500)
		w.raiseFor("web-down-1", outbox.KindDown, 1, "", t0, "hook", "hook2")
		_, _ = w.handler().Handle(ctx, notify.In{Run: "run-1"})
		w.raiseFor("web-recovered-2", outbox.KindRecovered, 2, "web-down-1", t0.Add(time.Minute), "hook", "hook2")
		w.peers["hook"].set(answerOK)
		out, err := w.handler().Handle(ctx, notify.In{Run: "run-2"})
		if err != nil || out != (notify.Out{Delivered: 3, Collapsed: 1}) {
			t.Fatalf("run 2 = %+v, %v", out, err)
		}
		if n := len(w.peers["hook2"].Requests()); n != 2 {
			t.Fatalf("hook2, which was up, got %d requests, want both alerts one by one", n)
		}
		if n := len(w.peers["hook"].Requests()); n != 2 {
			t.Fatalf("hook got %d requests, want the failed DOWN and one collapsed message", n)
		}
	})
	t.Run("the collapsed message fails: every delivery stays pending, none is sent again in the run", func(t *testing.T) {
		w := newWorld(t)
		w.peers["hook"].set(answer500)
		w.raiseFor("web-down-1", outbox.KindDown, 1, "", t0, "hook")
		_, _ = w.handler().Handle(ctx, notify.In{Run: "run-1"})
		w.raiseFor("web-recovered-2", outbox.KindRecovered, 2, "web-down-1", t0.Add(time.Minute), "hook")
		out, err := w.handler().Handle(ctx, notify.In{Run: "run-2"})
		if err == nil || out != (notify.Out{Pending: 2}) || len(w.peers["hook"].Requests()) != 2 {
			t.Fatalf("run 2 = %+v, %v, %d requests; want one failed message, both pending", out, err, len(w.peers["hook"].Requests()))
		}
		for id, attempts := range map[string]int{"web-down-1": 2, "web-recovered-2": 1} {
			if d := delivery(t, w, id, "hook"); d.Status != outbox.Pending || d.Attempts != attempts {
				t.Fatalf("%s = %+v, want pending after %d attempts", id, d, attempts)
			}
		}
	})
}
