package probe

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// checkStatus returns a failure when code is not one of want (200-399 when
// want is empty), or "".
func checkStatus(want []int, code int) string {
	if len(want) == 0 {
		if code >= 200 && code <= 399 {
			return ""
		}
		return fmt.Sprintf("status %d, want 200-399", code)
	}
	if slices.Contains(want, code) {
		return ""
	}
	return fmt.Sprintf("status %d, want %s", code, orList(want))
}

// orList formats codes as "200", "200 or 204", "200, 201 or 204".
func orList(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// checkBody returns a failure for each body condition of e that body does
// not meet. A truncated body (over max bytes) is still searched for
// BodyContains and BodyRegex, but cannot be compared whole (Body, JSON).
func checkBody(e target.Expect, body []byte, truncated bool, max int64) []string {
	var failures []string
	cut := ""
	if truncated {
		cut = fmt.Sprintf(" (in the first %s; the body is longer)", humanBytes(max))
	}
	if e.Body != nil {
		switch {
		case truncated:
			failures = append(failures, fmt.Sprintf("body is longer than %s; cannot compare it with the expected body", humanBytes(max)))
		case string(body) != *e.Body:
			failures = append(failures, fmt.Sprintf("body %s, want %s", quote(string(body)), quote(*e.Body)))
		}
	}
	if e.BodyContains != "" && !bytes.Contains(body, []byte(e.BodyContains)) {
		failures = append(failures, fmt.Sprintf("body does not contain %s%s", quote(e.BodyContains), cut))
	}
	if e.BodyRegex != "" {
		re, err := regexp.Compile(e.BodyRegex)
		switch {
		case err != nil:
			failures = append(failures, fmt.Sprintf("invalid bodyRegex %s: %v", quote(e.BodyRegex), err))
		case !re.Match(body):
			failures = append(failures, fmt.Sprintf("body does not match /%s/%s", e.BodyRegex, cut))
		}
	}
	if e.BodyNotContains != "" && bytes.Contains(body, []byte(e.BodyNotContains)) {
		failures = append(failures, fmt.Sprintf("body contains %s, which it must not", quote(e.BodyNotContains)))
	}
	if e.BodyNotRegex != "" {
		re, err := regexp.Compile(e.BodyNotRegex)
		switch {
		case err != nil:
			failures = append(failures, fmt.Sprintf("invalid bodyNotRegex %s: %v", quote(e.BodyNotRegex), err))
		case re.Match(body):
			failures = append(failures, fmt.Sprintf("body matches /%s/ (at %s), which it must not", e.BodyNotRegex, quote(string(re.Find(body)))))
		}
	}
	if len(e.JSON) > 0 {
		failures = append(failures, checkJSON(e.JSON, body, truncated, max)...)
	}
	return failures
}

// checkJSON decodes body and compares each path's value with want's,
// in path order.
func checkJSON(want map[string]any, body []byte, truncated bool, max int64) []string {
	if truncated {
		return []string{fmt.Sprintf("body is longer than %s; cannot read it as JSON", humanBytes(max))}
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var failures []string
	for _, path := range paths {
		w, err := normalizeJSON(want[path])
		if err != nil {
			failures = append(failures, fmt.Sprintf("json field %s: expected value is not JSON: %v", path, err))
			continue
		}
		got, err := Lookup(doc, path)
		if err != nil {
			failures = append(failures, fmt.Sprintf("json field %s %v", path, err))
			continue
		}
		if !equalJSON(got, w) {
			failures = append(failures, fmt.Sprintf("json field %s = %s, want %s", path, showJSON(got), showJSON(w)))
		}
	}
	return failures
}

// checkLatency returns a failure when latency is over max (0: no bound).
func checkLatency(max, latency time.Duration) string {
	if max <= 0 || latency <= max {
		return ""
	}
	return fmt.Sprintf("latency %s over %s", humanDuration(latency), humanDuration(max))
}

// checkCert returns a failure for each certificate of chain (leaf first)
// that expires within validFor of now, or one when there is no
// certificate to check.
func checkCert(validFor time.Duration, chain []*x509.Certificate, now time.Time) []string {
	if len(chain) == 0 {
		return []string{fmt.Sprintf("no TLS certificate to check (certValidFor %s needs an https URL)", humanDuration(validFor))}
	}
	var failures []string
	for i, c := range chain {
		name := "certificate"
		if role := certRole(chain, i); role != "" {
			name = fmt.Sprintf("%s certificate %q", role, c.Subject.String())
		}
		left := c.NotAfter.Sub(now)
		switch {
		case left <= 0:
			failures = append(failures, fmt.Sprintf("%s expired %s ago (%s), want at least %s left",
				name, humanDuration(-left), c.NotAfter.UTC().Format(time.RFC3339), humanDuration(validFor)))
		case left < validFor:
			failures = append(failures, fmt.Sprintf("%s expires in %s (%s), want at least %s",
				name, humanDuration(left), c.NotAfter.UTC().Format(time.RFC3339), humanDuration(validFor)))
		}
	}
	return failures
}
