package probe_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func str(s string) *string { return &s }

// routes is the test site every HTTP case probes.
func routes() http.Handler {
	mux := http.NewServeMux()
	text := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = io.WriteString(w, body)
		}
	}
	mux.Handle("/ok", text(200, "ok"))
	mux.Handle("/ok-newline", text(200, "ok\n"))
	mux.Handle("/unavailable", text(503, "down for maintenance"))
	mux.Handle("/missing", text(404, "no such page"))
	mux.Handle("/health.json", text(200, `{"status":"degraded","count":3,"ratio":0.5,"checks":{"db":{"ok":true}},"items":[{"id":"a1"},{"id":"b2"}],"big":12345678901234567890}`))
	mux.Handle("/not-json", text(200, "<html>oops</html>"))
	mux.Handle("/moved", http.RedirectHandler("/ok", http.StatusFound))
	mux.HandleFunc("/slowish", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(60 * time.Millisecond)
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s ua=%s token=%s host=%s", r.Method, body, r.UserAgent(), r.Header.Get("X-Token"), r.Host)
	})
	return mux
}

func TestHTTPConditions(t *testing.T) {
	srv := server(t, routes())
	tests := []struct {
		name       string
		path       string
		modify     func(*target.Target)
		wantStatus int
		want       []string
	}{
		{name: "default status accepts 200", path: "/ok", wantStatus: 200},
		{name: "default status refuses 503", path: "/unavailable", wantStatus: 503, want: []string{"status 503, want 200-399"}},
		{name: "listed status accepts 404", path: "/missing", wantStatus: 404,
			modify: func(t *target.Target) { t.Expect.Status = []int{404} }},
		{name: "listed status refuses 404", path: "/missing", wantStatus: 404, want: []string{"status 404, want 200 or 204"},
			modify: func(t *target.Target) { t.Expect.Status = []int{200, 204} }},
		{name: "three listed statuses", path: "/unavailable", wantStatus: 503, want: []string{"status 503, want 200, 201 or 204"},
			modify: func(t *target.Target) { t.Expect.Status = []int{200, 201, 204} }},
		{name: "exact body matches", path: "/ok", wantStatus: 200,
			modify: func(t *target.Target) { t.Expect.Body = str("ok") }},
		{name: "exact body is exact", path: "/ok-newline", wantStatus: 200, want: []string{`body "ok\n", want "ok"`},
			modify: func(t *target.Target) { t.Expect.Body = str("ok") }},
		{name: "exact empty body", path: "/ok", wantStatus: 200, want: []string{`body "ok", want ""`},
			modify: func(t *target.Target) { t.Expect.Body = str("") }},
		{name: "contains", path: "/unavailable", wantStatus: 503,
			modify: func(t *target.Target) { t.Expect.Status = []int{503}; t.Expect.BodyContains = "maintenance" }},
		{name: "does not contain", path: "/ok", wantStatus: 200, want: []string{`body does not contain "healthy"`},
			modify: func(t *target.Target) { t.Expect.BodyContains = "healthy" }},
		{name: "regex matches", path: "/health.json", wantStatus: 200,
			modify: func(t *target.Target) { t.Expect.BodyRegex = `"count":\d+` }},
		{name: "regex does not match", path: "/ok", wantStatus: 200, want: []string{"body does not match /^OK$/"},
			modify: func(t *target.Target) { t.Expect.BodyRegex = "^OK$" }},
		{name: "invalid regex", path: "/ok", wantStatus: 200, want: []string{"~invalid bodyRegex \"\\(\": .*"},
			modify: func(t *target.Target) { t.Expect.BodyRegex = "(" }},
		{name: "json fields match", path: "/health.json", wantStatus: 200,
			modify: func(t *target.Target) {
				t.Expect.JSON = map[string]any{"count": 3, "ratio": 0.50, "checks.db.ok": true, "items.1.id": "b2",
					"big": 12345678901234567890.0, "checks.db": map[string]any{"ok": true}}
			}},
		{name: "json field differs", path: "/health.json", wantStatus: 200,
			want:   []string{`json field count = 3, want 4`, `json field status = "degraded", want "ok"`},
			modify: func(t *target.Target) { t.Expect.JSON = map[string]any{"status": "ok", "count": 4.0} }},
		{name: "json string is not a number", path: "/health.json", wantStatus: 200,
			want:   []string{`json field count = 3, want "3"`},
			modify: func(t *target.Target) { t.Expect.JSON = map[string]any{"count": "3"} }},
		{name: "json path missing", path: "/health.json", wantStatus: 200,
			want:   []string{"json field checks.cache missing", "json field items.5.id missing: items has 2 items"},
			modify: func(t *target.Target) { t.Expect.JSON = map[string]any{"checks.cache": true, "items.5.id": "x"} }},
		{name: "body not json", path: "/not-json", wantStatus: 200,
			want:   []string{"~body is not JSON: invalid character .*"},
			modify: func(t *target.Target) { t.Expect.JSON = map[string]any{"status": "ok"} }},
		{name: "every failure is listed", path: "/unavailable", wantStatus: 503,
			want:   []string{"status 503, want 200-399", `body "down for maintenance", want "ok"`, `body does not contain "ok"`},
			modify: func(t *target.Target) { t.Expect.Body = str("ok"); t.Expect.BodyContains = "ok" }},
		{name: "redirect not followed: the 3xx is the response", path: "/moved", wantStatus: 302,
			modify: func(t *target.Target) { t.FollowRedirects = false }},
		{name: "redirect not followed, 200 wanted", path: "/moved", wantStatus: 302, want: []string{"status 302, want 200"},
			modify: func(t *target.Target) { t.FollowRedirects = false; t.Expect.Status = []int{200} }},
		{name: "redirect followed", path: "/moved", wantStatus: 200,
			modify: func(t *target.Target) { t.Expect.Status = []int{200}; t.Expect.Body = str("ok") }},
		{name: "latency within bound", path: "/ok", wantStatus: 200,
			modify: func(t *target.Target) { t.Expect.MaxLatency = target.Duration(5 * time.Second) }},
		{name: "latency over bound", path: "/slowish", wantStatus: 200, want: []string{`~latency \d+ms over 10ms`},
			modify: func(t *target.Target) { t.Expect.MaxLatency = target.Duration(10 * time.Millisecond) }},
		{name: "method, body, headers and user agent are sent", path: "/echo", wantStatus: 200,
			modify: func(t *target.Target) {
				t.Method = "POST"
				t.RequestBody = "ping"
				t.Headers = map[string]string{"X-Token": "abc", "Host": "health.example"}
				t.Expect.Body = str("POST ping ua=medic/1 (+health check) token=abc host=health.example")
			}},
		{name: "certValidFor on plain http", path: "/ok", wantStatus: 200,
			want:   []string{"no TLS certificate to check (certValidFor 7d needs an https URL)"},
			modify: func(t *target.Target) { t.Expect.CertValidFor = target.Duration(7 * 24 * time.Hour) }},
	}
	p := local()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := target.Target{Name: "web", Kind: target.KindHTTP, URL: srv.URL + tc.path, FollowRedirects: true,
				Timeout: target.Duration(5 * time.Second)}
			if tc.modify != nil {
				tc.modify(&tg)
			}
			res := p.Probe(context.Background(), tg)
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.wantStatus)
			}
			if res.Target != "web" || res.CheckedAt.IsZero() || res.LatencyMS <= 0 || res.Phases == nil {
				t.Fatalf("result misses its target, time, latency or phases: %+v", res)
			}
			if res.CertExpiresAt != nil {
				t.Fatalf("plain http result has a certificate expiry: %v", res.CertExpiresAt)
			}
		})
	}
}

func TestHTTPPhases(t *testing.T) {
	srv := server(t, routes())
	p := local()
	// localhost makes the dialer resolve a name.
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/slowish"
	res := p.Probe(context.Background(), target.Target{Name: "web", Kind: target.KindHTTP, URL: url})
	if !res.Up {
		t.Fatalf("not up: %q", res.Failures)
	}
	ph := res.Phases
	if ph.DNSMS <= 0 || ph.ConnectMS <= 0 || ph.FirstByteMS < 60 || ph.TLSMS != 0 {
		t.Fatalf("phases = %+v, want DNS and connect > 0, first byte >= 60ms, no TLS", ph)
	}
	if res.LatencyMS < ph.FirstByteMS {
		t.Fatalf("latency %vms is less than first byte %vms", res.LatencyMS, ph.FirstByteMS)
	}
}

func TestHTTPTimeouts(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	wait := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { wait(r) })
	mux.HandleFunc("/hang-after-headers", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		wait(r)
	})
	srv := server(t, mux)
	tests := []struct {
		path       string
		wantStatus int
		want       string
	}{
		{path: "/slow", want: "timeout after 200ms while waiting for the response"},
		{path: "/hang-after-headers", wantStatus: 200, want: "timeout after 200ms while reading the body"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			start := time.Now()
			res := local().Probe(context.Background(), target.Target{Name: "slow", Kind: target.KindHTTP,
				URL: srv.URL + tc.path, Timeout: target.Duration(200 * time.Millisecond)})
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("probe took %s with a 200ms timeout", took)
			}
			checkFailures(t, res.Failures, []string{tc.want})
			checkUp(t, res)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.wantStatus)
			}
		})
	}
}

func TestHTTPEndlessBody(t *testing.T) {
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("ok ", 1024))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	const max = 64 << 10
	tests := []struct {
		name   string
		expect target.Expect
		want   []string
	}{
		{name: "contains is found in the first bytes", expect: target.Expect{BodyContains: "ok ok"}},
		{name: "regex is checked on the first bytes", expect: target.Expect{BodyRegex: "^(ok )+o?k?$"}},
		{name: "contains not found", expect: target.Expect{BodyContains: "needle"},
			want: []string{`body does not contain "needle" (in the first 64 KiB; the body is longer)`}},
		{name: "exact body cannot be compared", expect: target.Expect{Body: str("ok")},
			want: []string{"body is longer than 64 KiB; cannot compare it with the expected body"}},
		{name: "json cannot be read", expect: target.Expect{JSON: map[string]any{"a": 1}},
			want: []string{"body is longer than 64 KiB; cannot read it as JSON"}},
	}
	p := &probe.Prober{Allow: probe.All, MaxBodyBytes: max}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := p.Probe(context.Background(), target.Target{Name: "endless", Kind: target.KindHTTP, URL: srv.URL,
				Timeout: target.Duration(10 * time.Second), Expect: tc.expect})
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("reading an endless body took %s", took)
			}
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
		})
	}
}

func TestHTTPRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	res := local().Probe(context.Background(), target.Target{Name: "loop", Kind: target.KindHTTP, URL: srv.URL, FollowRedirects: true})
	checkFailures(t, res.Failures, []string{"stopped after 10 redirects"})
	if n := hits.Load(); n != 1+probe.MaxRedirects {
		t.Fatalf("server saw %d requests, want %d (the first and 10 redirects)", n, 1+probe.MaxRedirects)
	}
}

func TestHTTPAddressGuard(t *testing.T) {
	var toMetadata bool
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-metadata":
			toMetadata = true
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-ula":
			http.Redirect(w, r, "http://[fd00:ec2::254]/latest/meta-data/", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	// The redirecting server is on loopback, so those policies allow
	// loopback and nothing else that matters.
	loopbackOnly := &probe.Prober{Allow: probe.AllowLoopback}
	tests := []struct {
		name string
		p    *probe.Prober
		url  string
		want string
		cond *bool
	}{
		{name: "public refuses loopback", p: &probe.Prober{}, url: srv.URL + "/",
			want: "address 127.0.0.1 is loopback; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"},
		{name: "private refuses loopback", p: &probe.Prober{Allow: probe.Private}, url: srv.URL + "/",
			want: "address 127.0.0.1 is loopback; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"},
		{name: "a name that resolves to loopback is refused", p: &probe.Prober{},
			url:  strings.Replace(srv.URL, "127.0.0.1", "localhost", 1),
			want: "~address (127\\.0\\.0\\.1|::1) is loopback; refused \\(set MEDIC_ALLOW_NETWORKS=all to allow\\)"},
		{name: "redirect to the metadata service is refused", p: loopbackOnly, url: srv.URL + "/to-metadata", cond: &toMetadata,
			want: "address 169.254.169.254 is link-local (instance metadata); refused (set MEDIC_ALLOW_NETWORKS=all to allow)"},
		{name: "redirect to the IPv6 metadata service is refused", p: &probe.Prober{Allow: probe.AllowLoopback | probe.AllowPrivate},
			url:  srv.URL + "/to-ula",
			want: "address fd00:ec2::254 is link-local (instance metadata); refused (set MEDIC_ALLOW_NETWORKS=all to allow)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.p.Probe(context.Background(), target.Target{Name: "guarded", Kind: target.KindHTTP, URL: tc.url, FollowRedirects: true})
			checkFailures(t, res.Failures, []string{tc.want})
			if tc.cond != nil && !*tc.cond {
				t.Fatal("the first hop was not reached")
			}
		})
	}
}
