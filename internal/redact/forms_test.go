package redact_test

import (
	"slices"
	"testing"

	"github.com/medic-dev/medic/internal/redact"
)

func TestForms(t *testing.T) {
	got := redact.Forms("a/b c&d")
	if got[0] != "a/b c&d" {
		t.Errorf("first form %q, want the value itself", got[0])
	}
	for _, want := range []string{
		`a\/b c\u0026d`, `a\u002fb c\u0026d`, // JSON, PHP-style
		"a%2Fb+c%26d", "a%2fb+c%26d", "a%2Fb%20c%26d", "a%2Fb%20c&d", // URL-encoded
		"YS9iIGMmZA==", "YS9iIGMmZA", // base64
		`a\\/b c\\u0026d`, // inside a quoted failure text
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Forms lacks %q: %q", want, got)
		}
	}
	seen := map[string]bool{}
	for _, f := range got {
		if seen[f] {
			t.Errorf("%q twice", f)
		}
		seen[f] = true
	}
}
