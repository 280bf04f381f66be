package line_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/channeltest"
	"github.com/medic-dev/medic/internal/channel/line"
	"github.com/medic-dev/medic/internal/target"
)

func TestPayloadGolden(t *testing.T) {
	for name, a := range channeltest.Alerts() {
		t.Run(name, func(t *testing.T) {
			body, err := line.Payload(a, "U4af4980629")
			if err != nil {
				t.Fatal(err)
			}
			channeltest.Golden(t, name, body)
			var p struct{ Messages []struct{ Text string } }
			if err := json.Unmarshal(body, &p); err != nil || len(p.Messages) != 1 || utf8.RuneCountInString(p.Messages[0].Text) > 5000 {
				t.Fatalf("payload breaks LINE's limits: %v", err)
			}
		})
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRetryKey(t *testing.T) {
	k := line.RetryKey("web-down-3", "oncall")
	if !uuidRE.MatchString(k) {
		t.Fatalf("RetryKey = %q, not a version 5 UUID", k)
	}
	if line.RetryKey("web-down-3", "oncall") != k {
		t.Fatal("RetryKey is not deterministic")
	}
	if line.RetryKey("web-down-3", "other") == k || line.RetryKey("web-down-4", "oncall") == k {
		t.Fatal("RetryKey does not depend on both the alert and the channel")
	}
}

func TestSend(t *testing.T) {
	const token = "s3cretChannelAccessToken"
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantErr   string
		retryable bool
		after     time.Duration
	}{
		{name: "ok", status: 200, body: `{"sentMessages":[{"id":"1","quoteToken":"q"}]}`},
		{name: "retried after acceptance", status: 409, header: map[string]string{"X-Line-Accepted-Request-Id": "abc"}, body: `{"message":"The retry key is already accepted"}`},
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "60"}, body: `{"message":"The API rate limit has been exceeded."}`, wantErr: "rate limit", retryable: true, after: time.Minute},
		{name: "server error", status: 500, wantErr: "status 500", retryable: true},
		{name: "bad token echoed", status: 401, body: `{"message":"Authentication failed: ` + token + `"}`, wantErr: "Authentication failed: [redacted]"},
		{name: "conflict without acceptance", status: 409, body: `{"message":"conflict"}`, wantErr: "status 409"},
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
			s, err := line.New(target.Channel{Name: "oncall", Type: "line", TokenSecret: "LINE_TOKEN", To: "U4af4980629", Endpoint: rc.URL + "/"},
				channeltest.Env(map[string]string{"LINE_TOKEN": token}), rc.Client())
			if err != nil {
				t.Fatal(err)
			}
			a := channeltest.Alerts()["down"]
			err = s.Send(context.Background(), a)
			reqs := rc.Requests()
			if len(reqs) != 1 || reqs[0].Path != "/v2/bot/message/push" ||
				reqs[0].Header.Get("Authorization") != "Bearer "+token ||
				reqs[0].Header.Get("X-Line-Retry-Key") != line.RetryKey(a.ID, "oncall") {
				t.Fatalf("requests = %+v", reqs)
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
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), token) {
				t.Fatalf("err = %q, want it to contain %q and not the token", err, tt.wantErr)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		c    target.Channel
		want error
	}{
		{c: target.Channel{Name: "x", Type: "line", To: "U1"}, want: line.ErrNoTokenSecret},
		{c: target.Channel{Name: "x", Type: "line", TokenSecret: "T"}, want: line.ErrNoTo},
	}
	for _, tt := range tests {
		if _, err := line.New(tt.c, channeltest.Env(nil), nil); !errors.Is(err, tt.want) {
			t.Errorf("New(%+v) = %v, want %v", tt.c, err, tt.want)
		}
	}
}
