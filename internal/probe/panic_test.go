package probe_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// panickingSource is a secret source with a bug: it panics for one secret
// name (with the value of the secret in the panic, as a careless bug
// might) and answers the others.
type panickingSource struct{ name, value string }

func (s panickingSource) Secret(_ context.Context, name string) (string, error) {
	if name == s.name {
		panic("index out of range reading " + s.value)
	}
	return "fine-" + name, nil
}

// TestProbePanicFailsOnlyThatTarget: a check that panics, on the probe's
// goroutine (reading a secret) or on a goroutine of the HTTP transport (in
// the TLS handshake), is that target's failed result with a clear text;
// every other target of the batch is checked as usual, and the process
// goes on. Without the isolation the panic ends the test binary.
func TestProbePanicFailsOnlyThatTarget(t *testing.T) {
	ca := newCA(t)
	now := time.Now().Truncate(time.Second)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	plain := server(t, ok)
	secure := tlsServer(t, ca.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour)), ok)

	var logs bytes.Buffer
	p := &probe.Prober{
		Allow:   probe.All,
		Secrets: panickingSource{name: "BROKEN", value: "s3cr3t-value-123"},
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
		TLSConfig: &tls.Config{RootCAs: ca.pool,
			// Called inside the handshake, on the transport's dial goroutine.
			VerifyPeerCertificate: func([][]byte, [][]*x509.Certificate) error {
				var chain []int
				return fmt.Errorf("unreachable %d", chain[len(chain)+2])
			}},
	}
	targets := []target.Target{
		{Name: "before", Kind: target.KindHTTP, URL: plain.URL},
		{Name: "secret-bug", Kind: target.KindHTTP, URL: plain.URL, HeaderSecrets: map[string]string{"X-Token": "BROKEN"}},
		{Name: "with-secret", Kind: target.KindHTTP, URL: plain.URL, HeaderSecrets: map[string]string{"X-Token": "GOOD"}},
		{Name: "handshake-bug", Kind: target.KindHTTP, URL: secure.URL},
		{Name: "tcp", Kind: target.KindTCP, Address: plain.Listener.Addr().String()},
	}
	results := p.ProbeAll(context.Background(), targets, 2)
	if len(results) != len(targets) {
		t.Fatalf("%d results for %d targets", len(results), len(targets))
	}
	want := map[string]string{
		"secret-bug":    `internal error while probing: panic: a string value (not shown: it may hold data of the check); this is a bug in medic`,
		"handshake-bug": `internal error while probing: panic: runtime error: index out of range [2] with length 0; this is a bug in medic`,
	}
	for i, r := range results {
		if r.Target != targets[i].Name {
			t.Fatalf("result %d is for %q, want %q", i, r.Target, targets[i].Name)
		}
		checkUp(t, r)
		prefix, broken := want[r.Target]
		if !broken {
			if !r.Up {
				t.Errorf("%s: up = false (%q), want up: a panic elsewhere must not touch it", r.Target, r.Failures)
			}
			continue
		}
		if r.Up || len(r.Failures) != 1 || !strings.HasPrefix(r.Failures[0], prefix) {
			t.Errorf("%s: failures %q, want one starting %q", r.Target, r.Failures, prefix)
		}
		if strings.Contains(r.Failures[0], "s3cr3t-value-123") {
			t.Errorf("%s: the failure shows the secret's value: %q", r.Target, r.Failures[0])
		}
	}
	if strings.Contains(logs.String(), "s3cr3t-value-123") {
		t.Errorf("the log shows the secret's value:\n%s", logs.String())
	}
	for _, line := range []string{`msg="probe panicked" target=secret-bug`, `msg="probe panicked while connecting"`, "goroutine "} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("log lacks %q (the stack of each panic):\n%s", line, logs.String())
		}
	}
}
