package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/channeltest"
	"github.com/medic-dev/medic/internal/channel/webhook"
	"github.com/medic-dev/medic/internal/target"
)

func TestPayloadGolden(t *testing.T) {
	for name, a := range channeltest.Alerts() {
		t.Run(name, func(t *testing.T) {
			body, err := webhook.Payload(a)
			if err != nil {
				t.Fatal(err)
			}
			channeltest.Golden(t, name, body)
		})
	}
}

func TestSend(t *testing.T) {
	const apiKey = "s3cretApiKeyValue"
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantErr   string
		retryable bool
		after     time.Duration
	}{
		{name: "created", status: 201},
		{name: "accepted", status: 202},
		{name: "too many", status: 429, header: map[string]string{"Retry-After": "Sat, 21 Nov 2026 10:00:00 GMT"}, wantErr: "status 429", retryable: true},
		{name: "unavailable", status: 503, header: map[string]string{"Retry-After": "120"}, wantErr: "retry after 2m0s", retryable: true, after: 2 * time.Minute},
		{name: "unauthorized echoes key", status: 401, body: "bad key " + apiKey, wantErr: "bad key [redacted]"},
		{name: "redirect not followed is rejected", status: 304, wantErr: "status 304"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := channeltest.NewReceiver(t, true, func(_ int, w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			s, err := webhook.New(target.Channel{
				Name: "pager", Type: "webhook", URL: rc.URL + "/hooks/medic",
				Headers:       map[string]string{"X-Source": "medic"},
				HeaderSecrets: map[string]string{"Authorization": "PAGER_KEY"},
			}, channeltest.Env(map[string]string{"PAGER_KEY": "Bearer " + apiKey}), rc.Client())
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), channeltest.Alerts()["recovered"])
			reqs := rc.Requests()
			if len(reqs) != 1 || reqs[0].Path != "/hooks/medic" || reqs[0].Header.Get("X-Source") != "medic" ||
				reqs[0].Header.Get("Authorization") != "Bearer "+apiKey {
				t.Fatalf("requests = %+v", reqs)
			}
			channeltest.Golden(t, "recovered", reqs[0].Body)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Retryable != tt.retryable || ce.Status != tt.status || (tt.after != 0 && ce.RetryAfter != tt.after) {
				t.Fatalf("err = %v, want retryable=%v status=%d after=%s", err, tt.retryable, tt.status, tt.after)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), apiKey) {
				t.Fatalf("err = %q, want it to contain %q and not the key", err, tt.wantErr)
			}
		})
	}
}

// TestTransportErrorsRedactSecretURL: a URL from a secret never appears in
// the error, whether the peer hangs (timeout) or is not there at all.
func TestTransportErrorsRedactSecretURL(t *testing.T) {
	hang := channeltest.NewReceiver(t, false, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	gone := channeltest.NewReceiver(t, false, nil)
	goneURL := gone.URL
	gone.Close()
	tests := []struct {
		name, url string
		timeout   bool
	}{
		{name: "timeout", url: hang.URL + "/hook/t0pSecretPath?key=alsoSecret", timeout: true},
		{name: "connection refused", url: goneURL + "/hook/t0pSecretPath?key=alsoSecret"},
		{name: "invalid url", url: "https://exa mple.com/t0pSecretPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := webhook.New(target.Channel{Name: "pager", Type: "webhook", URLSecret: "PAGER_URL"},
				channeltest.Env(map[string]string{"PAGER_URL": tt.url}), &http.Client{Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), channeltest.Alerts()["down"])
			if err == nil {
				t.Fatal("Send succeeded")
			}
			for _, leak := range []string{"t0pSecretPath", "alsoSecret"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("error leaks %q: %v", leak, err)
				}
			}
			var ne interface{ Timeout() bool }
			if tt.timeout && !(errors.As(err, &ne) && ne.Timeout()) {
				t.Fatalf("timeout not recognisable in %v", err)
			}
			if tt.name != "invalid url" && !channel.IsRetryable(err) {
				t.Fatalf("transport error %v is not retryable", err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		c    target.Channel
		want string
	}{
		{name: "no url", c: target.Channel{Name: "w", Type: "webhook"}, want: "set exactly one of url and urlSecret"},
		{name: "both", c: target.Channel{Name: "w", Type: "webhook", URL: "https://x", URLSecret: "X"}, want: "set exactly one"},
		{name: "bad header", c: target.Channel{Name: "w", Type: "webhook", URL: "https://x", Headers: map[string]string{"Bad Header": "v"}}, want: `header "Bad Header"`},
	}
	for _, tt := range tests {
		if _, err := webhook.New(tt.c, channeltest.Env(nil), nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
