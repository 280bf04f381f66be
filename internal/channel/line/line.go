// Package line pushes alerts with the LINE Messaging API
// (POST /v2/bot/message/push). LINE Notify was shut down on 2025-03-31.
package line

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
)

// DefaultEndpoint is the Messaging API's base URL.
const DefaultEndpoint = "https://api.line.me"

// maxText is a LINE text message's limit, in characters.
const maxText = 5000

// Configuration errors New returns, wrapped with the channel's name.
var (
	ErrNoTokenSecret = errors.New("tokenSecret not set: the channel access token is a secret")
	ErrNoTo          = errors.New("to not set: the user, group or room ID to push to")
)

// Sender pushes to one LINE user, group or room.
type Sender struct {
	name        string
	endpoint    string
	to          string
	tokenSecret string
	secrets     secret.Source
	client      *http.Client
}

var _ channel.Sender = (*Sender)(nil)

// New returns a Sender for c (type line).
func New(c target.Channel, secrets secret.Source, client *http.Client) (*Sender, error) {
	switch {
	case c.TokenSecret == "":
		return nil, fmt.Errorf("channel %s: %w", c.Name, ErrNoTokenSecret)
	case c.To == "":
		return nil, fmt.Errorf("channel %s: %w", c.Name, ErrNoTo)
	}
	endpoint := strings.TrimRight(c.Endpoint, "/")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	return &Sender{name: c.Name, endpoint: endpoint, to: c.To, tokenSecret: c.TokenSecret, secrets: secrets, client: client}, nil
}

// Send pushes a. The X-Line-Retry-Key is derived from the alert and the
// channel, so a retry after a lost answer is not delivered twice: LINE
// answers 409 with X-Line-Accepted-Request-Id, which counts as delivered.
func (s *Sender) Send(ctx context.Context, a outbox.Alert) error {
	token, err := s.secrets.Secret(ctx, s.tokenSecret)
	if err != nil {
		return channel.Retryablef("line channel %s: %w", s.name, err)
	}
	body, err := Payload(a, s.to)
	if err != nil {
		return channel.Rejectedf("line channel %s: %w", s.name, err)
	}
	return s.push(ctx, token, body, RetryKey(a.ID, s.name))
}

var _ channel.Digester = (*Sender)(nil)

// maxMessages is how many messages one push may carry.
const maxMessages = 5

// Split cuts alerts into pushes of at most 5 text messages of at most
// 5,000 characters, each text holding as many alerts' details as fit.
func (s *Sender) Split(alerts []outbox.Alert) [][]outbox.Alert {
	var parts [][]outbox.Alert
	var cur []outbox.Alert
	texts, size := 0, 0
	for _, a := range alerts {
		n := len([]rune(details(a)))
		switch {
		case texts == 0:
			texts, size = 1, n
		case size+2+n <= maxText:
			size += 2 + n
		case texts < maxMessages:
			texts, size = texts+1, n
		default:
			parts = append(parts, cur)
			cur, texts, size = nil, 1, n
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// SendDigest pushes alerts as one request of up to 5 text messages.
func (s *Sender) SendDigest(ctx context.Context, alerts []outbox.Alert) error {
	token, err := s.secrets.Secret(ctx, s.tokenSecret)
	if err != nil {
		return channel.Retryablef("line channel %s: %w", s.name, err)
	}
	body, err := DigestPayload(alerts, s.to)
	if err != nil {
		return channel.Rejectedf("line channel %s: %w", s.name, err)
	}
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	return s.push(ctx, token, body, RetryKey(strings.Join(ids, "\x00"), s.name))
}

// DigestPayload is the push request for several alerts: their details,
// packed into as few texts (of at most 5,000 characters) as they fit in,
// the first one starting with their count.
func DigestPayload(alerts []outbox.Alert, to string) ([]byte, error) {
	var texts []string
	cur := "medic: " + channel.DigestTitle(alerts)
	for _, a := range alerts {
		d := details(a)
		if len([]rune(cur))+2+len([]rune(d)) <= maxText {
			cur += "\n\n" + d
			continue
		}
		texts = append(texts, cur)
		cur = d
	}
	texts = append(texts, cur)
	p := push{To: to}
	for _, t := range texts {
		p.Messages = append(p.Messages, message{Type: "text", Text: channel.Truncate(t, maxText)})
	}
	return json.Marshal(p)
}

// details is one alert's text in a message, within a text's limit.
func details(a outbox.Alert) string { return channel.Truncate(channel.Details(a), maxText) }

// push sends a push request with the token and retry key.
func (s *Sender) push(ctx context.Context, token string, body []byte, retryKey string) error {
	p := channel.Post{
		URL:  s.endpoint + "/v2/bot/message/push",
		Body: body,
		Header: http.Header{
			"Authorization":    {"Bearer " + token},
			"X-Line-Retry-Key": {retryKey},
		},
		Secrets: []string{token},
	}
	resp, err := channel.Do(ctx, s.client, p)
	if err != nil {
		return fmt.Errorf("line channel %s: %w", s.name, err)
	}
	if resp.Status == http.StatusConflict && resp.Header.Get("X-Line-Accepted-Request-Id") != "" {
		return nil // an earlier try with the same retry key was accepted
	}
	if err := channel.Classify(resp, p); err != nil {
		return fmt.Errorf("line channel %s: %w", s.name, err)
	}
	return nil
}

type push struct {
	To       string    `json:"to"`
	Messages []message `json:"messages"`
}

type message struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Payload is the push request for a to the recipient to: one text message.
func Payload(a outbox.Alert, to string) ([]byte, error) {
	return json.Marshal(push{To: to, Messages: []message{{Type: "text", Text: channel.Truncate(channel.Details(a), maxText)}}})
}

// RetryKey is a version-5-style UUID derived from the alert ID and the
// channel name: the same alert to the same channel always has the same key.
func RetryKey(alertID, channelName string) string {
	h := sha1.Sum([]byte("medic/line-retry-key\x00" + alertID + "\x00" + channelName))
	b := h[:16]
	b[6] = (b[6] & 0x0f) | 0x50 // version 5
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
