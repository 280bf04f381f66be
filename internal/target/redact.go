package target

import (
	"regexp"
	"strings"
)

// redactedUserinfo replaces a URL's user and password wherever a URL is shown.
const redactedUserinfo = "[redacted]"

var schemePrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// RedactURL returns raw with its userinfo (user:password@) replaced by
// "[redacted]@", whether or not raw parses as a URL; raw unchanged when it
// has none. Every URL medic shows (problems, failures, alerts, logs, and
// therefore the execution history) goes through it.
func RedactURL(raw string) string {
	start, end, ok := userinfoSpan(raw)
	if !ok {
		return raw
	}
	return raw[:start] + redactedUserinfo + raw[end:]
}

// userinfoSpan finds the userinfo of raw: from after "scheme://" (or the
// start) to the last '@' before the path, query or fragment.
func userinfoSpan(raw string) (start, end int, ok bool) {
	if m := schemePrefix.FindString(raw); m != "" {
		start = len(m)
	} else if strings.HasPrefix(raw, "//") {
		start = 2
	}
	authority := raw[start:]
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return 0, 0, false
	}
	return start, start + at, true
}

// scrubUserinfo removes raw's userinfo from text that may quote it (a
// parser's error message).
func scrubUserinfo(text, raw string) string {
	start, end, ok := userinfoSpan(raw)
	if !ok || end == start {
		return text
	}
	text = strings.ReplaceAll(text, raw[start:end], redactedUserinfo)
	// The password alone, as a port or host error might quote it.
	if _, pw, found := strings.Cut(raw[start:end], ":"); found && len(pw) >= 3 {
		text = strings.ReplaceAll(text, pw, redactedUserinfo)
	}
	return text
}
