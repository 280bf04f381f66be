package channel_test

import (
	"errors"
	"math"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/medic-dev/medic/internal/channel"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status    int
		ok        bool
		retryable bool
	}{
		{200, true, false}, {204, true, false}, {299, true, false},
		{301, false, false}, {400, false, false}, {401, false, false}, {404, false, false}, {410, false, false},
		{429, false, true}, {500, false, true}, {502, false, true}, {503, false, true},
	}
	for _, tt := range tests {
		err := channel.ClassifyStatus(tt.status, 0, "")
		if (err == nil) != tt.ok {
			t.Errorf("%d: err = %v", tt.status, err)
			continue
		}
		if err != nil && channel.IsRetryable(err) != tt.retryable {
			t.Errorf("%d: retryable = %v, want %v", tt.status, !tt.retryable, tt.retryable)
		}
	}
	if channel.IsRetryable(nil) || !channel.IsRetryable(errors.New("unknown")) {
		t.Error("IsRetryable: nil must not be retryable, an unclassified error must be")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"999999999", channel.MaxRetryAfter, true},
		{"-1", 0, false}, {"NaN", 0, false}, {"soon", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := channel.ParseRetryAfter(tt.h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.h, got, ok, tt.want, tt.ok)
		}
	}
	body := []struct {
		b    string
		want time.Duration
		ok   bool
	}{
		{`{"message":"You are being rate limited.","retry_after":0.5,"global":false}`, 500 * time.Millisecond, true},
		{`{"retry_after":"x"}`, 0, false}, {`{}`, 0, false}, {`not json`, 0, false},
	}
	for _, tt := range body {
		got, ok := channel.ParseRetryAfterBody([]byte(tt.b))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfterBody(%s) = %s, %v; want %s, %v", tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello", 5, "hello"}, {"hello", 4, "hel…"}, {"héllo wörld", 3, "hé…"},
		{"⚠⚠⚠", 2, "⚠…"}, {"abc", 0, ""}, {"", 3, ""},
	}
	for _, tt := range tests {
		if got := channel.Truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func FuzzTruncate(f *testing.F) {
	f.Add("héllo wörld ⚠", 5)
	f.Add("\xff\xfeabc", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 10000 {
			return
		}
		got := channel.Truncate(s, n)
		if utf8.RuneCountInString(got) > n {
			t.Fatalf("Truncate(%q, %d) = %q: too long", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Truncate(%q, %d) = %q: split a character", s, n, got)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"30", "1.5", "Sat, 21 Nov 2026 10:00:00 GMT", "-1", "1e400", "NaN", "+Inf", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, h string) {
		d, ok := channel.ParseRetryAfter(h, now)
		if d < 0 || d > channel.MaxRetryAfter || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %s, %v", h, d, ok)
		}
		d, ok = channel.ParseRetryAfterBody([]byte(`{"retry_after":` + h + `}`))
		if d < 0 || d > channel.MaxRetryAfter || math.IsNaN(float64(d)) || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfterBody(%q) = %s, %v", h, d, ok)
		}
	})
}
