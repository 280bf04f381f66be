package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/channeltest"
	"github.com/medic-dev/medic/internal/channel/discord"
	"github.com/medic-dev/medic/internal/target"
)

func TestPayloadGolden(t *testing.T) {
	for name, a := range channeltest.Alerts() {
		t.Run(name, func(t *testing.T) {
			body, err := discord.Payload(a)
			if err != nil {
				t.Fatal(err)
			}
			channeltest.Golden(t, name, body)
			checkLimits(t, body)
		})
	}
}

// checkLimits asserts Discord's documented limits on a payload.
func checkLimits(t *testing.T, body []byte) {
	t.Helper()
	var m struct {
		Content string `json:"content"`
		Embeds  []struct {
			Title, Description string
			Fields             []struct{ Name, Value string }
			Footer             struct{ Text string }
		} `json:"embeds"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	n := utf8.RuneCountInString
	if n(m.Content) > 2000 || len(m.Embeds) > 10 || !utf8.ValidString(m.Content) {
		t.Fatalf("content %d characters, %d embeds", n(m.Content), len(m.Embeds))
	}
	for _, e := range m.Embeds {
		total := n(e.Title) + n(e.Description) + n(e.Footer.Text)
		for _, f := range e.Fields {
			if n(f.Value) > 1024 {
				t.Fatalf("field %s has %d characters", f.Name, n(f.Value))
			}
			total += n(f.Name) + n(f.Value)
		}
		if n(e.Title) > 256 || n(e.Description) > 4096 || total > 6000 {
			t.Fatalf("embed title %d, description %d, total %d characters", n(e.Title), n(e.Description), total)
		}
	}
}

func TestSend(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantErr   string
		retryable bool
		after     time.Duration
	}{
		{name: "no content", status: 204},
		{name: "rate limited, header", status: 429, header: map[string]string{"Retry-After": "2"}, body: `{"retry_after": 1.5, "global": false}`, wantErr: "status 429", retryable: true, after: 2 * time.Second},
		{name: "rate limited, body only", status: 429, body: `{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}`, wantErr: "status 429", retryable: true, after: 250 * time.Millisecond},
		{name: "server error", status: 502, wantErr: "status 502", retryable: true},
		{name: "webhook gone", status: 404, body: `{"message": "Unknown Webhook", "code": 10015}`, wantErr: "the webhook no longer exists"},
		{name: "bad request", status: 400, body: `{"message": "Cannot send an empty message", "code": 50006}`, wantErr: "Cannot send an empty message"},
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
			hook := rc.URL + "/api/webhooks/123/s3cretDiscordToken"
			s, err := discord.New(target.Channel{Name: "gamers", Type: "discord", URLSecret: "DISCORD_URL"},
				channeltest.Env(map[string]string{"DISCORD_URL": hook}), rc.Client())
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), channeltest.Alerts()["stale"])
			if got := rc.Requests(); len(got) != 1 || got[0].Path != "/api/webhooks/123/s3cretDiscordToken" {
				t.Fatalf("requests = %+v", got)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Retryable != tt.retryable || ce.Status != tt.status || ce.RetryAfter != tt.after {
				t.Fatalf("err = %v, want retryable=%v status=%d after=%s", err, tt.retryable, tt.status, tt.after)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "s3cretDiscordToken") {
				t.Fatalf("err = %q, want it to contain %q and not the token", err, tt.wantErr)
			}
		})
	}
}
