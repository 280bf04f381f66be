package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/tasks/notify"
)

// raiseSeq puts an alert of target web in the outbox with its place in the
// target's order (seq, the state's epoch t0) and the alert before it.
func (w *world) raiseSeq(id, kind string, seq int, prev string, at time.Time, draft bool) {
	w.t.Helper()
	a := outbox.Alert{ID: id, Target: "web", Kind: kind, Seq: seq, Epoch: t0, Prev: prev, Since: at, At: at,
		Text: "web is " + kind, Deadline: at.Add(outbox.DefaultDeadline), Draft: draft,
		Deliveries: map[string]*outbox.Delivery{"hook": {Status: outbox.Pending}}}
	if _, err := outbox.Create(context.Background(), w.store, a); err != nil {
		w.t.Fatal(err)
	}
}

// hookKinds lists the kinds the webhook peer received, in order.
func hookKinds(t *testing.T, w *world) []string {
	t.Helper()
	var kinds []string
	for _, r := range w.peers["hook"].Requests() {
		var body struct{ Kind string }
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, body.Kind)
	}
	return kinds
}

// A RECOVERED raised by a run whose clock was a little behind (its At is
// before the DOWN's) still goes after the DOWN, and not at all while the
// DOWN is undelivered on that channel.
func TestATargetsAlertsGoToAChannelInTheOrderRaised(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raiseSeq("web-down-1-aaaa", outbox.KindDown, 1, "", t0, false)
	w.raiseSeq("web-recovered-2-bbbb", outbox.KindRecovered, 2, "web-down-1-aaaa", t0.Add(-time.Second), false)

	w.peers["hook"].set(answer500)
	_, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
	var re *notify.RetryableDeliveryError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "waiting for the earlier alert web-down-1-aaaa") {
		t.Fatalf("run 1: err = %v, want a RetryableDeliveryError saying the RECOVERED waits for the DOWN", err)
	}
	if got := hookKinds(t, w); len(got) != 1 || got[0] != "DOWN" {
		t.Fatalf("run 1: the hook received %v, want only the DOWN (which failed)", got)
	}

	// The channel missed both: it gets the net change, the RECOVERED, with
	// the DOWN in its summary line, not a replay (collapse.go). Both
	// deliveries are recorded.
	w.peers["hook"].set(answerOK)
	out, err := w.handler().Handle(ctx, notify.In{Run: "run-2"})
	if err != nil || out != (notify.Out{Delivered: 2, Collapsed: 1}) {
		t.Fatalf("run 2 = %+v, %v", out, err)
	}
	if got := hookKinds(t, w); strings.Join(got, ",") != "DOWN,RECOVERED" {
		t.Fatalf("the hook received %v, want DOWN (failed), then RECOVERED", got)
	}
	var last struct{ Text string }
	reqs := w.peers["hook"].Requests()
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &last); err != nil || last.Text != "web is RECOVERED (while this channel was unreachable: DOWN at 10:00 UTC)" {
		t.Fatalf("the RECOVERED's text = %q, %v", last.Text, err)
	}
}

// An alert whose Prev is still a draft (the state that decided it is saved
// but the run that saved it has not marked it committed yet) waits for it;
// a draft on its own is never sent.
func TestAnAlertWaitsForItsPrevWhileThatIsADraft(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raiseSeq("web-down-1-aaaa", outbox.KindDown, 1, "", t0, true)
	w.raiseSeq("web-recovered-2-bbbb", outbox.KindRecovered, 2, "web-down-1-aaaa", t0, false)

	out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
	var re *notify.RetryableDeliveryError
	if !errors.As(err, &re) || out.Delivered != 0 || len(w.peers["hook"].Requests()) != 0 {
		t.Fatalf("run 1 = %+v, %v; sent %d; want nothing sent and a retry", out, err, len(w.peers["hook"].Requests()))
	}

	if err := outbox.Commit(ctx, w.store, "web-down-1-aaaa"); err != nil {
		t.Fatal(err)
	}
	out, err = w.handler().Handle(ctx, notify.In{Run: "run-2"})
	if err != nil || out != (notify.Out{Delivered: 2}) {
		t.Fatalf("run 2 = %+v, %v", out, err)
	}
	if got := hookKinds(t, w); strings.Join(got, ",") != "DOWN,RECOVERED" {
		t.Fatalf("the hook received %v, want DOWN, RECOVERED", got)
	}
}

// Withdrawn drafts, and drafts past their deadline, are removed unsent.
func TestDraftsThatWillNeverBeCommittedAreRemoved(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raiseSeq("web-down-1-aaaa", outbox.KindDown, 1, "", t0, true)
	if err := outbox.Withdraw(ctx, w.store, "web-down-1-aaaa"); err != nil {
		t.Fatal(err)
	}
	w.raiseSeq("web-down-1-cccc", outbox.KindDown, 1, "", t0.Add(-outbox.DefaultDeadline-time.Minute), true)
	w.raiseSeq("web-down-1-dddd", outbox.KindDown, 1, "", t0, true) // a live draft: kept

	out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
	if err != nil || out != (notify.Out{}) || len(w.peers["hook"].Requests()) != 0 {
		t.Fatalf("Handle = %+v, %v; sent %d; want nothing sent", out, err, len(w.peers["hook"].Requests()))
	}
	entries, err := outbox.List(ctx, w.store)
	if err != nil || len(entries) != 1 || entries[0].Alert.ID != "web-down-1-dddd" {
		t.Fatalf("outbox = %+v, %v; want only the live draft", entries, err)
	}
}

// While another run is sending a target's earlier alert, a later one waits
// for it (at most one send's timeout) and goes right after it; if that run
// does not finish in time, the later alert stays pending for a retry.
func TestALaterAlertWaitsForAnotherRunsSendOfTheEarlierOne(t *testing.T) {
	for _, finishes := range []bool{true, false} {
		t.Run(map[bool]string{true: "the other run finishes", false: "the other run hangs"}[finishes], func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			w.raiseSeq("web-down-1-aaaa", outbox.KindDown, 1, "", t0, false)
			w.raiseSeq("web-recovered-2-bbbb", outbox.KindRecovered, 2, "web-down-1-aaaa", t0, false)
			// Another run has claimed the DOWN and is sending it.
			if _, won, err := outbox.Claim(ctx, w.store, "web-down-1-aaaa", "hook", "other/1", t0, time.Minute); err != nil || !won {
				t.Fatalf("claim = %v, %v", won, err)
			}
			done := make(chan error, 1)
			go func() {
				if !finishes {
					done <- nil
					return
				}
				time.Sleep(100 * time.Millisecond)
				_, err := outbox.Finish(ctx, w.store, "web-down-1-aaaa", "hook", "other/1", outbox.Outcome{Status: outbox.Delivered, At: t0})
				done <- err
			}()
			h := w.handler()
			h.SendTimeout = time.Second
			out, err := h.Handle(ctx, notify.In{Run: "run-1"})
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			sent := hookKinds(t, w)
			if finishes {
				if err != nil || out.Delivered != 1 || strings.Join(sent, ",") != "RECOVERED" {
					t.Fatalf("Handle = %+v, %v; sent %v; want the RECOVERED sent once the DOWN was delivered", out, err, sent)
				}
				return
			}
			var re *notify.RetryableDeliveryError
			if !errors.As(err, &re) || len(sent) != 0 || out.Pending != 2 {
				t.Fatalf("Handle = %+v, %v; sent %v; want nothing sent, both pending, and a retry", out, err, sent)
			}
		})
	}
}
