package checkstaleness

import (
	"io"
	"log/slog"
	"testing"

	"github.com/medic-dev/medic/internal/store"
)

// FuzzDecodeBatch: any bytes under echo/batch/ decode to results that each
// name a target and a check time, or to none, without panicking.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`[{"target":"web","up":true,"checkedAt":"2026-11-21T10:00:00Z"}]`))
	f.Add([]byte(`[{"target":"db","up":true}, {"up":false,"checkedAt":"2026-11-21T10:00:00Z"}]`))
	f.Add([]byte(`{"not":"a list"}`))
	f.Add([]byte(`[null, 1, "x"]`))
	r := &echoReader{log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := r.decodeBatch("echo/batch/a--b.json", store.Object{Body: body, ETag: `"e"`})
		if e.etag != `"e"` {
			t.Fatalf("etag lost")
		}
		for _, res := range e.results {
			if res.Target == "" || res.CheckedAt.IsZero() || res.Skipped != "" {
				t.Fatalf("kept %+v", res)
			}
		}
	})
}
