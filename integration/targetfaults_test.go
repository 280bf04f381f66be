package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// targetFault checks one misbehaving target next to a good one: the run
// succeeds within a bound, the bad target's echo is down with a failure
// containing want, and the good target is still checked and up.
func targetFault(t *testing.T, h *harness, badURL, extra, want string) {
	t.Helper()
	good := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
targets:
  - {name: bad, url: %q, timeout: 300ms%s}
  - {name: good, url: %q, timeout: 5s}
`, badURL, extra, good.URL))
	began := time.Now()
	h.mustSucceed(schedule)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the run took %v, want it bounded by the target's timeout", took)
	}
	bad := h.mustEcho("bad")
	if bad.Up || !strings.Contains(strings.Join(bad.Failures, "; "), want) {
		t.Errorf("bad target's echo: up %v, failures %q; want down with %q", bad.Up, bad.Failures, want)
	}
	if !h.mustEcho("good").Up {
		t.Error("the good target is not up next to the bad one")
	}
}

func TestTargetConnectionRefused(t *testing.T) {
	h := newHarness(t, setup{})
	targetFault(t, h, "http://"+freePort(t)+"/health", "", "connection refused")
}

func TestTargetHangingAfterHeadersTimesOut(t *testing.T) {
	h := newHarness(t, setup{})
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}))
	targetFault(t, h, srv.URL, "", "timeout after 300ms while reading the body")
}

func TestTargetEndlessBodyIsCutAt1MiB(t *testing.T) {
	h := newHarness(t, setup{})
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	targetFault(t, h, srv.URL, ", expect: {bodyContains: ok}", `body does not contain "ok" (in the first 1 MiB; the body is longer)`)
}

func TestTargetRedirectLoopStops(t *testing.T) {
	h := newHarness(t, setup{})
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	targetFault(t, h, srv.URL+"/loop", "", "stopped after 10 redirects")
}

func TestTargetInvalidCertificate(t *testing.T) {
	cases := []struct {
		name      string
		wrongName bool // signed by the trusted CA, but for another name
		want      string
	}{
		{"self-signed", false, "certificate signed by an unknown authority"},
		{"wrong name", true, "certificate is valid for localhost, not 127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, setup{})
			from, until := start.Add(-time.Hour), start.Add(30*24*time.Hour)
			cert := h.pki.leaf(loopbackIPs, nil, from, until, true)
			if c.wrongName {
				cert = h.pki.leaf(nil, []string{"localhost"}, from, until, false)
			}
			srv := tlsServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
			targetFault(t, h, srv.URL, "", c.want)
			if e := h.mustEcho("bad"); e.CertExpiresAt == nil || !e.CertExpiresAt.Equal(until.Truncate(time.Second)) {
				t.Errorf("certExpiresAt %v, want the refused certificate's expiry %v", e.CertExpiresAt, until)
			}
		})
	}
}

func TestTargetExpiredCertificate(t *testing.T) {
	h := newHarness(t, setup{})
	cert := h.pki.leaf(loopbackIPs, nil, start.Add(-60*24*time.Hour), start.Add(-48*time.Hour), false)
	srv := tlsServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	targetFault(t, h, srv.URL, "", "certificate expired 2d ago")
}

// TestTargetNameThatDoesNotResolve probes a name under .invalid (RFC 2606:
// never resolves) through the harness's resolver, whose loopback DNS
// server answers NXDOMAIN: no network is needed.
func TestTargetNameThatDoesNotResolve(t *testing.T) {
	h := newHarness(t, setup{})
	targetFault(t, h, "http://nowhere.medic-test.invalid/health", "", "host nowhere.medic-test.invalid not found (DNS)")
}

func TestTargetSlowerThanItsTimeout(t *testing.T) {
	h := newHarness(t, setup{})
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	targetFault(t, h, srv.URL, "", "timeout after 300ms while waiting for the response")
}

// panickySecrets is a target-secret source with a bug that panics for one
// secret name; it answers the others from values.
type panickySecrets struct {
	name   string
	values map[string]string
}

func (s panickySecrets) Secret(_ context.Context, name string) (string, error) {
	if name == s.name {
		var values []string
		return values[len(name)], nil // the bug: an index out of range
	}
	v, ok := s.values[name]
	if !ok {
		return "", fmt.Errorf("secret %q is not set", name)
	}
	return v, nil
}

// TestTargetWhoseProbePanics: a panic while probing one target (here in
// the secret source the probe reads its headerSecrets from) is that
// target's failed check, with a text that says so; the run succeeds, the
// other targets of the same batch are checked and up, and the broken one
// goes DOWN like any failing target. Before, the panic on the probe's
// goroutine ended the process (locally the run ABORTED; on AWS the whole
// batch went unprobed).
func TestTargetWhoseProbePanics(t *testing.T) {
	h := newHarness(t, setup{probeSecrets: panickySecrets{name: "BROKEN", values: map[string]string{"GOOD": "token-1"}}})
	good := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
targets:
  - {name: before, url: %q}
  - {name: broken, url: %q, headerSecrets: {X-Token: BROKEN}}
  - {name: after, url: %q, headerSecrets: {X-Token: GOOD}}
`, good.URL, good.URL, good.URL))
	for range 2 { // failureThreshold 2
		h.mustSucceed(schedule)
		h.clock.Advance(time.Minute)
	}
	const want = "internal error while probing: panic: runtime error: index out of range [6] with length 0; this is a bug in medic"
	bad := h.mustEcho("broken")
	if bad.Up || len(bad.Failures) != 1 || !strings.HasPrefix(bad.Failures[0], want) {
		t.Errorf("broken's echo: up %v, failures %q; want down with %q", bad.Up, bad.Failures, want)
	}
	for _, name := range []string{"before", "after"} {
		if r := h.mustEcho(name); !r.Up {
			t.Errorf("%s is not up next to the target whose probe panicked: %q", name, r.Failures)
		}
	}
	if got := h.statusOf("broken"); got != "DOWN" {
		t.Errorf("broken is %q after two failed checks, want DOWN", got)
	}
}
