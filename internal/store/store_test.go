package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

func newStore(t *testing.T, opts s3local.Options) *store.Store {
	t.Helper()
	opts.Buckets = []string{"medic"}
	srv, err := s3local.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return store.New(srv.Client(), "medic")
}

func TestConditionalPut(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, s3local.Options{})

	etag, err := s.Put(ctx, "state/a.json", []byte(`{"v":1}`), store.Condition{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = s.Put(ctx, "state/a.json", []byte(`{"v":2}`), store.Condition{IfNoneMatch: true})
	if !errors.Is(err, store.ErrConflict) || !errors.Is(err, store.ErrPreconditionFailed) || errors.Is(err, store.ErrConcurrentWrite) {
		t.Fatalf("second create: got %v, want ErrPreconditionFailed (an ErrConflict)", err)
	}
	if _, err := s.Put(ctx, "state/a.json", []byte(`{"v":3}`), store.Condition{IfMatch: `"0000"`}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale If-Match: got %v, want ErrConflict", err)
	}
	if _, err := s.Put(ctx, "state/a.json", []byte(`{"v":4}`), store.Condition{IfMatch: etag}); err != nil {
		t.Fatalf("If-Match with current ETag: %v", err)
	}
	obj, err := s.Get(ctx, "state/a.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != `{"v":4}` {
		t.Fatalf("body = %s, want v4", obj.Body)
	}
}

func TestGetMissing(t *testing.T) {
	s := newStore(t, s3local.Options{})
	_, err := s.Get(context.Background(), "echo/nope.json")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func TestListPaginatesAndUsesClock(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := clock.NewManual(at)
	s := newStore(t, s3local.Options{Now: clk.Now})
	const n = 1005 // more than one 1,000-key page
	for i := range n {
		if _, err := s.Put(ctx, fmt.Sprintf("echo/t%04d.json", i), []byte("{}"), store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := s.List(ctx, store.PrefixEcho)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != n {
		t.Fatalf("listed %d objects, want %d", len(infos), n)
	}
	if !infos[0].LastModified.Equal(at) {
		t.Fatalf("LastModified = %v, want the injected clock's %v", infos[0].LastModified, at)
	}
}

func TestPersistsAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := s3local.Start(s3local.Options{Dir: dir, Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.New(srv.Client(), "medic").Put(ctx, "state/x.json", []byte("kept"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, s3local.Options{Dir: dir})
	obj, err := s.Get(ctx, "state/x.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "kept" {
		t.Fatalf("body = %q after restart, want %q", obj.Body, "kept")
	}
}

// TestGetTellsAccessDeniedFromMissing puts a proxy in front of the embedded
// server that answers as S3 does for a role without bucket-wide
// s3:ListBucket: a GET of a missing key is 403 AccessDenied, not 404. A
// missing key must still be ErrNotFound; a real denial must stay an error.
func TestGetTellsAccessDeniedFromMissing(t *testing.T) {
	ctx := context.Background()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	backend, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(backend)
	denied := "/medic/secret/x.json"
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodGet && (r.StatusCode == http.StatusNotFound || r.Request.URL.Path == denied) {
			r.StatusCode = http.StatusForbidden
			body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
			r.Body = io.NopCloser(strings.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Length", fmt.Sprint(len(body)))
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	s := store.New(s3local.NewClient(front.URL, srv.Credentials()), "medic")
	if _, err := s.Put(ctx, "secret/x.json", []byte("{}"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "state/status.json"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing key behind 403: got %v, want ErrNotFound", err)
	}
	_, err = s.Get(ctx, "secret/x.json")
	if err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("denied existing key: got %v, want the AccessDenied error", err)
	}
}

// TestGetSizeLimit: Get reads an object up to MaxObjectBytes and refuses a
// larger one with an error naming the object and the limit.
func TestGetSizeLimit(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, s3local.Options{})
	body := bytes.Repeat([]byte("x"), store.MaxObjectBytes)
	if _, err := s.Put(ctx, "state/status.json", body, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Get(ctx, "state/status.json")
	if err != nil || len(obj.Body) != store.MaxObjectBytes {
		t.Fatalf("an object of exactly the limit: %d bytes, %v", len(obj.Body), err)
	}
	if _, err := s.Put(ctx, "state/status.json", append(body, 'x'), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "state/status.json")
	if err == nil || !strings.Contains(err.Error(), "s3://medic/state/status.json") || !strings.Contains(err.Error(), fmt.Sprint(store.MaxObjectBytes)) {
		t.Fatalf("an object one byte over the limit: err = %v, want one naming the object and the limit", err)
	}
}
