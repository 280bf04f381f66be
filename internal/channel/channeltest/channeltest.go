// Package channeltest holds what the channel packages' tests share: sample
// alerts, a request recorder and golden files (refresh them with
// `go test ./internal/channel/... -update`).
package channeltest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/secret"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json with the current output")

// Alerts returns sample alerts by name: down, stale, recovered, and long
// (a DOWN alert with text and failures far over every channel's limits).
func Alerts() map[string]outbox.Alert {
	since := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	at := since.Add(20 * time.Minute)
	long := strings.Repeat("ünïcødé ⚠ ", 1200)
	var manyFailures []string
	for range 40 {
		manyFailures = append(manyFailures, "body does not contain \"ok\": "+strings.Repeat("x", 300))
	}
	return map[string]outbox.Alert{
		"down": {
			ID: "web-down-3", Target: "web", Kind: outbox.KindDown, Since: since, At: at,
			Endpoint: "https://web.example.com/health", Failures: []string{"status 503, want 200-399"},
			Text:     "web is DOWN since 2026-11-21 10:00 UTC: status 503, want 200-399",
			Deadline: at.Add(outbox.DefaultDeadline),
		},
		"stale": {
			ID: "cron-stale-1", Target: "cron", Kind: outbox.KindStale, Since: since, At: at,
			Text: "cron is STALE: no pulse since 2026-11-21 10:00 UTC", Deadline: at.Add(outbox.DefaultDeadline),
		},
		"recovered": {
			ID: "web-recovered-4", Target: "web", Kind: outbox.KindRecovered, Since: at, At: at,
			Endpoint: "db.internal:5432", Text: "web RECOVERED at 2026-11-21 10:20 UTC (down 20m)",
			Deadline: at.Add(outbox.DefaultDeadline),
		},
		"long": {
			ID: "api-down-9", Target: "api <@everyone>", Kind: outbox.KindDown, Since: since, At: at,
			Endpoint: "https://api.example.com/" + strings.Repeat("p", 2000), Failures: manyFailures,
			Text: long, Deadline: at.Add(outbox.DefaultDeadline),
		},
	}
}

// Golden compares got (JSON) with testdata/<name>.golden.json, indented;
// with -update it rewrites the file instead.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: payload is not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from %s (run go test -update if the change is intended)\ngot:\n%s", name, path, buf.Bytes())
	}
}

// Request is one request a Receiver got.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Receiver is an httptest server that records requests and answers each
// with Respond (200 when nil).
type Receiver struct {
	*httptest.Server
	// Respond writes the answer to the n-th request (from 0).
	Respond func(n int, w http.ResponseWriter, r *http.Request)

	mu       sync.Mutex
	requests []Request
}

// NewReceiver starts a plain-HTTP receiver, or with useTLS an HTTPS one
// with a certificate generated in the test (its Client trusts it).
func NewReceiver(t *testing.T, useTLS bool, respond func(n int, w http.ResponseWriter, r *http.Request)) *Receiver {
	t.Helper()
	rc := &Receiver{Respond: respond}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.requests)
		rc.requests = append(rc.requests, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		if rc.Respond == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		rc.Respond(n, w, r)
	})
	if useTLS {
		rc.Server = httptest.NewUnstartedServer(h)
		rc.Server.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert(t)}}
		rc.Server.StartTLS()
	} else {
		rc.Server = httptest.NewServer(h)
	}
	t.Cleanup(rc.Close)
	return rc
}

// Requests returns a copy of the requests so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.requests...)
}

// Env is the real environment source over m, a map from secret name to
// value, as if each were set as MEDIC_SECRET_<name>.
func Env(m map[string]string) secret.Env {
	env := map[string]string{}
	for k, v := range m {
		env[secret.EnvVar(k)] = v
	}
	return secret.Env{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
}
