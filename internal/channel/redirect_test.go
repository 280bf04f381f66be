package channel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/medic-dev/medic/internal/channel"
)

// recorder is a server that records what reaches it and answers 200, or
// redirects to redirect when set.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	got      []*http.Request
	redirect func(r *http.Request) string
	status   int
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{status: http.StatusTemporaryRedirect}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.got = append(rec.got, r)
		rec.mu.Unlock()
		if rec.redirect != nil {
			if to := rec.redirect(r); to != "" {
				http.Redirect(w, r, to, rec.status)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.got...)
}

const hookToken = "T0123/B0456/xyzzySecretPath"

func TestRedirectsKeepCredentialsHome(t *testing.T) {
	t.Run("secret header to another origin", func(t *testing.T) {
		evil, hook := newRecorder(t), newRecorder(t)
		hook.redirect = func(*http.Request) string { return evil.URL + "/collect" }
		err := channel.PostJSON(context.Background(), nil, channel.Post{URL: hook.URL + "/hook", Body: []byte(`{}`),
			Header: http.Header{"Authorization": {"Bearer s3cr3t-t0ken"}}, Secrets: []string{"Bearer s3cr3t-t0ken"}})
		if len(evil.requests()) != 0 {
			t.Fatalf("the other origin received %d request(s), with Authorization %q", len(evil.requests()), evil.requests()[0].Header.Get("Authorization"))
		}
		if err == nil || channel.IsRetryable(err) || !strings.Contains(err.Error(), "redirect to another origin ("+evil.URL) {
			t.Fatalf("err = %v, want a rejection naming the other origin", err)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error leaks the secret: %v", err)
		}
	})
	t.Run("secret URL to another origin", func(t *testing.T) {
		evil, hook := newRecorder(t), newRecorder(t)
		hook.status = http.StatusFound
		hook.redirect = func(*http.Request) string { return evil.URL + "/collect" }
		err := channel.PostJSON(context.Background(), nil, channel.Post{URL: hook.URL + "/services/" + hookToken, URLIsSecret: true, Body: []byte(`{}`)})
		if n := len(evil.requests()); n != 0 {
			t.Fatalf("the other origin received %d request(s); Referer %q", n, evil.requests()[0].Header.Get("Referer"))
		}
		if err == nil || strings.Contains(err.Error(), "xyzzy") {
			t.Fatalf("err = %v, want a rejection without the URL's secret path", err)
		}
	})
	t.Run("same origin is followed without a Referer", func(t *testing.T) {
		hook := newRecorder(t)
		hook.redirect = func(r *http.Request) string {
			if r.URL.Path == "/services/"+hookToken {
				return "/moved"
			}
			return ""
		}
		err := channel.PostJSON(context.Background(), nil, channel.Post{URL: hook.URL + "/services/" + hookToken, URLIsSecret: true, Body: []byte(`{"a":1}`),
			Header: http.Header{"X-Key": {"key-value-1"}}, Secrets: []string{"key-value-1"}})
		if err != nil {
			t.Fatal(err)
		}
		reqs := hook.requests()
		if len(reqs) != 2 || reqs[1].URL.Path != "/moved" || reqs[1].Header.Get("X-Key") != "key-value-1" {
			t.Fatalf("requests %d, second to %v", len(reqs), reqs[len(reqs)-1].URL)
		}
		if ref := reqs[1].Header.Get("Referer"); ref != "" {
			t.Errorf("Referer %q sent on the redirect", ref)
		}
	})
	t.Run("nothing secret: another origin, no Referer", func(t *testing.T) {
		other, hook := newRecorder(t), newRecorder(t)
		hook.redirect = func(*http.Request) string { return other.URL + "/new" }
		hook.status = http.StatusPermanentRedirect
		if err := channel.PostJSON(context.Background(), nil, channel.Post{URL: hook.URL + "/old?to=" + hookToken, Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		reqs := other.requests()
		if len(reqs) != 1 {
			t.Fatalf("the new location got %d requests, want 1", len(reqs))
		}
		if ref := reqs[0].Header.Get("Referer"); ref != "" {
			t.Errorf("Referer %q sent to another origin", ref)
		}
	})
}

// TestErrorsHideEchoedSecretForms: a channel that answers an error quoting
// the token it was sent, JSON-escaped, URL-encoded or base64-encoded, does
// not get it into the error (which goes into logs and the outbox).
func TestErrorsHideEchoedSecretForms(t *testing.T) {
	const tok = "Bearer s3cr3t/t0ken+value="
	for name, form := range map[string]string{
		"json-slash": `"Bearer s3cr3t\/t0ken+value="`,
		"query":      "Bearer+s3cr3t%2Ft0ken%2Bvalue%3D",
		"base64":     "QmVhcmVyIHMzY3IzdC90MGtlbit2YWx1ZT0=",
		"token b64":  "czNjcjN0L3Qwa2VuK3ZhbHVlPQ==",
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"bad token ` + form + `"}`))
			}))
			t.Cleanup(srv.Close)
			err := channel.PostJSON(context.Background(), nil, channel.Post{URL: srv.URL, Body: []byte(`{}`),
				Header: http.Header{"Authorization": {tok}}, Secrets: []string{tok}})
			if err == nil || strings.Contains(err.Error(), strings.Trim(form, `"`)) || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "[redacted]") {
				t.Fatalf("err = %v, want the echoed token redacted", err)
			}
		})
	}
}
