package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
)

// downAndRecover runs the fault scenario every S3 fault test shares: four
// targets (two down, alerting a webhook), a run that finds them DOWN, and
// a run after they recover. Whatever the faults, both runs succeed, every
// echo and status is right, each alert reaches the receiver exactly once
// and the outbox ends empty.
func downAndRecover(t *testing.T, h *harness) {
	t.Helper()
	good := newBodyServer(t, http.StatusOK, "ok")
	bad := newBodyServer(t, http.StatusInternalServerError, "")
	api := newReceiver(t, ok)
	h.putTargets(fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
defaults: {failureThreshold: 1, timeout: 5s, channels: [api]}
targets:
  - {name: up-1, url: %q}
  - {name: up-2, url: %q}
  - {name: down-1, url: %q}
  - {name: down-2, url: %q}
`, api.URL, good.URL, good.URL, bad.URL, bad.URL))

	check := func(round string, want map[string]bool) {
		t.Helper()
		st := h.state()
		for name, up := range want {
			e := h.mustEcho(name)
			wantStatus := status.Down
			if up {
				wantStatus = status.Up
			}
			if e.Up != up || !e.CheckedAt.Equal(h.clock.Now()) || st.Targets[name].Status != wantStatus {
				t.Errorf("%s: %s: echo up %v checked %v, status %q; want up %v, checked now, %s",
					round, name, e.Up, e.CheckedAt, st.Targets[name].Status, up, wantStatus)
			}
		}
	}

	h.mustSucceed(schedule)
	check("first run", map[string]bool{"up-1": true, "up-2": true, "down-1": false, "down-2": false})
	bad.set(http.StatusOK, "ok")
	h.clock.Advance(5 * time.Minute)
	h.mustSucceed(schedule)
	check("second run", map[string]bool{"up-1": true, "up-2": true, "down-1": true, "down-2": true})

	ids := api.alertIDs()
	if len(ids) != 4 || !distinct(ids) {
		t.Errorf("alerts sent %q, want DOWN and RECOVERED for down-1 and down-2, each once", ids)
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts, want none", n)
	}
}

func TestS3InternalErrorsAreRetriedAndNothingIsLost(t *testing.T) {
	p := newS3Proxy(t, every(4, internalError))
	h := newHarness(t, setup{s3Front: p.front})
	downAndRecover(t, h)
	if p.count(internalError) < 10 {
		t.Errorf("injected %d 500s, want at least 10 for the test to mean something", p.count(internalError))
	}
}

func TestS3SlowDownIsRetriedAndNothingIsLost(t *testing.T) {
	p := newS3Proxy(t, every(3, slowDown))
	h := newHarness(t, setup{s3Front: p.front})
	downAndRecover(t, h)
	if p.count(slowDown) < 10 {
		t.Errorf("injected %d SlowDowns, want at least 10", p.count(slowDown))
	}
}

func TestS3ConnectionResetsAreRetriedAndNothingIsLost(t *testing.T) {
	p := newS3Proxy(t, every(5, reset))
	h := newHarness(t, setup{s3Front: p.front})
	downAndRecover(t, h)
	if p.count(reset) < 8 {
		t.Errorf("injected %d resets, want at least 8", p.count(reset))
	}
}

func TestS3LatencyOnEveryRequestLosesNothing(t *testing.T) {
	p := newS3Proxy(t, func(int, *http.Request) fault { return slow })
	p.latency = 15 * time.Millisecond
	h := newHarness(t, setup{s3Front: p.front})
	downAndRecover(t, h)
	if p.count(slow) < 40 {
		t.Errorf("delayed %d requests, want at least 40", p.count(slow))
	}
}

// TestS3LostAnswersAfterWritesLandLoseNothingAndSendNothingTwice resets
// the connection after a third of the PUTs and DELETEs (picked by a seeded
// generator, so the same ones every time) have reached the server: the
// write happened, but the client never hears so and its retry finds the
// object changed (412). Alerts may be delayed to a later run (a lease left
// behind expires), but none is lost or sent twice. (Not every third write:
// when a run's writes are a multiple of three, the same write of every run
// loses its answer, and an alert whose claim is always that write is never
// sent.)
func TestS3LostAnswersAfterWritesLandLoseNothingAndSendNothingTwice(t *testing.T) {
	var mu sync.Mutex
	pick := rand.New(rand.NewPCG(3, 15))
	p := newS3Proxy(t, func(_ int, r *http.Request) fault {
		if r.Method != http.MethodPut && r.Method != http.MethodDelete {
			return pass
		}
		mu.Lock()
		defer mu.Unlock()
		if pick.IntN(3) == 0 {
			return lostAnswer
		}
		return pass
	})
	h := newHarness(t, setup{s3Front: p.front})
	good := newBodyServer(t, http.StatusOK, "ok")
	bad := newBodyServer(t, http.StatusInternalServerError, "")
	api := newReceiver(t, ok)
	h.putTargets(fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
defaults: {failureThreshold: 1, timeout: 5s, channels: [api]}
targets:
  - {name: up-1, url: %q}
  - {name: down-1, url: %q}
  - {name: down-2, url: %q}
`, api.URL, good.URL, bad.URL, bad.URL))

	// Runs 3 minutes apart: a lease left by a lost answer (2 minutes) has
	// expired by the next run.
	for i := range 4 {
		x := h.run(schedule)
		if x.Status != "SUCCEEDED" {
			t.Fatalf("run %d: %s %s: %s", i+1, x.Status, x.Error, x.Cause)
		}
		h.clock.Advance(3 * time.Minute)
	}
	for name, want := range map[string]string{"up-1": status.Up, "down-1": status.Down, "down-2": status.Down} {
		if got := h.statusOf(name); got != want {
			t.Errorf("%s: status %q, want %q", name, got, want)
		}
	}
	ids := api.alertIDs()
	if len(ids) != 2 || !distinct(ids) {
		t.Errorf("alerts sent %q, want one DOWN for each of down-1 and down-2", ids)
	}
	if alerts := h.outbox(); len(alerts) != 0 {
		t.Errorf("outbox still holds %d alerts after 4 runs: %+v", len(alerts), alerts)
	}
	if p.count(lostAnswer) < 5 {
		t.Errorf("lost %d answers, want at least 5", p.count(lostAnswer))
	}
}

// TestS3PreconditionFailedFromACompetingWriteIsResolved interleaves a
// competing write of state/status.json just before CheckStaleness's
// conditional write reaches S3: S3 answers 412, CheckStaleness re-reads and
// decides again, and the competing run's change is kept.
func TestS3PreconditionFailedFromACompetingWriteIsResolved(t *testing.T) {
	p := newS3Proxy(t, nil)
	h := newHarness(t, setup{s3Front: p.front})
	var once sync.Once
	earlier := start.Add(-time.Hour).Format(time.RFC3339)
	p.before = func(r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/"+status.Key) {
			return
		}
		if r.Header.Get("If-Match") == "" && r.Header.Get("If-None-Match") == "" {
			t.Errorf("state written without a condition: %v", r.Header)
		}
		once.Do(func() {
			// Another run saved first; it had seen up-1 an hour earlier.
			competing := fmt.Sprintf(`{"targets": {"up-1": {"target": "up-1", "status": "UP", "firstSeenAt": %q,
			  "lastEchoAt": %q, "lastGoodAt": %q, "failStreak": 0, "successStreak": 3, "seq": 0}}}`,
				earlier, earlier, earlier)
			if _, err := h.direct.Put(context.Background(), status.Key, []byte(competing), store.Condition{}); err != nil {
				t.Errorf("competing write: %v", err)
			}
		})
	}
	downAndRecover(t, h)
	if p.answered(http.StatusPreconditionFailed) < 1 {
		t.Fatal("S3 never answered 412: the competing write did not interleave")
	}
	if got := h.state().Targets["up-1"].FirstSeenAt; !got.Equal(start.Add(-time.Hour)) {
		t.Errorf("up-1 first seen at %v, want the competing run's %s: its update was lost", got, earlier)
	}
}

// conflictOnFirst answers 409 ConditionalRequestConflict to the first
// conditional PUT of every key that match selects.
func conflictOnFirst(match func(r *http.Request) bool) func(int, *http.Request) fault {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(_ int, r *http.Request) fault {
		if r.Method != http.MethodPut || !match(r) {
			return pass
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[r.URL.Path] {
			return pass
		}
		seen[r.URL.Path] = true
		return conflict
	}
}

// TestS3ConditionalRequestConflictIsRetried answers 409
// ConditionalRequestConflict to the first If-Match write of every object:
// state/status.json and each outbox alert's claim.
func TestS3ConditionalRequestConflictIsRetried(t *testing.T) {
	p := newS3Proxy(t, conflictOnFirst(func(r *http.Request) bool { return r.Header.Get("If-Match") != "" }))
	h := newHarness(t, setup{s3Front: p.front})
	downAndRecover(t, h)
	if p.count(conflict) < 3 {
		t.Errorf("injected %d 409s, want at least 3 (state and alerts)", p.count(conflict))
	}
}

// TestS3ConditionalRequestConflictOnAlertCreateDoesNotLoseTheAlert answers
// 409 ConditionalRequestConflict to the first create (If-None-Match: *) of
// each outbox alert. S3 sends 409 when a conflicting write is in progress
// and tells the caller to retry; it does not mean the object exists.
func TestS3ConditionalRequestConflictOnAlertCreateDoesNotLoseTheAlert(t *testing.T) {
	p := newS3Proxy(t, conflictOnFirst(func(r *http.Request) bool {
		return r.Header.Get("If-None-Match") == "*" && strings.Contains(r.URL.Path, "/outbox/")
	}))
	h := newHarness(t, setup{s3Front: p.front})
	downAndRecover(t, h)
	if p.count(conflict) < 2 {
		t.Errorf("injected %d 409s, want at least 2", p.count(conflict))
	}
}
