package integration

import (
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
