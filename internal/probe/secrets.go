package probe

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/medic-dev/medic/internal/redact"
	"github.com/medic-dev/medic/internal/target"
)

// SecretSource reads the value of the secret called name. internal/secret's
// Env and SecretsManager satisfy it.
type SecretSource interface {
	Secret(ctx context.Context, name string) (string, error)
}

// Redacted replaces a secret header's value wherever a failure text would
// otherwise show it (a server that echoes the request in its body).
const Redacted = "[redacted]"

// secretHeaders reads the values of t.HeaderSecrets. On failure it returns
// a failure text that names the header and the secret, never a value.
func (p *Prober) secretHeaders(ctx context.Context, t target.Target) (map[string]string, *redactor, string) {
	if len(t.HeaderSecrets) == 0 && t.BasicAuth == nil {
		return nil, &redactor{}, ""
	}
	names := make([]string, 0, len(t.HeaderSecrets))
	for h := range t.HeaderSecrets {
		names = append(names, h)
	}
	sort.Strings(names)
	headers := make(map[string]string, len(names))
	r := &redactor{}
	for _, h := range names {
		name := t.HeaderSecrets[h]
		if p.Secrets == nil {
			return nil, r, fmt.Sprintf("header %s needs secret %q, but this probe has no secret source", h, name)
		}
		v, err := p.Secrets.Secret(ctx, name)
		if err != nil {
			return nil, r, describeSecretError(h, name, err)
		}
		r.add(v)
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, r, fmt.Sprintf("header %s: secret %q holds a line break or NUL, which a header value cannot contain", h, name)
		}
		headers[h] = v
	}
	if b := t.BasicAuth; b != nil {
		if p.Secrets == nil {
			return nil, r, fmt.Sprintf("basicAuth needs secret %q, but this probe has no secret source", b.PasswordSecret)
		}
		pw, err := p.Secrets.Secret(ctx, b.PasswordSecret)
		if err != nil {
			return nil, r, "basicAuth password" + strings.TrimPrefix(describeSecretError("", b.PasswordSecret, err), "header ")
		}
		r.add(pw)
		value := "Basic " + base64.StdEncoding.EncodeToString([]byte(b.Username+":"+pw))
		r.add(value)
		headers["Authorization"] = value
	}
	return headers, r, ""
}

// describeSecretError words err for a failure text. internal/secret's
// errors name the secret and where it was looked for, never the value.
func describeSecretError(h, name string, err error) string {
	if strings.Contains(err.Error(), strconv.Quote(name)) {
		return fmt.Sprintf("header %s: %v", h, err)
	}
	return fmt.Sprintf("header %s: cannot read secret %q: %v", h, name, err)
}

// stripOnRedirect removes the secret headers from a redirected request
// once the chain has left the origin of the first request (another scheme,
// host or port), so a redirect cannot carry a credential elsewhere. Go's
// client forwards every other header, custom ones included, to any host.
func stripOnRedirect(req *http.Request, via []*http.Request, secret map[string]string) {
	if len(secret) == 0 || len(via) == 0 {
		return
	}
	first := via[0].URL
	left := !sameOrigin(first, req.URL)
	for _, r := range via[1:] {
		left = left || !sameOrigin(first, r.URL)
	}
	if !left {
		return
	}
	for h := range secret {
		req.Header.Del(h)
	}
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// redactor hides secret values in texts about a check. It replaces each
// value, and each word of it of at least minRedactedWord bytes (the token
// of "Bearer <token>"), in every form a server may echo it, as each reads
// inside a Go- or JSON-quoted string (redact.Forms); and a value's start cut
// short by a "..." where a long text was shortened.
type redactor struct {
	forms []string // longest first
}

const (
	minRedactedWord   = 8
	minRedactedPrefix = 4
)

func (r *redactor) add(v string) {
	if v == "" {
		return
	}
	seen := map[string]bool{}
	for _, f := range r.forms {
		seen[f] = true
	}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			r.forms = append(r.forms, s)
		}
	}
	for _, s := range append([]string{v}, wordsOf(v)...) {
		for _, f := range redact.Forms(s) {
			add(f)
		}
	}
	sort.SliceStable(r.forms, func(i, j int) bool { return len(r.forms[i]) > len(r.forms[j]) })
}

func wordsOf(v string) []string {
	var words []string
	for _, w := range strings.Fields(v) {
		if len(w) >= minRedactedWord && w != v {
			words = append(words, w)
		}
	}
	return words
}

// text returns s with every form of every value replaced by Redacted.
func (r *redactor) text(s string) string {
	if r == nil || len(r.forms) == 0 {
		return s
	}
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, Redacted)
	}
	// A value whose start survived a shortened quote: "...Bearer abc..."
	for _, f := range r.forms {
		for n := len(f) - 1; n >= minRedactedPrefix; n-- {
			for _, cut := range []string{`"...`, "..."} {
				s = strings.ReplaceAll(s, f[:n]+cut, Redacted+cut)
			}
		}
	}
	return s
}

// body returns b with every form of every value replaced, or b itself.
func (r *redactor) body(b []byte) []byte {
	if r == nil || len(r.forms) == 0 {
		return b
	}
	return []byte(r.text(string(b)))
}

// all redacts each text of failures in place.
func (r *redactor) all(failures []string) {
	for i := range failures {
		failures[i] = r.text(failures[i])
	}
}
