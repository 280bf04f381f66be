package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/channel/channeltest"
)

// Eight targets go down in the same run: the webhook (digestAfter 5, the
// default) gets one JSON array of their eight alerts; a channel with
// digestAfter: 0 gets eight messages; every alert leaves the outbox.
func TestManyAlertsGoAsOneDigestThroughTheDefinition(t *testing.T) {
	h := newHarness(t, setup{})
	digest := channeltest.NewReceiver(t, false, nil)
	single := newReceiver(t, ok)
	down := newBodyServer(t, http.StatusOK, "ok")
	var targets strings.Builder
	for i := range 8 {
		fmt.Fprintf(&targets, "  - {name: svc%d, url: %q}\n", i, down.URL)
	}
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
  each: {type: webhook, url: %q, digestAfter: 0}
defaults: {channels: [hook, each]}
targets:
%s`, digest.URL, single.URL, targets.String()))
	h.mustSucceed(schedule)
	down.set(http.StatusServiceUnavailable, "down")
	h.clock.Set(start.Add(5 * time.Minute))
	h.mustSucceed(schedule)
	h.clock.Set(start.Add(10 * time.Minute))
	h.mustSucceed(schedule)

	got := digest.Requests()
	if len(got) != 1 {
		t.Fatalf("the digest channel got %d requests, want 1", len(got))
	}
	body := string(got[0].Body)
	if !strings.HasPrefix(body, "[") || strings.Count(body, `"kind":"DOWN"`) != 8 {
		t.Fatalf("the digest = %s, want a JSON array of 8 DOWN alerts", body)
	}
	for i := range 8 {
		if !strings.Contains(body, fmt.Sprintf(`"target":"svc%d"`, i)) {
			t.Errorf("the digest lacks svc%d", i)
		}
	}
	if n := len(single.requests()); n != 8 {
		t.Fatalf("the channel with digestAfter: 0 got %d requests, want 8", n)
	}
	if n := len(h.outbox()); n != 0 {
		t.Fatalf("%d alerts left in the outbox, want none", n)
	}
}
