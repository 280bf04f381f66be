package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/tasks/notify"
)

// raiseTargets puts a DOWN alert of each of n targets (t00, t01, ...) in the
// outbox for channels.
func (w *world) raiseTargets(n int, channels ...string) []string {
	w.t.Helper()
	var ids []string
	for i := range n {
		name := fmt.Sprintf("t%02d", i)
		id := name + "-down-1"
		a := outbox.Alert{ID: id, Target: name, Kind: outbox.KindDown, Seq: 1, Epoch: t0, Since: t0, At: t0,
			Failures: []string{"connection refused"}, Text: name + " is DOWN since 2026-11-21 10:00 UTC: connection refused",
			Deadline: t0.Add(outbox.DefaultDeadline), Deliveries: map[string]*outbox.Delivery{}}
		for _, c := range channels {
			a.Deliveries[c] = &outbox.Delivery{Status: outbox.Pending}
		}
		if _, err := outbox.Create(context.Background(), w.store, a); err != nil {
			w.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (w *world) digestAfter(n int, channels ...string) {
	for _, name := range channels {
		c := w.channels[name]
		c.DigestAfter = n
		w.channels[name] = c
	}
}

// settledOnce checks that every alert left the outbox with each channel's
// delivery recorded delivered, after one attempt.
func settledOnce(t *testing.T, w *world, ids []string, channels ...string) {
	t.Helper()
	for _, id := range ids {
		var rec outbox.Settled
		if _, err := w.store.GetJSON(context.Background(), outbox.SettledKey(id), &rec); err != nil {
			t.Fatalf("%s not settled: %v", id, err)
		}
		for _, c := range channels {
			if d := rec.Alert.Deliveries[c]; d == nil || d.Status != outbox.Delivered || d.Attempts != 1 {
				t.Fatalf("%s on %s = %+v, want delivered after one attempt", id, c, d)
			}
		}
	}
}

// Seven targets go down in one run, over the digestAfter of 5: every
// channel type gets one message that holds all seven.
func TestManyAlertsForAChannelGoAsOneDigest(t *testing.T) {
	w := newWorld(t)
	all := []string{"slack", "discord", "line", "sns", "hook"}
	w.digestAfter(5, all...)
	ids := w.raiseTargets(7, all...)
	out, err := w.handler().Handle(context.Background(), notify.In{Run: "run-1"})
	if err != nil || out != (notify.Out{Delivered: 35}) {
		t.Fatalf("run = %+v, %v; want 35 deliveries", out, err)
	}
	for _, c := range all {
		if n := len(w.peers[c].Requests()); n != 1 {
			t.Fatalf("%s got %d requests, want one digest", c, n)
		}
	}
	body := func(c string) []byte { return w.peers[c].Requests()[0].Body }

	var slack struct {
		Text   string
		Blocks []struct {
			Type string
			Text struct{ Text string }
		}
	}
	if err := json.Unmarshal(body("slack"), &slack); err != nil || len(slack.Blocks) != 8 || slack.Blocks[0].Text.Text != "medic: 7 alerts: 7 DOWN" ||
		slack.Blocks[1].Type != "section" || !strings.Contains(slack.Blocks[1].Text.Text, "t00 is DOWN since 2026-11-21 10:00 UTC: connection refused") ||
		!strings.Contains(slack.Blocks[7].Text.Text, "_t06-down-1_") {
		t.Fatalf("slack digest = %s, %v; want a header and 7 sections in order", body("slack"), err)
	}
	var discord struct {
		Content string
		Embeds  []struct{ Title, Description string }
	}
	if err := json.Unmarshal(body("discord"), &discord); err != nil || len(discord.Embeds) != 7 || discord.Content != "medic: 7 alerts: 7 DOWN" ||
		discord.Embeds[3].Title != "🔴 t03 is DOWN" {
		t.Fatalf("discord digest = %s, %v; want 7 embeds", body("discord"), err)
	}
	var line struct{ Messages []struct{ Text string } }
	if err := json.Unmarshal(body("line"), &line); err != nil || len(line.Messages) != 1 || strings.Count(line.Messages[0].Text, " is DOWN since ") != 7 {
		t.Fatalf("line digest = %s, %v; want one text with 7 alerts", body("line"), err)
	}
	if key := w.peers["line"].Requests()[0].Header.Get("X-Line-Retry-Key"); key == "" {
		t.Fatal("the LINE digest has no retry key")
	}
	v, err := url.ParseQuery(string(body("sns")))
	if err != nil || v.Get("Subject") != "medic: 7 alerts: 7 DOWN" || strings.Count(v.Get("Message"), "Alert: t0") != 7 {
		t.Fatalf("sns digest = %v, %v", v, err)
	}
	var hook []struct{ ID, Kind, Text string }
	if err := json.Unmarshal(body("hook"), &hook); err != nil || len(hook) != 7 || hook[0].ID != "t00-down-1" || hook[6].ID != "t06-down-1" {
		t.Fatalf("webhook digest = %s, %v; want a JSON array of 7 alerts", body("hook"), err)
	}
	settledOnce(t, w, ids, all...)
}

func TestDigestRules(t *testing.T) {
	ctx := context.Background()
	t.Run("at digestAfter or under: one by one", func(t *testing.T) {
		w := newWorld(t)
		w.digestAfter(5, "hook")
		w.raiseTargets(5, "hook")
		if out, err := w.handler().Handle(ctx, notify.In{Run: "r"}); err != nil || out.Delivered != 5 || len(w.peers["hook"].Requests()) != 5 {
			t.Fatalf("run = %+v, %v, %d requests; want 5 single messages", out, err, len(w.peers["hook"].Requests()))
		}
	})
	t.Run("digestAfter 0: never", func(t *testing.T) {
		w := newWorld(t)
		w.raiseTargets(8, "hook")
		if _, err := w.handler().Handle(ctx, notify.In{Run: "r"}); err != nil || len(w.peers["hook"].Requests()) != 8 {
			t.Fatalf("%v, %d requests; want 8", err, len(w.peers["hook"].Requests()))
		}
	})
	t.Run("over the service's limits: split, nothing lost", func(t *testing.T) {
		w := newWorld(t)
		w.digestAfter(5, "discord", "slack")
		ids := w.raiseTargets(60, "discord", "slack")
		out, err := w.handler().Handle(ctx, notify.In{Run: "r"})
		if err != nil || out.Delivered != 120 {
			t.Fatalf("run = %+v, %v", out, err)
		}
		embeds, sections := 0, 0
		for _, r := range w.peers["discord"].Requests() {
			var m struct{ Embeds []json.RawMessage }
			_ = json.Unmarshal(r.Body, &m)
			if len(m.Embeds) > 10 {
				t.Fatalf("a discord message has %d embeds, over Discord's 10", len(m.Embeds))
			}
			embeds += len(m.Embeds)
		}
		for _, r := range w.peers["slack"].Requests() {
			var m struct{ Blocks []json.RawMessage }
			_ = json.Unmarshal(r.Body, &m)
			if len(m.Blocks) > 50 {
				t.Fatalf("a slack message has %d blocks, over Slack's 50", len(m.Blocks))
			}
			sections += len(m.Blocks) - 1
		}
		if n := len(w.peers["discord"].Requests()); n != 6 || embeds != 60 {
			t.Fatalf("discord got %d messages with %d embeds, want 6 with 60", n, embeds)
		}
		if n := len(w.peers["slack"].Requests()); n != 2 || sections != 60 {
			t.Fatalf("slack got %d messages with %d sections, want 2 with 60", n, sections)
		}
		settledOnce(t, w, ids, "discord", "slack")
	})
	t.Run("a part that fails: it stays pending, the later parts are not sent", func(t *testing.T) {
		w := newWorld(t)
		w.digestAfter(5, "discord")
		ids := w.raiseTargets(12, "discord")
		w.peers["discord"].set(answer500)
		out, err := w.handler().Handle(ctx, notify.In{Run: "r"})
		if err == nil || out != (notify.Out{Pending: 12}) || len(w.peers["discord"].Requests()) != 1 {
			t.Fatalf("run = %+v, %v, %d requests; want the first part failed, all 12 pending", out, err, len(w.peers["discord"].Requests()))
		}
		for i, id := range ids {
			want := 1
			if i >= 10 {
				want = 0 // the second part was never sent
			}
			if d := delivery(t, w, id, "discord"); d.Status != outbox.Pending || d.Attempts != want {
				t.Fatalf("%s = %+v, want pending after %d attempts", id, d, want)
			}
		}
		w.peers["discord"].set(answerOK)
		w.clock.Advance(time.Minute)
		if out, err := w.handler().Handle(ctx, notify.In{Run: "r2"}); err != nil || out.Delivered != 12 || len(w.peers["discord"].Requests()) != 3 {
			t.Fatalf("run 2 = %+v, %v, %d requests", out, err, len(w.peers["discord"].Requests()))
		}
	})
	t.Run("a target that missed several alerts is one item, collapsed", func(t *testing.T) {
		w := newWorld(t)
		w.digestAfter(3, "hook")
		w.peers["hook"].set(answer500)
		w.raiseFor("web-down-1", outbox.KindDown, 1, "", t0, "hook")
		_, _ = w.handler().Handle(ctx, notify.In{Run: "r1"})
		w.raiseFor("web-recovered-2", outbox.KindRecovered, 2, "web-down-1", t0.Add(time.Minute), "hook")
		w.raiseTargets(3, "hook")
		w.peers["hook"].set(answerOK)
		out, err := w.handler().Handle(ctx, notify.In{Run: "r2"})
		if err != nil || out != (notify.Out{Delivered: 5, Collapsed: 1}) {
			t.Fatalf("run 2 = %+v, %v", out, err)
		}
		reqs := w.peers["hook"].Requests()
		var got []struct{ ID, Text string }
		if len(reqs) != 2 || json.Unmarshal(reqs[1].Body, &got) != nil || len(got) != 4 {
			t.Fatalf("requests %d, last %s; want one digest of 4 items", len(reqs), reqs[len(reqs)-1].Body)
		}
		var web string
		for _, g := range got {
			if g.ID == "web-recovered-2" {
				web = g.Text
			}
		}
		if web != "web is RECOVERED (while this channel was unreachable: DOWN at 10:00 UTC)" {
			t.Fatalf("web's item = %q, want its RECOVERED with the DOWN in its summary", web)
		}
	})
}
