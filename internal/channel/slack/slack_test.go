package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/channeltest"
	"github.com/medic-dev/medic/internal/channel/slack"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/target"
)

func TestPayloadGolden(t *testing.T) {
	for name, a := range channeltest.Alerts() {
		t.Run(name, func(t *testing.T) {
			body, err := slack.Payload(a)
			if err != nil {
				t.Fatal(err)
			}
			channeltest.Golden(t, name, body)
		})
	}
}

func TestSend(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantErr   bool
		retryable bool
		after     time.Duration
	}{
		{name: "ok", status: 200, body: "ok"},
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "30"}, wantErr: true, retryable: true, after: 30 * time.Second},
		{name: "server error", status: 500, body: "rollup_error", wantErr: true, retryable: true},
		{name: "gone", status: 404, body: "no_service", wantErr: true},
		{name: "archived", status: 410, body: "channel_is_archived", wantErr: true},
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
			hook := rc.URL + "/services/T000/B000/s3cretWebhookToken"
			s, err := slack.New(target.Channel{Name: "ops", Type: "slack", URLSecret: "SLACK_OPS"},
				channeltest.Env(map[string]string{"SLACK_OPS": hook}), rc.Client())
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), channeltest.Alerts()["down"])
			if got := rc.Requests(); len(got) != 1 || got[0].Path != "/services/T000/B000/s3cretWebhookToken" ||
				got[0].Header.Get("Content-Type") != "application/json" {
				t.Fatalf("requests = %+v", got)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Retryable != tt.retryable || ce.Status != tt.status || ce.RetryAfter != tt.after {
				t.Fatalf("err = %#v (%v), want retryable=%v status=%d after=%s", ce, err, tt.retryable, tt.status, tt.after)
			}
			if strings.Contains(err.Error(), "s3cretWebhookToken") {
				t.Fatalf("error leaks the webhook URL: %v", err)
			}
			if tt.body != "" && !strings.Contains(err.Error(), tt.body) {
				t.Fatalf("error %q does not quote Slack's answer %q", err, tt.body)
			}
		})
	}
}

func TestNewNeedsSecret(t *testing.T) {
	_, err := slack.New(target.Channel{Name: "ops", Type: "slack", URL: "https://hooks.slack.com/x"}, channeltest.Env(nil), nil)
	if !errors.Is(err, slack.ErrNoURLSecret) || !strings.Contains(err.Error(), "channel ops") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingSecretIsRetryableAndNamed(t *testing.T) {
	s, err := slack.New(target.Channel{Name: "ops", Type: "slack", URLSecret: "SLACK_OPS"}, channeltest.Env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), channeltest.Alerts()["down"])
	if !channel.IsRetryable(err) || !strings.Contains(err.Error(), `"SLACK_OPS"`) {
		t.Fatalf("err = %v, want a retryable error naming SLACK_OPS", err)
	}
}

// TestFallbackTextIsEscaped: the fallback text (what notifications show) is
// escaped as the blocks are, so a failure quoting a pulse-controlled body
// cannot notify @channel or carry a disguised link.
func TestFallbackTextIsEscaped(t *testing.T) {
	a := outbox.Alert{ID: "web-down-1", Target: "web", Kind: outbox.KindDown,
		Failures: []string{`body "<!channel> <https://evil.example/|Click to fix> & more", want "ok"`}}
	b, err := slack.Payload(a)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Text   string
		Blocks []struct{ Text *struct{ Text string } }
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(msg.Text, "<>") || !strings.Contains(msg.Text, "&lt;!channel&gt; &lt;https://evil.example/|Click to fix&gt; &amp; more") {
		t.Errorf("fallback text not escaped: %q", msg.Text)
	}
	if section := msg.Blocks[1].Text.Text; strings.ContainsAny(section, "<>") {
		t.Errorf("section not escaped: %q", section)
	}
}
