// Package webhook POSTs alerts as JSON to any HTTP API:
// {id, target, kind, since, at, endpoint, failures, text}. 2xx is delivered,
// 429 and 5xx are retried, any other status is a rejection.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
)

// ErrURL is returned by New unless exactly one of url and urlSecret is set.
var ErrURL = errors.New("set exactly one of url and urlSecret")

// Sender posts to one HTTP endpoint.
type Sender struct {
	name          string
	url           string
	urlSecret     string
	headers       map[string]string
	headerSecrets map[string]string
	secrets       secret.Source
	client        *http.Client
}

var _ channel.Sender = (*Sender)(nil)

// New returns a Sender for c (type webhook).
func New(c target.Channel, secrets secret.Source, client *http.Client) (*Sender, error) {
	if (c.URL == "") == (c.URLSecret == "") {
		return nil, fmt.Errorf("channel %s: %w", c.Name, ErrURL)
	}
	for _, names := range []map[string]string{c.Headers, c.HeaderSecrets} {
		for name := range names {
			if !validHeaderName(name) {
				return nil, fmt.Errorf("channel %s: header %q is not a valid HTTP header name", c.Name, name)
			}
		}
	}
	return &Sender{name: c.Name, url: c.URL, urlSecret: c.URLSecret, headers: c.Headers,
		headerSecrets: c.HeaderSecrets, secrets: secrets, client: client}, nil
}

var _ channel.Digester = (*Sender)(nil)

// Send posts a.
func (s *Sender) Send(ctx context.Context, a outbox.Alert) error {
	body, err := Payload(a)
	if err != nil {
		return channel.Rejectedf("webhook channel %s: %w", s.name, err)
	}
	return s.post(ctx, body)
}

// A digest is a JSON array of the alerts' bodies, at most digestMax of
// them and digestMaxBytes in all.
const (
	digestMax      = 100
	digestMaxBytes = 1 << 20
)

// Split cuts alerts into JSON arrays of at most 100 alerts and 1 MiB.
func (s *Sender) Split(alerts []outbox.Alert) [][]outbox.Alert {
	return channel.Pack(alerts, digestMax, func(a outbox.Alert) int {
		b, _ := Payload(a)
		return len(b) + 1
	}, digestMaxBytes)
}

// SendDigest posts alerts as one JSON array of the bodies Send posts.
func (s *Sender) SendDigest(ctx context.Context, alerts []outbox.Alert) error {
	body, err := DigestPayload(alerts)
	if err != nil {
		return channel.Rejectedf("webhook channel %s: %w", s.name, err)
	}
	return s.post(ctx, body)
}

// DigestPayload is the JSON array posted for several alerts at once.
func DigestPayload(alerts []outbox.Alert) ([]byte, error) {
	bodies := make([]json.RawMessage, 0, len(alerts))
	for _, a := range alerts {
		b, err := Payload(a)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, b)
	}
	return json.Marshal(bodies)
}

// post sends body with the channel's URL and headers.
func (s *Sender) post(ctx context.Context, body []byte) error {
	p := channel.Post{URL: s.url, Header: http.Header{}}
	if s.urlSecret != "" {
		u, err := s.secrets.Secret(ctx, s.urlSecret)
		if err != nil {
			return channel.Retryablef("webhook channel %s: %w", s.name, err)
		}
		p.URL, p.URLIsSecret = u, true
	}
	for k, v := range s.headers {
		p.Header.Set(k, v)
	}
	names := make([]string, 0, len(s.headerSecrets))
	for k := range s.headerSecrets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, err := s.secrets.Secret(ctx, s.headerSecrets[k])
		if err != nil {
			return channel.Retryablef("webhook channel %s: header %s: %w", s.name, k, err)
		}
		p.Header.Set(k, v)
		p.Secrets = append(p.Secrets, v)
	}
	p.Body = body
	if err := channel.PostJSON(ctx, s.client, p); err != nil {
		return fmt.Errorf("webhook channel %s: %w", s.name, err)
	}
	return nil
}

// Body is the JSON a webhook receives.
type Body struct {
	ID       string    `json:"id"`
	Target   string    `json:"target"`
	Kind     string    `json:"kind"`
	Since    time.Time `json:"since"`
	At       time.Time `json:"at"`
	Endpoint string    `json:"endpoint,omitempty"`
	Failures []string  `json:"failures"`
	Text     string    `json:"text"`
	// Dependents are the failing targets whose alerts were folded into
	// this one (see docs/status.md, dependencies); absent when none.
	Dependents []string `json:"dependents,omitempty"`
	// Collapsed are the target's earlier alerts this one tells in its
	// summary line (the channel was unreachable while they were raised);
	// absent when none.
	Collapsed []outbox.Collapsed `json:"collapsed,omitempty"`
}

// Payload is the JSON posted for a. The id is stable across retries, so a
// receiver can drop duplicates.
func Payload(a outbox.Alert) ([]byte, error) {
	failures := a.Failures
	if failures == nil {
		failures = []string{}
	}
	return json.Marshal(Body{ID: a.ID, Target: a.Target, Kind: a.Kind, Since: a.Since.UTC(), At: a.At.UTC(),
		Endpoint: a.Endpoint, Failures: failures, Text: channel.Text(a), Dependents: a.Dependents, Collapsed: a.Collapsed})
}

// validHeaderName reports whether name is an HTTP token (RFC 9110).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r < 0x7f && r > 0x20 && !isSeparator(byte(r)):
		default:
			return false
		}
	}
	return true
}

func isSeparator(c byte) bool {
	for i := range len(`()<>@,;:\"/[]?={}`) {
		if `()<>@,;:\"/[]?={}`[i] == c {
			return true
		}
	}
	return false
}
