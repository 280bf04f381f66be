package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/status"
)

// TestMaintenancePauseAndAckThroughTheDefinition runs a maintenance window,
// a pause and an acknowledgement through the real definition and handlers
// on the controlled clock: the window's outage raises nothing until its
// summary, the paused target is not probed and raises nothing, and the
// acknowledged one sends no reminder and recovers naming who acknowledged it.
func TestMaintenancePauseAndAckThroughTheDefinition(t *testing.T) {
	h := newHarness(t, setup{})
	hook := newReceiver(t, ok)
	web := newBodyServer(t, http.StatusOK, "ok")
	db := newBodyServer(t, http.StatusOK, "ok")
	job := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
channels:
  hook: {type: webhook, url: %q}
defaults: {channels: [hook], confirm: {attempts: 0}, failureThreshold: 1, flap: {changes: 0}}
targets:
  - name: web
    url: %q
    maintenance: [{start: %s, end: %s}]
  - {name: db, url: %q, remindEvery: 10m}
  - {name: job, url: %q}
`, hook.URL, web.URL, start.Add(10*time.Minute).Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339), db.URL, job.URL))
	ctx := context.Background()
	kinds := func() []string {
		var out []string
		for _, r := range hook.requests() {
			out = append(out, fmt.Sprint(r.Body["target"], " ", r.Body["kind"]))
		}
		return out
	}

	h.mustSucceed(schedule) // 09:00: all UP, nothing to tell
	if _, err := hold.Update(ctx, h.direct, start, func(f *hold.File) error {
		f.Paused["job"] = hold.Pause{At: start, By: "alice", Note: "migrating"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	jobHits := job.requests()

	// 09:10: web fails inside its window, db fails, job is paused (and
	// would fail).
	web.set(http.StatusServiceUnavailable, "down")
	db.set(http.StatusServiceUnavailable, "down")
	job.set(http.StatusServiceUnavailable, "down")
	h.clock.Set(start.Add(10 * time.Minute))
	h.mustSucceed(schedule)
	st := h.state()
	if got := []string{st.Targets["web"].Shown(), st.Targets["web"].Status, st.Targets["db"].Shown(), st.Targets["job"].Shown(), st.Targets["job"].Status}; fmt.Sprint(got) != "[MAINTENANCE DOWN DOWN PAUSED UP]" {
		t.Fatalf("after 09:10: web, web's status, db, job, job's status = %v", got)
	}
	if job.requests() != jobHits {
		t.Fatalf("the paused job was probed %d times", job.requests()-jobHits)
	}
	if got := fmt.Sprint(kinds()); got != "[db DOWN]" {
		t.Fatalf("alerts after 09:10 = %s, want only db's DOWN", got)
	}

	// 09:12 db is acknowledged; 09:20 and 09:25: no reminder, nothing from
	// web in its window, nothing from the paused job.
	if _, err := hold.Update(ctx, h.direct, start.Add(12*time.Minute), func(f *hold.File) error {
		f.Acks["db"] = hold.Ack{At: start.Add(12 * time.Minute), By: "alice", Note: "on it"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{20 * time.Minute, 25 * time.Minute} {
		h.clock.Set(start.Add(at))
		h.mustSucceed(schedule)
	}
	if got := fmt.Sprint(kinds()); got != "[db DOWN]" {
		t.Fatalf("alerts by 09:25 = %s, want still only db's DOWN (db acknowledged, web in maintenance, job paused)", got)
	}
	if a := h.state().Targets["db"].Ack; a == nil || a.By != "alice" {
		t.Fatalf("db's state has ack %+v", a)
	}

	// 09:30: the window has closed (its end is not in it), web and db are
	// fixed: one summary for web, db's recovery names the ack.
	web.set(http.StatusOK, "ok")
	db.set(http.StatusOK, "ok")
	h.clock.Set(start.Add(30 * time.Minute))
	h.mustSucceed(schedule)
	got := hook.requests()
	if fmt.Sprint(kinds()) != "[db DOWN db RECOVERED web MAINTENANCE]" && fmt.Sprint(kinds()) != "[db DOWN web MAINTENANCE db RECOVERED]" {
		t.Fatalf("alerts by 09:30 = %v, want db's DOWN, then db's RECOVERED and web's MAINTENANCE summary", kinds())
	}
	for _, r := range got[1:] {
		text := fmt.Sprint(r.Body["text"])
		switch r.Body["kind"] {
		case outbox.KindRecovered:
			if !strings.Contains(text, "(acknowledged by alice at 2026-03-02 09:12 UTC: on it)") {
				t.Errorf("db's recovery %q does not say who acknowledged it", text)
			}
		case outbox.KindMaintenance:
			if want := "web: maintenance 2026-03-02 09:10 UTC to 09:30 UTC is over: UP → DOWN → UP, 3 of 3 checks failed; now UP"; text != want {
				t.Errorf("web's summary = %q, want %q", text, want)
			}
		}
	}

	// 09:40: job resumed; it is probed again, and decided from its checks.
	if _, err := hold.Update(ctx, h.direct, start.Add(40*time.Minute), func(f *hold.File) error {
		delete(f.Paused, "job")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(start.Add(40 * time.Minute))
	h.mustSucceed(schedule)
	if job.requests() == jobHits {
		t.Fatal("the resumed job was not probed")
	}
	if st := h.state().Targets["job"]; st.Shown() != status.Down || !st.ResumedAt.Equal(start.Add(40*time.Minute)) {
		t.Fatalf("job after its resume: %s, resumedAt %v; want DOWN (it fails), resumed at 09:40", st.Shown(), st.ResumedAt)
	}
}
