package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/medic-dev/medic/internal/redact"
)

// DefaultTimeout bounds one delivery when the HTTP client sets no timeout.
const DefaultTimeout = 10 * time.Second

// maxResponseBytes is how much of a response body is read: enough for an
// error message or a retry hint, never a whole page.
const maxResponseBytes = 4 << 10

// Post is one JSON POST to a channel.
type Post struct {
	// URL is where to post.
	URL string
	// URLIsSecret hides everything after the host in errors.
	URLIsSecret bool
	// Header is sent with the request; Content-Type is application/json.
	Header http.Header
	// Body is the JSON payload.
	Body []byte
	// Secrets are values (tokens, header values) that must never appear in
	// an error; the URL is added when URLIsSecret.
	Secrets []string
}

// Response is what a channel answered.
type Response struct {
	Status int
	Header http.Header
	// Body is the start of the response body (at most 4 KiB).
	Body []byte
}

// Do sends p with client (a client with DefaultTimeout when nil). A
// response of any status is returned without error; a failure to get one is
// a retryable *Error whose text has the URL redacted and secrets removed.
//
// Redirects: no Referer is ever sent (it would carry a secret URL), and a
// post that carries anything secret (a secret URL, secret header values)
// follows a redirect only within the same origin (scheme, host and port);
// one to another origin is a rejection naming only that origin.
func Do(ctx context.Context, client *http.Client, p Post) (Response, error) {
	r := newRedactor(p)
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// url.Parse's errors quote the URL: say what is wrong without it.
		return Response{}, Rejectedf("the channel URL is not a valid http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(p.Body))
	if err != nil {
		return Response{}, Rejectedf("build request to %s: %s", r.url, r.scrub(err.Error()))
	}
	for k, vs := range p.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "medic")
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	guarded := *client
	var crossOrigin *url.URL
	guarded.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		next.Header.Del("Referer")
		if (p.URLIsSecret || len(p.Secrets) > 0) && origin(next.URL) != origin(u) {
			crossOrigin = next.URL
			return http.ErrUseLastResponse
		}
		if client.CheckRedirect != nil {
			return client.CheckRedirect(next, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	resp, err := guarded.Do(req)
	if err != nil {
		return Response{}, &Error{Retryable: true, Err: r.transportError(err)}
	}
	if crossOrigin != nil {
		resp.Body.Close()
		return Response{}, Rejectedf("%s answered %d, a redirect to another origin (%s): not followed with the channel's credentials",
			r.url, resp.StatusCode, origin(crossOrigin))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// origin is a URL's scheme://host:port, the port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// PostJSON sends p and classifies the answer: nil for 2xx, a retryable
// *Error for 429 and 5xx (with the Retry-After hint) and for transport
// failures, a rejection for any other status.
func PostJSON(ctx context.Context, client *http.Client, p Post) error {
	resp, err := Do(ctx, client, p)
	if err != nil {
		return err
	}
	return Classify(resp, p)
}

// Classify turns a response into nil or an *Error. The error quotes the
// start of the response body, with p's secrets removed.
func Classify(resp Response, p Post) error {
	var retryAfter time.Duration
	if resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusServiceUnavailable {
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			retryAfter = d
		} else if d, ok := ParseRetryAfterBody(resp.Body); ok {
			retryAfter = d
		}
	}
	return ClassifyStatus(resp.Status, retryAfter, Snippet(resp.Body, p))
}

// Snippet returns the start of a response body fit for an error message:
// one line, at most 200 characters, with p's secrets removed.
func Snippet(body []byte, p Post) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, newRedactor(p).scrub(string(body)))
	s = strings.TrimSpace(s)
	return Truncate(s, 200)
}

// redactor removes secret values from text.
type redactor struct {
	url     string // the URL as it may be shown
	secrets []string
}

const redacted = "[redacted]"

// minSecretLen keeps scrubbing from replacing short, common fragments.
const minSecretLen = 6

func newRedactor(p Post) redactor {
	r := redactor{url: p.URL}
	for _, s := range p.Secrets {
		// "Bearer <token>": the token alone is as secret as the whole value.
		for _, part := range append([]string{s}, strings.Fields(s)...) {
			if len(part) >= minSecretLen {
				// Also as a server may echo it: JSON-escaped, URL-encoded, base64.
				r.secrets = append(r.secrets, redact.Forms(part)...)
			}
		}
	}
	if p.URLIsSecret {
		r.url = redactURL(p.URL)
		r.secrets = append(r.secrets, p.URL)
		if u, err := url.Parse(p.URL); err == nil {
			for _, part := range []string{u.EscapedPath(), u.Path, u.RawQuery, u.Fragment, u.User.String()} {
				if len(part) >= minSecretLen {
					r.secrets = append(r.secrets, part)
				}
			}
		}
	}
	return r
}

// redactURL keeps a URL's scheme and host, enough to tell which service
// failed, and hides the rest.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return redacted
	}
	return u.Scheme + "://" + u.Hostname() + portSuffix(u) + "/" + redacted
}

func portSuffix(u *url.URL) string {
	if p := u.Port(); p != "" {
		return ":" + p
	}
	return ""
}

func (r redactor) scrub(s string) string {
	// Longest first, so no part of a longer form is left behind.
	secrets := append([]string(nil), r.secrets...)
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

func (r redactor) leaks(s string) bool {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// transportError rebuilds the client's *url.Error with the redacted URL,
// keeping the cause (so timeouts stay recognisable) unless its own text
// would leak a secret.
func (r redactor) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if inner == nil || r.leaks(inner.Error()) {
			inner = errors.New(r.scrub(fmt.Sprint(inner)))
		}
		return &url.Error{Op: ue.Op, URL: r.url, Err: inner}
	}
	if r.leaks(err.Error()) {
		return errors.New(r.scrub(err.Error()))
	}
	return err
}

// Truncate shortens s to at most n characters (runes), ending with "…" when
// it cut, and never splits a character.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
