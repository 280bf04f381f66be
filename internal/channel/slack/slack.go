// Package slack posts alerts to a Slack incoming webhook: {"text", "blocks"}.
package slack

import (
	"context"
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

// ErrNoURLSecret is returned by New when the channel names no urlSecret.
var ErrNoURLSecret = errors.New("urlSecret not set: a Slack webhook URL is a secret")

// Slack's limits: a section's text and the fallback text we send.
const (
	maxSectionText  = 3000
	maxHeaderText   = 150
	maxTextFallback = 3000
)

// Sender posts to one Slack incoming webhook.
type Sender struct {
	name      string
	urlSecret string
	secrets   secret.Source
	client    *http.Client
}

var _ channel.Sender = (*Sender)(nil)

// New returns a Sender for c (type slack), whose URL is the secret c.URLSecret.
func New(c target.Channel, secrets secret.Source, client *http.Client) (*Sender, error) {
	if c.URLSecret == "" {
		return nil, fmt.Errorf("channel %s: %w", c.Name, ErrNoURLSecret)
	}
	return &Sender{name: c.Name, urlSecret: c.URLSecret, secrets: secrets, client: client}, nil
}

// Send posts a to the webhook.
func (s *Sender) Send(ctx context.Context, a outbox.Alert) error {
	url, err := s.secrets.Secret(ctx, s.urlSecret)
	if err != nil {
		return channel.Retryablef("slack channel %s: %w", s.name, err)
	}
	body, err := Payload(a)
	if err != nil {
		return channel.Rejectedf("slack channel %s: %w", s.name, err)
	}
	if err := channel.PostJSON(ctx, s.client, channel.Post{URL: url, URLIsSecret: true, Body: body}); err != nil {
		return fmt.Errorf("slack channel %s: %w", s.name, err)
	}
	return nil
}

var _ channel.Digester = (*Sender)(nil)

// maxBlocks is Slack's limit of blocks in one message; a digest is a
// header and a section per alert.
const maxBlocks = 50

// Split cuts alerts into messages of at most 49 sections (with the header,
// Slack's 50 blocks).
func (s *Sender) Split(alerts []outbox.Alert) [][]outbox.Alert {
	return channel.Pack(alerts, maxBlocks-1, func(outbox.Alert) int { return 0 }, 1)
}

// SendDigest posts alerts as one message.
func (s *Sender) SendDigest(ctx context.Context, alerts []outbox.Alert) error {
	url, err := s.secrets.Secret(ctx, s.urlSecret)
	if err != nil {
		return channel.Retryablef("slack channel %s: %w", s.name, err)
	}
	body, err := DigestPayload(alerts)
	if err != nil {
		return channel.Rejectedf("slack channel %s: %w", s.name, err)
	}
	if err := channel.PostJSON(ctx, s.client, channel.Post{URL: url, URLIsSecret: true, Body: body}); err != nil {
		return fmt.Errorf("slack channel %s: %w", s.name, err)
	}
	return nil
}

// DigestPayload is one message for several alerts: a header that counts
// them, and a section per alert (its text, failures and ID).
func DigestPayload(alerts []outbox.Alert) ([]byte, error) {
	title := "medic: " + channel.DigestTitle(alerts)
	msg := message{
		Text:   channel.Truncate(escape(title), maxTextFallback),
		Blocks: []block{{Type: "header", Text: &text{Type: "plain_text", Text: channel.Truncate(title, maxHeaderText)}}},
	}
	for _, a := range alerts {
		t := channel.Emoji(a.Kind) + " " + sectionText(a) + "\n_" + escape(a.ID) + "_"
		msg.Blocks = append(msg.Blocks, block{Type: "section", Text: &text{Type: "mrkdwn", Text: channel.Truncate(t, maxSectionText)}})
	}
	return json.Marshal(msg)
}

type message struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks,omitempty"`
}

type block struct {
	Type     string `json:"type"`
	Text     *text  `json:"text,omitempty"`
	Elements []text `json:"elements,omitempty"`
}

type text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Payload is the JSON posted for a: the plain text (for notifications) and
// blocks: a header, the message and its failures, and a context line.
func Payload(a outbox.Alert) ([]byte, error) {
	msg := message{
		// The fallback text is mrkdwn too (notifications, clients without
		// blocks): escaped like the section, so a pulse-controlled body
		// cannot mention @channel or link elsewhere.
		Text: channel.Truncate(channel.Emoji(a.Kind)+" "+escape(channel.Text(a)), maxTextFallback),
		Blocks: []block{
			{Type: "header", Text: &text{Type: "plain_text", Text: channel.Truncate(channel.Emoji(a.Kind)+" "+channel.Headline(a), maxHeaderText)}},
			{Type: "section", Text: &text{Type: "mrkdwn", Text: channel.Truncate(sectionText(a), maxSectionText)}},
		},
	}
	var ctxLine []string
	if a.Endpoint != "" {
		ctxLine = append(ctxLine, "*Endpoint:* "+escape(a.Endpoint))
	}
	if !a.Since.IsZero() {
		ctxLine = append(ctxLine, "*Since:* "+channel.FormatTime(a.Since))
	}
	ctxLine = append(ctxLine, "*Alert:* "+escape(a.ID))
	msg.Blocks = append(msg.Blocks, block{Type: "context", Elements: []text{{Type: "mrkdwn", Text: channel.Truncate(strings.Join(ctxLine, "  ·  "), maxSectionText)}}})
	return json.Marshal(msg)
}

func sectionText(a outbox.Alert) string {
	s := escape(channel.Text(a))
	for _, f := range channel.ExtraFailures(a) {
		s += "\n• " + escape(f)
	}
	return s
}

// escape makes text safe in Slack mrkdwn: &, < and > are control characters
// there (a target name must not become a link or an @channel mention).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
