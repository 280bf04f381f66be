package site_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

func TestHandler(t *testing.T) {
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	s := store.New(srv.Client(), "medic")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(site.Handler(s, ln.Addr()))
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	get := func(method, path, host string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	if code, _, body := get("GET", "/", ""); code != 404 || !strings.Contains(body, "no status page yet") {
		t.Fatalf("before any run: %d %q", code, body)
	}
	p := site.Build(site.Input{})
	if err := site.Publish(context.Background(), s, p); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, host string
		code               int
		ctype, body        string
	}{
		{"GET", "/", "", 200, "text/html; charset=utf-8", "<!doctype html>"},
		{"GET", "/index.html", "localhost:" + port, 200, "text/html; charset=utf-8", "No targets yet"},
		{"GET", "/status.json", "", 200, "application/json", `"overall":"UNKNOWN"`},
		{"HEAD", "/", "", 200, "text/html; charset=utf-8", ""},
		{"GET", "/state/status.json", "", 404, "", ""},
		{"PUT", "/", "", 405, "", "read-only"},
		{"GET", "/", "attacker.example:" + port, 421, "", "answers only to"},
	} {
		code, ctype, body := get(tc.method, tc.path, tc.host)
		if code != tc.code || tc.ctype != "" && ctype != tc.ctype || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s (Host %q): %d %s %q, want %d %s containing %q", tc.method, tc.path, tc.host, code, ctype, body, tc.code, tc.ctype, tc.body)
		}
	}
}
