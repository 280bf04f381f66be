// Package discord posts alerts to a Discord webhook: {"content", "embeds"},
// with one embed coloured by the alert's kind and mentions disabled.
package discord

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
var ErrNoURLSecret = errors.New("urlSecret not set: a Discord webhook URL is a secret")

// Discord's documented limits, in characters.
const (
	maxContent     = 2000
	maxTitle       = 256
	maxDescription = 4096
	maxFieldValue  = 1024
	maxFooter      = 2048
	// maxEmbedTotal bounds the sum of an embed's texts.
	maxEmbedTotal = 6000
)

// Sender posts to one Discord webhook.
type Sender struct {
	name      string
	urlSecret string
	secrets   secret.Source
	client    *http.Client
}

var _ channel.Sender = (*Sender)(nil)

// New returns a Sender for c (type discord), whose URL is the secret c.URLSecret.
func New(c target.Channel, secrets secret.Source, client *http.Client) (*Sender, error) {
	if c.URLSecret == "" {
		return nil, fmt.Errorf("channel %s: %w", c.Name, ErrNoURLSecret)
	}
	return &Sender{name: c.Name, urlSecret: c.URLSecret, secrets: secrets, client: client}, nil
}

// Send posts a to the webhook. A 404 means the webhook was deleted: the
// alert is rejected for this channel rather than retried (Discord bans
// callers that keep sending invalid requests).
func (s *Sender) Send(ctx context.Context, a outbox.Alert) error {
	body, err := Payload(a)
	if err != nil {
		return channel.Rejectedf("discord channel %s: %w", s.name, err)
	}
	return s.post(ctx, body)
}

// post sends body to the webhook and classifies the answer.
func (s *Sender) post(ctx context.Context, body []byte) error {
	url, err := s.secrets.Secret(ctx, s.urlSecret)
	if err != nil {
		return channel.Retryablef("discord channel %s: %w", s.name, err)
	}
	p := channel.Post{URL: url, URLIsSecret: true, Body: body}
	resp, err := channel.Do(ctx, s.client, p)
	if err != nil {
		return fmt.Errorf("discord channel %s: %w", s.name, err)
	}
	if resp.Status == http.StatusNotFound {
		return fmt.Errorf("discord channel %s: %w", s.name,
			&channel.Error{Status: resp.Status, Err: errors.New("the webhook no longer exists: " + channel.Snippet(resp.Body, p))})
	}
	if err := channel.Classify(resp, p); err != nil {
		return fmt.Errorf("discord channel %s: %w", s.name, err)
	}
	return nil
}

type message struct {
	Content         string   `json:"content"`
	Embeds          []embed  `json:"embeds"`
	AllowedMentions mentions `json:"allowed_mentions"`
}

// mentions with an empty Parse list keeps "@everyone" in a target name or a
// failure text from pinging anyone.
type mentions struct {
	Parse []string `json:"parse"`
}

type embed struct {
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Color       int     `json:"color"`
	Fields      []field `json:"fields,omitempty"`
	Timestamp   string  `json:"timestamp,omitempty"`
	Footer      *footer `json:"footer,omitempty"`
}

type field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

type footer struct {
	Text string `json:"text"`
}

// Payload is the JSON posted for a: the text as content (≤ 2,000
// characters) and one embed (well within 10) with the details.
func Payload(a outbox.Alert) ([]byte, error) {
	e := embed{
		Title:  channel.Truncate(channel.Emoji(a.Kind)+" "+channel.Headline(a), maxTitle),
		Color:  channel.Colour(a.Kind),
		Footer: &footer{Text: channel.Truncate("medic · alert "+a.ID, maxFooter)},
	}
	if failures := channel.ExtraFailures(a); len(failures) > 0 {
		e.Description = "• " + strings.Join(failures, "\n• ")
	}
	if a.Endpoint != "" {
		e.Fields = append(e.Fields, field{Name: "Endpoint", Value: a.Endpoint, Inline: true})
	}
	if !a.Since.IsZero() {
		e.Fields = append(e.Fields, field{Name: "Since", Value: channel.FormatTime(a.Since), Inline: true})
	}
	if !a.At.IsZero() {
		e.Timestamp = a.At.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	fitEmbed(&e)
	msg := message{
		Content:         channel.Truncate(channel.Emoji(a.Kind)+" "+channel.Text(a), maxContent),
		Embeds:          []embed{e},
		AllowedMentions: mentions{Parse: []string{}},
	}
	return json.Marshal(msg)
}

var _ channel.Digester = (*Sender)(nil)

// Digest limits: Discord takes at most 10 embeds a message, 6,000
// characters in all of them; each alert's embed says at most
// digestDescription characters.
const (
	maxEmbeds         = 10
	digestDescription = 1000
)

// Split cuts alerts into messages of at most 10 embeds and 6,000
// characters of embeds.
func (s *Sender) Split(alerts []outbox.Alert) [][]outbox.Alert {
	return channel.Pack(alerts, maxEmbeds, func(a outbox.Alert) int { return embedSize(digestEmbed(a)) }, maxEmbedTotal)
}

// SendDigest posts alerts as one message, an embed each.
func (s *Sender) SendDigest(ctx context.Context, alerts []outbox.Alert) error {
	body, err := DigestPayload(alerts)
	if err != nil {
		return channel.Rejectedf("discord channel %s: %w", s.name, err)
	}
	return s.post(ctx, body)
}

// DigestPayload is one message for several alerts: the count as content
// and an embed per alert (title, text and failures, its ID).
func DigestPayload(alerts []outbox.Alert) ([]byte, error) {
	msg := message{
		Content:         channel.Truncate("medic: "+channel.DigestTitle(alerts), maxContent),
		AllowedMentions: mentions{Parse: []string{}},
	}
	for _, a := range alerts {
		msg.Embeds = append(msg.Embeds, digestEmbed(a))
	}
	return json.Marshal(msg)
}

func digestEmbed(a outbox.Alert) embed {
	d := channel.Text(a)
	if failures := channel.ExtraFailures(a); len(failures) > 0 {
		d += "\n• " + strings.Join(failures, "\n• ")
	}
	e := embed{
		Title:       channel.Truncate(channel.Emoji(a.Kind)+" "+channel.Headline(a), maxTitle),
		Description: channel.Truncate(d, digestDescription),
		Color:       channel.Colour(a.Kind),
		Footer:      &footer{Text: channel.Truncate("alert "+a.ID, 200)},
	}
	if !a.At.IsZero() {
		e.Timestamp = a.At.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return e
}

// embedSize counts an embed's characters as Discord does for its limits.
func embedSize(e embed) int {
	n := len([]rune(e.Title)) + len([]rune(e.Description))
	if e.Footer != nil {
		n += len([]rune(e.Footer.Text))
	}
	for _, f := range e.Fields {
		n += len([]rune(f.Name)) + len([]rune(f.Value))
	}
	return n
}

// fitEmbed truncates each text to its own limit, then the description so
// that the whole embed stays within maxEmbedTotal.
func fitEmbed(e *embed) {
	for i := range e.Fields {
		e.Fields[i].Value = channel.Truncate(e.Fields[i].Value, maxFieldValue)
	}
	fixed := len([]rune(e.Title)) + len([]rune(e.Footer.Text))
	for _, f := range e.Fields {
		fixed += len([]rune(f.Name)) + len([]rune(f.Value))
	}
	e.Description = channel.Truncate(e.Description, min(maxDescription, maxEmbedTotal-fixed))
}
