package probe_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func compress(t *testing.T, enc string, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zlib":
		w = zlib.NewWriter(&buf)
	case "raw-deflate":
		fw, err := flate.NewWriter(&buf, flate.DefaultCompression)
		if err != nil {
			t.Fatal(err)
		}
		w = fw
	}
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHTTPContentEncoding(t *testing.T) {
	const page = `{"status":"ok"} all systems healthy`
	gz, zl, raw := compress(t, "gzip", page), compress(t, "zlib", page), compress(t, "raw-deflate", page)
	// Every route compresses whatever the request asked for, as some
	// servers and CDNs do.
	mux := http.NewServeMux()
	send := func(encoding string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", encoding)
			_, _ = w.Write(body)
		}
	}
	mux.Handle("/gzip", send("gzip", gz))
	mux.Handle("/gzip-json", send("gzip", compress(t, "gzip", `{"status":"ok","checks":{"db":true}}`)))
	mux.Handle("/deflate", send("deflate", zl))
	mux.Handle("/raw-deflate", send("deflate", raw))
	mux.Handle("/gzip-twice", send("gzip, gzip", compress(t, "gzip", string(gz))))
	mux.Handle("/br", send("br", []byte{0x0b, 0x02, 0x80}))
	mux.Handle("/corrupt", send("gzip", []byte("this is not gzip")))
	srv := server(t, mux)

	tests := []struct {
		name, path, accept string
		json               bool
		want               []string
	}{
		{name: "gzip asked for explicitly", path: "/gzip", accept: "gzip"},
		{name: "gzip with JSON", path: "/gzip-json", accept: "gzip, deflate", json: true},
		{name: "gzip asked for by Go", path: "/gzip"},
		{name: "deflate (zlib) unasked", path: "/deflate"},
		{name: "deflate (zlib) asked", path: "/deflate", accept: "deflate"},
		{name: "deflate sent as a bare stream", path: "/raw-deflate", accept: "deflate"},
		{name: "two encodings", path: "/gzip-twice", accept: "gzip"},
		{name: "br cannot be decoded", path: "/br", accept: "br",
			want: []string{`body is encoded as "br" (Content-Encoding); medic decodes gzip and deflate only: cannot check it`}},
		{name: "corrupt gzip", path: "/corrupt", accept: "gzip",
			want: []string{"body is not valid gzip (Content-Encoding: gzip): gzip: invalid header"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := target.Target{Name: "zipped", Kind: target.KindHTTP, URL: srv.URL + tc.path,
				Expect: target.Expect{BodyContains: "healthy"}}
			if tc.accept != "" {
				tg.Headers = map[string]string{"Accept-Encoding": tc.accept}
			}
			if tc.json {
				tg.Expect = target.Expect{JSON: map[string]any{"status": "ok", "checks.db": true}}
			}
			res := (&probe.Prober{Allow: probe.All}).Probe(context.Background(), tg)
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
		})
	}
}
