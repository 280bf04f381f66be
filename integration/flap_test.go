package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

// A target that alternates between passing and failing, run every 10
// minutes through the real definition and handlers with the built-in
// settings (confirmation, so failureThreshold 1; flap detection at 3
// changes within 30m): the webhook gets its DOWN and RECOVERED, then one
// FLAPPING alert instead of the third change, nothing for the changes
// after it, and one alert when it has kept one status for 30 minutes.
// Each alert arrives once, in the order raised (each one's prev is the
// one before). A steady target beside it alerts as usual.
func TestFlappingTargetAlertsOnceThroughTheDefinition(t *testing.T) {
	h := newHarness(t, setup{})
	hook := newReceiver(t, ok)
	web := newBodyServer(t, http.StatusOK, "ok")
	api := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
defaults: {channels: [hook]}
targets:
  - {name: web, url: %q}
  - {name: api, url: %q}
`, hook.URL, web.URL, api.URL))

	// web's answers, run by run (10 minutes apart): it flaps from 10m to
	// 60m, then passes. api goes down at 80m.
	plan := []int{200, 503, 200, 503, 200, 503, 200, 200, 200, 200}
	for run, code := range plan {
		h.clock.Set(start.Add(time.Duration(run) * 10 * time.Minute))
		web.set(code, "ok")
		if run == 8 {
			api.set(http.StatusServiceUnavailable, "down")
		}
		h.mustSucceed(schedule)
		if run == 4 {
			st := h.state().Targets["web"]
			if st.Status != status.Up || !st.FlappingSince.Equal(start.Add(30*time.Minute)) || len(st.Changes) != 3 {
				t.Fatalf("web's state while flapping = %+v, want UP (recorded), flappingSince 09:30, 3 changes kept", st)
			}
		}
	}

	var webTexts, apiTexts []string
	for _, r := range hook.requests() {
		text := fmt.Sprint(r.Body["text"])
		switch {
		case strings.HasPrefix(text, "web "):
			webTexts = append(webTexts, fmt.Sprint(r.Body["kind"])+": "+text)
		case strings.HasPrefix(text, "api "):
			apiTexts = append(apiTexts, fmt.Sprint(r.Body["kind"])+": "+text)
		}
	}
	want := []string{
		"DOWN: web is DOWN since 2026-03-02 09:00 UTC: status 503, want 200-399",
		"RECOVERED: web RECOVERED after 20m down",
		"FLAPPING: web is FLAPPING: 3 status changes in 20m (now DOWN since 2026-03-02 09:20 UTC: status 503, want 200-399); its DOWN, STALE and RECOVERED alerts are held until it keeps one status for 30m",
		"RECOVERED: web stopped flapping after 1h and is UP since 2026-03-02 10:00 UTC",
	}
	if !slices.Equal(webTexts, want) {
		t.Fatalf("web's alerts:\n%s\nwant:\n%s", strings.Join(webTexts, "\n"), strings.Join(want, "\n"))
	}
	if len(apiTexts) != 1 || !strings.HasPrefix(apiTexts[0], "DOWN: api is DOWN") {
		t.Fatalf("api's alerts = %q, want its one DOWN", apiTexts)
	}
	// Exactly once, and in order: the sequence numbers in web's alert IDs
	// (web-<kind>-<seq>-<raiser>) grow in the order they arrived.
	lastSeq := 0
	seen := map[string]bool{}
	for _, r := range hook.requests() {
		id := fmt.Sprint(r.Body["id"])
		if !strings.HasPrefix(id, "web-") {
			continue
		}
		if seen[id] {
			t.Fatalf("alert %s delivered twice", id)
		}
		seen[id] = true
		seq, err := strconv.Atoi(strings.Split(id, "-")[2])
		if err != nil || seq <= lastSeq {
			t.Fatalf("alert %s arrived after seq %d, want a later seq", id, lastSeq)
		}
		lastSeq = seq
	}
	if len(h.outbox()) != 0 {
		t.Fatalf("outbox = %v, want every alert delivered", h.outbox())
	}
	if st := h.state().Targets["web"]; !st.FlappingSince.IsZero() || st.Changes != nil {
		t.Fatalf("web's state once settled = %+v, want no flapping and no changes kept", st)
	}
}
