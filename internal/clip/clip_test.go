package clip_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/medic-dev/medic/internal/clip"
)

func TestBytes(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"a longer text", 8, "a lon…"},
		{"ééé", 5, "é…"},  // 5 - 3 leaves 2 bytes: one é
		{"éééé", 6, "é…"}, // 6 - 3 = 3 is inside the second é: back to 2
		{"aéé", 4, "a…"},  // 4 - 3 = 1, the start of the first é
		{"aéé", 5, "aéé"}, // fits
		{strings.Repeat("x", 10), 2, "…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		got := clip.Bytes(tt.s, tt.n)
		if got != tt.want {
			t.Errorf("Bytes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Bytes(%q, %d) = %q is not valid UTF-8", tt.s, tt.n, got)
		}
	}
}

func FuzzBytes(f *testing.F) {
	for _, s := range []string{"", "abc", "ééé", "日本語テキスト", "a\xffb"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := clip.Bytes(s, n)
		if len(s) <= n {
			if got != s {
				t.Fatalf("Bytes(%q, %d) = %q, want it unchanged", s, n, got)
			}
			return
		}
		if !strings.HasSuffix(got, "…") || len(got) > max(n, len("…")) || !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
			t.Fatalf("Bytes(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Bytes(%q, %d) = %q splits a character", s, n, got)
		}
	})
}
