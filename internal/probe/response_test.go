package probe_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func TestHTTPResponseConditions(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("Cache-Control", "no-store")
		w.Header().Add("Cache-Control", "private")
		w.Header().Set("Server", "nginx/1.27")
		_, _ = io.WriteString(w, `{"status":"ok","note":"all good"}`)
	})
	mux.HandleFunc("/maintenance", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<h1>ok</h1><p>Error 42: database in maintenance</p>")
	})
	mux.Handle("/one", http.RedirectHandler("/page", http.StatusFound))
	mux.Handle("/two", http.RedirectHandler("/one", http.StatusMovedPermanently))
	mux.Handle("/login", http.RedirectHandler("/maintenance?from=login", http.StatusFound))
	srv := server(t, mux)
	two := func() *int { n := 2; return &n }
	zero := func() *int { n := 0; return &n }
	tests := []struct {
		name          string
		path          string
		expect        target.Expect
		want          []string
		wantRedirects int
	}{
		{name: "must not contain, absent", path: "/page", expect: target.Expect{BodyNotContains: "maintenance"}},
		{name: "must not contain, present", path: "/maintenance", expect: target.Expect{BodyNotContains: "maintenance"},
			want: []string{`body contains "maintenance", which it must not`}},
		{name: "must not match, matching", path: "/maintenance", expect: target.Expect{BodyNotRegex: `Error \d+`},
			want: []string{`body matches /Error \d+/ (at "Error 42"), which it must not`}},
		{name: "must not match, no match", path: "/page", expect: target.Expect{BodyNotRegex: `Error \d+`}},
		{name: "header equals", path: "/page", expect: target.Expect{Headers: map[string]string{"content-type": "application/json; charset=utf-8", "Cache-Control": "no-store, private"}}},
		{name: "header differs", path: "/page", expect: target.Expect{Headers: map[string]string{"Content-Type": "text/html"}},
			want: []string{`header Content-Type = "application/json; charset=utf-8", want "text/html"`}},
		{name: "header missing", path: "/page", expect: target.Expect{Headers: map[string]string{"X-Served-By": "web-1"},
			HeadersContain: map[string]string{"X-Trace": "id="}, HeadersRegex: map[string]string{"X-Region": "^eu-"}},
			want: []string{`header X-Served-By missing, want "web-1"`, `header X-Trace missing, want one containing "id="`, `header X-Region missing, want one matching /^eu-/`}},
		{name: "header contains", path: "/page", expect: target.Expect{HeadersContain: map[string]string{"Content-Type": "json", "Cache-Control": "no-store"}}},
		{name: "header does not contain", path: "/page", expect: target.Expect{HeadersContain: map[string]string{"Cache-Control": "max-age"}},
			want: []string{`header Cache-Control = "no-store, private", does not contain "max-age"`}},
		{name: "header matches", path: "/page", expect: target.Expect{HeadersRegex: map[string]string{"Server": `^nginx/1\.\d+$`}}},
		{name: "header does not match", path: "/page", expect: target.Expect{HeadersRegex: map[string]string{"Server": `^Apache`}},
			want: []string{`header Server = "nginx/1.27", does not match /^Apache/`}},
		{name: "two redirects as expected", path: "/two", expect: target.Expect{Redirects: two(), FinalURL: srv.URL + "/page"}, wantRedirects: 2},
		{name: "no redirect wanted", path: "/one", expect: target.Expect{Redirects: zero()}, wantRedirects: 1,
			want: []string{"1 redirect, want 0 redirects"}},
		{name: "redirected to the wrong place", path: "/login", expect: target.Expect{FinalURL: srv.URL + "/page"}, wantRedirects: 1,
			want: []string{`final URL "` + srv.URL + `/maintenance?from=login", want "` + srv.URL + `/page"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := local().Probe(context.Background(), target.Target{Name: "resp", Kind: target.KindHTTP, URL: srv.URL + tc.path,
				FollowRedirects: true, Expect: tc.expect})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.Redirects != tc.wantRedirects {
				t.Fatalf("redirects = %d, want %d", res.Redirects, tc.wantRedirects)
			}
		})
	}
}

func TestHTTPBasicAuth(t *testing.T) {
	const password = "correct-horse-battery-staple"
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok := r.BasicAuth()
		if !ok || user != "medic" || pw != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="health"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "denied: "+r.Header.Get("Authorization"))
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	p := &probe.Prober{Allow: probe.All, Secrets: envSecrets(map[string]string{"HEALTH_PASSWORD": password, "WRONG": "nope-nope-nope"})}
	tests := []struct {
		name string
		auth *target.BasicAuth
		want []string
	}{
		{name: "right password", auth: &target.BasicAuth{Username: "medic", PasswordSecret: "HEALTH_PASSWORD"}},
		{name: "wrong password is refused and redacted", auth: &target.BasicAuth{Username: "medic", PasswordSecret: "WRONG"},
			want: []string{"status 401, want 200-399", `body "denied: [redacted]", want "ok"`}},
		{name: "password not set", auth: &target.BasicAuth{Username: "medic", PasswordSecret: "NO_SUCH"},
			want: []string{`basicAuth password: secret "NO_SUCH" is not set in the environment variable MEDIC_SECRET_NO_SUCH`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := p.Probe(context.Background(), target.Target{Name: "auth", Kind: target.KindHTTP, URL: srv.URL, BasicAuth: tc.auth,
				Expect: target.Expect{Body: str("ok")}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			enc := base64.StdEncoding.EncodeToString([]byte("medic:nope-nope-nope"))
			for _, f := range res.Failures {
				if strings.Contains(f, enc) || strings.Contains(f, "nope-nope-nope") {
					t.Fatalf("a failure shows the credential: %q", f)
				}
			}
		})
	}
}
