package probe_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func TestHTTPMaxBodyBytes(t *testing.T) {
	// The keyword comes after 1.5 MiB of padding, past the 1 MiB default.
	page := strings.Repeat("x", 3<<19) + " healthy"
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, page) }))
	tests := []struct {
		name string
		max  target.ByteSize
		want []string
	}{
		{name: "the default cap cuts the body before the keyword",
			want: []string{`body does not contain "healthy" (in the first 1 MiB; the body is longer)`}},
		{name: "maxBodyBytes 2MiB reads to the keyword", max: 2 << 20},
		{name: "a cap below the default", max: 512 << 10,
			want: []string{`body does not contain "healthy" (in the first 512 KiB; the body is longer)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := (&probe.Prober{Allow: probe.All}).Probe(context.Background(), target.Target{Name: "big", Kind: target.KindHTTP,
				URL: srv.URL, MaxBodyBytes: tc.max, Expect: target.Expect{BodyContains: "healthy"}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
		})
	}
}
