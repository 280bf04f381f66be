package writeecho_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/localauth"
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
