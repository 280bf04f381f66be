package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

// identityTargets is a targets file with web (failing at once:
// failureThreshold 1) and, when withWeb is false, only a healthy target.
func identityTargets(api, web, healthy string, withWeb bool) string {
	file := fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
defaults: {failureThreshold: 1, timeout: 5s, channels: [api]}
targets:
  - {name: healthy, url: %q}
`, api, healthy)
	if withWeb {
		file += fmt.Sprintf("  - {name: web, url: %q}\n", web)
	}
	return file
}

// kindsOf lists the kind of every webhook request for target, in order.
func kindsOf(rc *receiver, target string) []string {
	var kinds []string
	for _, r := range rc.requests() {
		if r.Body["target"] == target {
			kinds = append(kinds, fmt.Sprint(r.Body["kind"]))
		}
	}
	return kinds
}

// A target removed from the file and added back while it is still failing
// raises a new DOWN, and it is delivered: it is not taken for the DOWN of
// its first life, which was delivered and left a record in state/settled/.
func TestReaddedTargetAlertsAgain(t *testing.T) {
	h := newHarness(t, setup{})
	broken := newBodyServer(t, http.StatusServiceUnavailable, "")
	healthy := newBodyServer(t, http.StatusOK, "ok")
	api := newReceiver(t, ok)

	h.putTargets(identityTargets(api.URL, broken.URL, healthy.URL, true))
	h.mustSucceed(schedule)
	if got := kindsOf(api, "web"); len(got) != 1 || got[0] != "DOWN" {
		t.Fatalf("first life: web's alerts %v, want one DOWN", got)
	}

	h.putTargets(identityTargets(api.URL, broken.URL, healthy.URL, false))
	h.clock.Advance(5 * time.Minute)
	h.mustSucceed(schedule)
	if _, ok := h.state().Targets["web"]; ok {
		t.Fatal("web is still in the state after it was removed from the targets file")
	}

	h.putTargets(identityTargets(api.URL, broken.URL, healthy.URL, true))
	h.clock.Advance(5 * time.Minute)
	h.mustSucceed(schedule)
	if got := h.statusOf("web"); got != status.Down {
		t.Fatalf("web is %s after it came back failing, want DOWN", got)
	}
	if got := kindsOf(api, "web"); len(got) != 2 || got[1] != "DOWN" {
		t.Fatalf("web's alerts %v, want a second DOWN for its second life (ids %q)", got, api.alertIDs())
	}
	if ids := api.alertIDs(); !distinct(ids) {
		t.Fatalf("alert ids %q: an alert reused an earlier one's id", ids)
	}
	if n := len(h.outbox()); n != 0 {
		t.Fatalf("outbox holds %d alerts after delivery, want none", n)
	}
}

// Deleting state/status.json (the documented reset) starts every target
// again as UNKNOWN; the alerts raised after it are delivered, none is taken
// for one raised before the reset.
func TestStateResetDoesNotSwallowLaterAlerts(t *testing.T) {
	h := newHarness(t, setup{})
	web := newBodyServer(t, http.StatusServiceUnavailable, "")
	healthy := newBodyServer(t, http.StatusOK, "ok")
	api := newReceiver(t, ok)
	h.putTargets(identityTargets(api.URL, web.URL, healthy.URL, true))

	h.mustSucceed(schedule) // DOWN
	web.set(http.StatusOK, "ok")
	h.clock.Advance(5 * time.Minute)
	h.mustSucceed(schedule) // RECOVERED
	if got := kindsOf(api, "web"); len(got) != 2 || got[0] != "DOWN" || got[1] != "RECOVERED" {
		t.Fatalf("before the reset: web's alerts %v, want DOWN, RECOVERED", got)
	}

	for round := range 2 {
		if err := h.direct.Delete(context.Background(), status.Key); err != nil {
			t.Fatal(err)
		}
		web.set(http.StatusServiceUnavailable, "")
		h.clock.Advance(5 * time.Minute)
		h.mustSucceed(schedule)
		web.set(http.StatusOK, "ok")
		h.clock.Advance(5 * time.Minute)
		h.mustSucceed(schedule)
		want := 2 + 2*(round+1)
		if got := kindsOf(api, "web"); len(got) != want || got[want-2] != "DOWN" || got[want-1] != "RECOVERED" {
			t.Fatalf("after reset %d: web's alerts %v, want %d ending DOWN, RECOVERED (ids %q)", round+1, got, want, api.alertIDs())
		}
	}
	if ids := api.alertIDs(); !distinct(ids) {
		t.Fatalf("alert ids %q: an alert reused an earlier one's id", ids)
	}
}
