package probe_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// h2Server starts an HTTPS server that speaks HTTP/2 only: its ALPN offers
// h2 alone, and a request over HTTP/1.x gets its connection closed with no
// answer (as gRPC servers and HTTP/2-only front ends do).
func h2Server(t *testing.T, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor < 2 {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, "ok "+r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTP2(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	cert := ca.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	h2only := h2Server(t, cert)
	h1only := tlsServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.Proto)
	}))
	plain := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok "+r.Proto) }))
	p := &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{RootCAs: ca.pool}}
	tests := []struct {
		name        string
		url         string
		wantVersion string
		expect      string
		body        string
		want        []string
	}{
		{name: "an HTTP/2-only server is up", url: h2only.URL, wantVersion: "2", body: "ok HTTP/2.0"},
		{name: "httpVersion 2 met", url: h2only.URL, wantVersion: "2", expect: "2", body: "ok HTTP/2.0"},
		{name: "httpVersion 1.1 on an HTTP/2 server", url: h2only.URL, wantVersion: "2", expect: "1.1",
			want: []string{"HTTP version 2, want 1.1"}},
		{name: "an HTTP/1.1 server over TLS", url: h1only.URL, wantVersion: "1.1", body: "ok HTTP/1.1"},
		{name: "httpVersion 2 on an HTTP/1.1 server", url: h1only.URL, wantVersion: "1.1", expect: "2",
			want: []string{"HTTP version 1.1, want 2"}},
		{name: "plain HTTP is 1.1", url: plain.URL, wantVersion: "1.1", body: "ok HTTP/1.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := target.Target{Name: "h2", Kind: target.KindHTTP, URL: tc.url,
				Expect: target.Expect{HTTPVersion: tc.expect}}
			if tc.body != "" {
				tg.Expect.Body = str(tc.body)
			}
			res := p.Probe(context.Background(), tg)
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.HTTPVersion != tc.wantVersion {
				t.Fatalf("httpVersion = %q, want %q", res.HTTPVersion, tc.wantVersion)
			}
			if res.StatusCode != 200 {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
		})
	}
}
