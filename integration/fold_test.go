package integration

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

// A router and two targets behind it go down together: the webhook gets one
// alert, the router's, naming both; their statuses are recorded all the
// same. When the router comes back, the target still failing alerts on its
// own and the one that recovered with it says nothing.
func TestDependencyFoldThroughTheDefinition(t *testing.T) {
	h := newHarness(t, setup{})
	hook := newReceiver(t, ok)
	router := newBodyServer(t, http.StatusOK, "ok")
	web := newBodyServer(t, http.StatusOK, "ok")
	db := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
defaults: {channels: [hook]}
targets:
  - {name: router, url: %q, group: network}
  - {name: web, url: %q, dependsOn: [router], group: shop}
  - {name: db, url: %q, dependsOn: [router], group: shop}
`, hook.URL, router.URL, web.URL, db.URL))

	at := func(d time.Duration) { h.clock.Set(start.Add(d)) }
	h.mustSucceed(schedule)
	for _, s := range []*bodyServer{router, web, db} {
		s.set(http.StatusServiceUnavailable, "down")
	}
	at(5 * time.Minute)
	h.mustSucceed(schedule)
	at(10 * time.Minute)
	h.mustSucceed(schedule)

	got := hook.requests()
	if len(got) != 1 {
		t.Fatalf("the webhook got %d messages when the router and both targets behind it went down, want 1: %v", len(got), got)
	}
	want := "router is DOWN since 2026-03-02 09:00 UTC: status 503, want 200-399; 2 dependent targets also failing: db, web"
	if got[0].Body["text"] != want || got[0].Body["kind"] != "DOWN" || fmt.Sprint(got[0].Body["dependents"]) != "[db web]" {
		t.Fatalf("the alert = %v, want the router's DOWN with text %q and dependents [db web]", got[0].Body, want)
	}
	st := h.state()
	for _, name := range []string{"web", "db"} {
		if s := st.Targets[name]; s.Status != status.Down || s.FoldedInto != "router" || s.Group != "shop" {
			t.Errorf("%s = %+v, want DOWN (recorded), folded into router, group shop", name, s)
		}
	}
	if g := st.Targets["router"].Group; g != "network" {
		t.Errorf("router's group = %q, want network", g)
	}

	router.set(http.StatusOK, "ok")
	web.set(http.StatusOK, "ok")
	at(15 * time.Minute)
	h.mustSucceed(schedule)
	got = hook.requests()[1:]
	var texts []string
	for _, r := range got {
		texts = append(texts, fmt.Sprint(r.Body["text"]))
	}
	wantTexts := []string{
		"router RECOVERED after 15m down; 1 dependent target still failing, now alerted on their own: db",
		// Folded since 09:05: the first run that saw the outage (its failures
		// confirmed within the run, and so DOWN at once).
		"db is DOWN since 2026-03-02 09:00 UTC: status 503, want 200-399 (folded into router's alerts since 2026-03-02 09:05 UTC)",
	}
	slices.Sort(texts)
	slices.Sort(wantTexts)
	if !slices.Equal(texts, wantTexts) {
		t.Fatalf("after the router recovered the webhook got %q, want %q", texts, wantTexts)
	}
	if len(h.outbox()) != 0 {
		t.Fatalf("outbox = %v, want every alert delivered", h.outbox())
	}

	db.set(http.StatusOK, "ok")
	at(20 * time.Minute)
	h.mustSucceed(schedule)
	got = hook.requests()[3:]
	if len(got) != 1 || got[0].Body["text"] != "db RECOVERED after 20m down" {
		t.Fatalf("db's recovery sent %v, want its own RECOVERED", got)
	}
}
