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
	url, err := s.secrets.Secret(ctx, s.urlSecret)
	if err != nil {
		return channel.Retryablef("discord channel %s: %w", s.name, err)
	}
	body, err := Payload(a)
	if err != nil {
		return channel.Rejectedf("discord channel %s: %w", s.name, err)
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
