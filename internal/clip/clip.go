// Package clip cuts text to a size in bytes without splitting a character,
// for text that must fit a limit (an SNS subject or message, a stored
// failure).
package clip

import "unicode/utf8"

// Bytes cuts s to at most n bytes on a character boundary, ending with "…"
// when it cut. n below the length of "…" (3 bytes) gives "…" alone.
func Bytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
