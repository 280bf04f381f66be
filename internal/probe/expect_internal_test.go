package probe

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// FuzzCheckJSON feeds response bodies and expectations from the outside
// world through the JSON condition: it must never panic, must always say
// why in words, and a document must always satisfy its own values.
func FuzzCheckJSON(f *testing.F) {
	f.Add(`{"status":"ok","n":1}`, "status", `"ok"`)
	f.Add(`{"n":1e999999999}`, "n", `1e999999999`)
	f.Add(`{"n":1.0}`, "n", `1`)
	f.Add(`[{"id":[true,null]}]`, "0.id.1", `null`)
	f.Add(`not json`, "a", `1`)
	f.Fuzz(func(t *testing.T, body, path, want string) {
		var w any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			return
		}
		for _, f := range checkJSON(map[string]any{path: w}, []byte(body), false, DefaultMaxBodyBytes) {
			if !strings.HasPrefix(f, "json field ") && !strings.HasPrefix(f, "body is not JSON") {
				t.Fatalf("failure %q does not say what failed", f)
			}
		}
		doc, err := decodeJSON([]byte(body))
		if err != nil {
			return
		}
		got, err := Lookup(doc, path)
		if err != nil {
			return
		}
		if !equalJSON(got, got) {
			t.Fatalf("value at %q is not equal to itself: %s", path, showJSON(got))
		}
	})
}

func TestEqualNumber(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1", "1.0", true},
		{"1", "1e0", true},
		{"0.5", "5e-1", true},
		{"-0", "0", true},
		{"3", "4", false},
		{"1e999", "1e999", true},
		{"1e999", "2e999", false},
		{"12345678901234567890", "12345678901234567000", true}, // float64 precision, as the targets file's numbers
	}
	for _, tc := range tests {
		if got := equalNumber(tc.a, tc.b); got != tc.want {
			t.Errorf("equalNumber(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{1500 * time.Microsecond, "2ms"},
		{120 * time.Millisecond, "120ms"},
		{2345 * time.Millisecond, "2.3s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{5*time.Hour + 7*time.Second, "5h0m7s"},
		{72 * time.Hour, "3d"},
		{76 * time.Hour, "3d4h"},
		{-48 * time.Hour, "2d"},
	}
	for _, tc := range tests {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "https://user:secret@example.com/", Err: err} }
	tests := []struct {
		err  error
		want string
	}{
		{wrap(&net.DNSError{Err: "no such host", Name: "api.example.com", IsNotFound: true}), "host api.example.com not found (DNS)"},
		{wrap(&net.DNSError{Err: "server misbehaving", Name: "api.example.com"}), "DNS lookup of api.example.com failed: server misbehaving"},
		{wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "connection refused"},
		{wrap(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), "connection reset by the server while waiting for the response"},
		{wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}), "host unreachable"},
		{wrap(io.ErrUnexpectedEOF), "connection closed by the server while waiting for the response"},
		{wrap(context.DeadlineExceeded), "timeout after 1m while waiting for the response"},
		{wrap(errors.New("net/http: something new")), "something new"},
	}
	for _, tc := range tests {
		got := describe(tc.err, "waiting for the response", time.Minute)
		if got != tc.want {
			t.Errorf("describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("describe leaked the URL's credentials: %q", got)
		}
	}
}
