package writeecho_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/tasks/writeecho"
)

func newStore(t *testing.T, bucket string) *store.Store {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return store.New(client(t, srv.URL, srv.Credentials()), bucket)
}

// client is s3local.NewClient with its own transport, whose spare
// connections are closed before the server: http.Server.Shutdown waits up
// to 5s for a connection that was opened but never used.
func client(t *testing.T, endpoint string, creds localauth.Credentials) *s3.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	opts := s3local.NewClient(endpoint, creds).Options()
	opts.HTTPClient = &http.Client{Transport: tr}
	return s3.New(opts)
}

// deniedStore is a store whose requests pass through a proxy to the
// embedded S3 server; the proxy answers 403 AccessDenied, as S3 does for a
// key the role may not write, to PUTs of the keys in deny.
func deniedStore(t *testing.T, deny ...string) *store.Store {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	upstream, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && slices.Contains(deny, strings.TrimPrefix(r.URL.Path, "/medic/")) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return store.New(client(t, front.URL, srv.Credentials()), "medic")
}

func fixture(t *testing.T) writeecho.In {
	t.Helper()
	raw, err := os.ReadFile("testdata/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in writeecho.In
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestWritesEchoes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, "medic")
	in := fixture(t)
	h := &writeecho.Handler{Store: s}
	for attempt := range 2 { // a retried batch writes the same objects again
		out, err := h.Handle(ctx, in)
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if out.Written != 2 {
			t.Fatalf("attempt %d: written = %d, want 2 (the push target is skipped)", attempt, out.Written)
		}
	}
	for _, want := range in.Results[:2] {
		var got probe.Result
		if _, err := s.GetJSON(ctx, "echo/"+want.Target+".json", &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("echo of %s = %+v, want %+v", want.Target, got, want)
		}
	}
	if _, err := s.Get(ctx, "echo/nightly.json"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a skipped result was written: %v", err)
	}
	infos, err := s.List(ctx, store.PrefixEcho)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 {
		t.Fatalf("%d echoes, want 2", len(infos))
	}
}

func TestManyEchoesConcurrently(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, "medic")
	var in writeecho.In
	for i := range 50 {
		in.Results = append(in.Results, probe.Result{Target: "t" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Up: i%2 == 0})
	}
	out, err := (&writeecho.Handler{Store: s, Concurrency: 4}).Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := s.List(ctx, store.PrefixEcho)
	if err != nil {
		t.Fatal(err)
	}
	if out.Written != 50 || len(infos) != 50 {
		t.Fatalf("written %d, stored %d, want 50", out.Written, len(infos))
	}
}

func TestWriteFailuresNameTheKeys(t *testing.T) {
	tests := []struct {
		name        string
		store       func(t *testing.T) *store.Store
		results     []probe.Result
		wantWritten int
		wantKeys    []string
	}{
		{name: "one key refused, the others written", store: func(t *testing.T) *store.Store { return deniedStore(t, "echo/denied.json") },
			results:     []probe.Result{{Target: "a"}, {Target: "denied"}, {Target: "b"}},
			wantWritten: 2, wantKeys: []string{"echo/denied.json"}},
		{name: "bucket missing: every write fails", store: func(t *testing.T) *store.Store { return newStore(t, "no-such-bucket") },
			results:     []probe.Result{{Target: "b"}, {Target: "a"}, {Target: "skip", Skipped: probe.SkippedPush}},
			wantWritten: 0, wantKeys: []string{"echo/a.json", "echo/b.json"}},
		{name: "a result without a name", store: func(t *testing.T) *store.Store { return newStore(t, "medic") },
			results:     []probe.Result{{Target: "a"}, {}},
			wantWritten: 1, wantKeys: []string{"results[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.store(t)
			out, err := (&writeecho.Handler{Store: s}).Handle(context.Background(), writeecho.In{Batch: 3, Run: "r", Results: tc.results})
			var werr *writeecho.EchoWriteError
			if !errors.As(err, &werr) {
				t.Fatalf("error = %v, want *EchoWriteError", err)
			}
			if !reflect.DeepEqual(werr.Keys, tc.wantKeys) || werr.Err == nil {
				t.Fatalf("failed keys = %q (%v), want %q", werr.Keys, werr.Err, tc.wantKeys)
			}
			for _, k := range tc.wantKeys {
				if !strings.Contains(err.Error(), k) {
					t.Fatalf("error %q does not name %s", err, k)
				}
			}
			if out.Written != tc.wantWritten {
				t.Fatalf("written = %d, want %d", out.Written, tc.wantWritten)
			}
		})
	}
}
