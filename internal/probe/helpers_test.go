package probe_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/probe"
)

// checkFailures compares got with want, one to one. A want entry starting
// with "~" is a regular expression (for texts that carry timings);
// anything else must match exactly.
func checkFailures(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("failures = %q, want %q", got, want)
	}
	for i := range want {
		if re, ok := strings.CutPrefix(want[i], "~"); ok {
			if !regexp.MustCompile("^(?:" + re + ")$").MatchString(got[i]) {
				t.Fatalf("failure %d = %q, want match for %q", i, got[i], re)
			}
			continue
		}
		if got[i] != want[i] {
			t.Fatalf("failure %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// checkUp asserts that Up agrees with the failures.
func checkUp(t *testing.T, res probe.Result) {
	t.Helper()
	if res.Up != (len(res.Failures) == 0 && res.Skipped == "") {
		t.Fatalf("up = %v with failures %q, skipped %q", res.Up, res.Failures, res.Skipped)
	}
}

// server starts a plain HTTP test server.
func server(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// local is a Prober allowed to reach the test servers on loopback.
func local() *probe.Prober { return &probe.Prober{Allow: probe.All} }
