package probe_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
)

const (
	token     = "s3cr3t-t0ken-0123456789"
	authValue = "Bearer " + token
)

// envSecrets is the real environment source over env, a map from secret
// name to value (as if set as MEDIC_SECRET_<name>).
func envSecrets(env map[string]string) secret.Env {
	return secret.Env{Lookup: func(k string) (string, bool) {
		v, ok := env[strings.TrimPrefix(k, secret.EnvPrefix)]
		return v, ok && strings.HasPrefix(k, secret.EnvPrefix)
	}}
}

// failingSource is a secret store that cannot be reached.
type failingSource struct{}

func (failingSource) Secret(context.Context, string) (string, error) {
	return "", errors.New("read parameter /medic/targets: operation error SSM: GetParameter, AccessDeniedException")
}

// authRoutes is a health endpoint behind a bearer token, and endpoints that
// echo the credential back in failing bodies.
func authRoutes() http.Handler {
	mux := http.NewServeMux()
	authorized := func(r *http.Request) bool { return r.Header.Get("Authorization") == authValue }
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "unauthorized")
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "bad request with Authorization: %s", r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/echo-token", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "token %s is revoked", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	})
	mux.HandleFunc("/echo-json", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "degraded", "auth": r.Header.Get("Authorization"),
			"note": strings.Repeat("x", 60) + r.Header.Get("Authorization")})
	})
	mux.HandleFunc("/echo-cut", func(w http.ResponseWriter, r *http.Request) {
		// The credential straddles the 80-character cut of a quoted body.
		fmt.Fprintf(w, "%s%s", strings.Repeat("-", 70), r.Header.Get("Authorization"))
	})
	return mux
}

func TestHeaderSecrets(t *testing.T) {
	srv := server(t, authRoutes())
	env := map[string]string{"API_TOKEN": authValue, "BROKEN": "Bearer a\r\nX-Injected: 1"}
	tests := []struct {
		name    string
		path    string
		secrets probe.SecretSource
		headers map[string]string // HeaderSecrets
		modify  func(*target.Target)
		want    []string
	}{
		{name: "the secret is sent", path: "/healthz", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "API_TOKEN"}},
		{name: "without it the server refuses", path: "/healthz", secrets: envSecrets(env),
			want: []string{"status 401, want 200-399"}},
		{name: "a missing secret names the secret", path: "/healthz", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "HEALTH_TOKEN"},
			want:    []string{`header Authorization: secret "HEALTH_TOKEN" is not set in the environment variable MEDIC_SECRET_HEALTH_TOKEN`}},
		{name: "no secret source", path: "/healthz",
			headers: map[string]string{"Authorization": "API_TOKEN"},
			want:    []string{`header Authorization needs secret "API_TOKEN", but this probe has no secret source`}},
		{name: "an unreachable secret store", path: "/healthz", secrets: failingSource{},
			headers: map[string]string{"Authorization": "API_TOKEN"},
			want:    []string{`~header Authorization: cannot read secret "API_TOKEN": read parameter /medic/targets: .*AccessDeniedException`}},
		{name: "a value that is not a header value", path: "/healthz", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "BROKEN"},
			want:    []string{`header Authorization: secret "BROKEN" holds a line break or NUL, which a header value cannot contain`}},
		{name: "an echoed value is redacted from the body", path: "/echo", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "API_TOKEN"},
			modify:  func(t *target.Target) { t.Expect.Body = probeStr("ok") },
			want:    []string{"status 500, want 200-399", `body "bad request with Authorization: [redacted]", want "ok"`}},
		{name: "an echoed token without its scheme is redacted", path: "/echo-token", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "API_TOKEN"},
			modify:  func(t *target.Target) { t.Expect.Body = probeStr("ok") },
			want:    []string{"status 403, want 200-399", `body "token [redacted] is revoked", want "ok"`}},
		{name: "an echoed value in JSON is redacted", path: "/echo-json", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "API_TOKEN"},
			modify:  func(t *target.Target) { t.Expect.JSON = map[string]any{"auth": "none", "note": "x"} },
			want: []string{`json field auth = "[redacted]", want "none"`,
				`json field note = "` + strings.Repeat("x", 60) + `[redacted]", want "x"`}},
		{name: "a value cut short in a quote is redacted", path: "/echo-cut", secrets: envSecrets(env),
			headers: map[string]string{"Authorization": "API_TOKEN"},
			modify:  func(t *target.Target) { t.Expect.Body = probeStr("ok") },
			want:    []string{`body "` + strings.Repeat("-", 70) + `[redacted]", want "ok"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := local()
			p.Secrets = tc.secrets
			tg := target.Target{Name: "api", Kind: target.KindHTTP, URL: srv.URL + tc.path, FollowRedirects: true,
				Timeout: target.Duration(5 * time.Second), HeaderSecrets: tc.headers}
			if tc.modify != nil {
				tc.modify(&tg)
			}
			res := p.Probe(context.Background(), tg)
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			checkNoSecret(t, res)
		})
	}
}

// checkNoSecret fails when any form of the credential is in the result.
func checkNoSecret(t *testing.T, res probe.Result) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{authValue, token, token[:12]} {
		if strings.Contains(string(b), s) {
			t.Fatalf("result carries %q: %s", s, b)
		}
	}
}

func probeStr(s string) *string { return &s }

// TestHeaderSecretsStayOnTheirOrigin: a redirect to another origin (here
// another port) does not carry the secret header, nor does a redirect back;
// one within the origin does. Go's client forwards custom headers such as
// X-Api-Key to any host, so the probe strips them itself.
func TestHeaderSecretsStayOnTheirOrigin(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // host+path → X-Api-Key and Authorization received
	record := func(r *http.Request) {
		mu.Lock()
		seen[r.Host+r.URL.Path] = r.Header.Get("X-Api-Key") + "|" + r.Header.Get("Authorization")
		mu.Unlock()
	}
	var origin string
	other := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.Redirect(w, r, origin+"/back", http.StatusFound)
	}))
	home := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/same", http.StatusFound)
		case "/same":
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	origin = home.URL
	p := local()
	p.Secrets = envSecrets(map[string]string{"API_KEY": "k3y-0123456789", "API_TOKEN": authValue})
	res := p.Probe(context.Background(), target.Target{Name: "api", Kind: target.KindHTTP, URL: home.URL + "/start",
		FollowRedirects: true, Timeout: target.Duration(5 * time.Second),
		HeaderSecrets: map[string]string{"X-Api-Key": "API_KEY", "Authorization": "API_TOKEN"}})
	checkFailures(t, res.Failures, nil)
	homeHost, otherHost := strings.TrimPrefix(home.URL, "http://"), strings.TrimPrefix(other.URL, "http://")
	want := map[string]string{
		homeHost + "/start":      "k3y-0123456789|" + authValue,
		homeHost + "/same":       "k3y-0123456789|" + authValue,
		otherHost + "/elsewhere": "|",
		homeHost + "/back":       "|",
	}
	mu.Lock()
	defer mu.Unlock()
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s received %q, want %q", k, seen[k], v)
		}
	}
}

// TestSecretEchoedInOtherFormsIsRedacted: a server that echoes the secret
// header back JSON-escaped (with / as \/), URL-encoded or base64-encoded
// does not get it into the result (echo, history, --json).
func TestSecretEchoedInOtherFormsIsRedacted(t *testing.T) {
	const value = "Bearer t0k/en+with=odd chars&more"
	forms := map[string]func(string) string{
		"json":       func(s string) string { b, _ := json.Marshal(s); return string(b) },
		"json-slash": func(s string) string { b, _ := json.Marshal(s); return strings.ReplaceAll(string(b), "/", `\/`) },
		"json-unicode": func(s string) string {
			return `"` + strings.ReplaceAll(strings.ReplaceAll(s, "/", `\u002f`), "&", `\u0026`) + `"`
		},
		"query":         url.QueryEscape,
		"path":          url.PathEscape,
		"base64":        func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"base64-raw":    func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) },
		"base64-url":    func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) },
		"base64-rawurl": func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		fmt.Fprintf(w, `{"you sent": %s}`, forms[strings.TrimPrefix(r.URL.Path, "/")](got))
	}))
	t.Cleanup(srv.Close)
	p := local()
	p.Secrets = envSecrets(map[string]string{"TOKEN": value})
	for name, encode := range forms {
		t.Run(name, func(t *testing.T) {
			tg := target.Target{Name: "api", Kind: target.KindHTTP, URL: srv.URL + "/" + name, FollowRedirects: true,
				Timeout: target.Duration(5 * time.Second), HeaderSecrets: map[string]string{"Authorization": "TOKEN"},
				Expect: target.Expect{Body: probeStr("ok")}}
			res := p.Probe(context.Background(), tg)
			b, _ := json.Marshal(res)
			if res.Up || !strings.Contains(string(b), probe.Redacted) {
				t.Fatalf("up %v, result without %s: %s", res.Up, probe.Redacted, b)
			}
			text := strings.Join(res.Failures, "\n")
			const word = "t0k/en+with=odd"
			for _, v := range []string{value, word, strings.Trim(encode(value), `"`), strings.Trim(encode(word), `"`)} {
				q := strconv.Quote(v)
				if strings.Contains(text, v) || strings.Contains(text, q[1:len(q)-1]) {
					t.Errorf("result carries %q: %s", v, b)
				}
			}
		})
	}
}
