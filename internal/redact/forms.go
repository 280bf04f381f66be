// Package redact lists the forms in which a secret value may come back in
// a server's answer, so that every one of them is hidden wherever medic
// shows that answer (probe failures and echoes, channel errors).
package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Forms returns s in every form a server may echo it back, each also as it
// reads inside a Go- or JSON-quoted string: as sent; JSON-escaped (with "/"
// also as "\/" or "\u002f", as PHP and others write it); URL-encoded (query
// and path escaping, upper- and lower-case hex); base64 (standard and URL
// alphabets, padded or not). Duplicates are removed; s itself comes first.
func Forms(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, f := range echoForms(s) {
		add(f)
		add(goQuoted(f))
		add(jsonQuoted(f))
	}
	return out
}

// echoForms are the forms in which a server may echo s back: as sent;
// JSON-escaped (with "/" also as "\/" or "\u002f", as PHP and others write
// it); URL-encoded (query and path escaping, upper- and lower-case hex);
// base64 (standard and URL alphabets, padded or not).
func echoForms(s string) []string {
	j := jsonQuoted(s)
	forms := []string{s, j, strings.ReplaceAll(j, "/", `\/`), strings.ReplaceAll(j, "/", `\u002f`)}
	for _, u := range []string{url.QueryEscape(s), url.PathEscape(s), strings.ReplaceAll(url.QueryEscape(s), "+", "%20")} {
		forms = append(forms, u, lowerHexEscapes(u))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(s)))
	}
	return forms
}

func goQuoted(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func jsonQuoted(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return s
	}
	return string(b[1 : len(b)-1])
}

// lowerHexEscapes writes every %XX of s with lower-case hex digits.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + ('a' - 'A')
	}
	return c
}
