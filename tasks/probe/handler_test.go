package probe_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
	probetask "github.com/medic-dev/medic/tasks/probe"
)

func testSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	mux.HandleFunc("/never", func(w http.ResponseWriter, r *http.Request) { t.Error("a push target was probed") })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// input reads testdata/input.json with the test site's addresses in it,
// decoding it as the Lambda runtime does.
func input(t *testing.T, srv *httptest.Server) probetask.In {
	t.Helper()
	raw, err := os.ReadFile("testdata/input.json")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("{{URL}}", srv.URL, "{{ADDR}}", srv.Listener.Addr().String()).Replace(string(raw))
	var in probetask.In
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestHandleBatch(t *testing.T) {
	srv := testSite(t)
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	h := &probetask.Handler{Prober: &probe.Prober{Allow: probe.All}, Now: func() time.Time { return at }}
	in := input(t, srv)
	out, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Batch != 2 || out.Run != "exec-2026-03-04T05-06" {
		t.Fatalf("batch %d run %q, want 2 and the input's run", out.Batch, out.Run)
	}
	want := []struct {
		name    string
		up      bool
		skipped string
		fail    string
	}{
		{name: "web", up: true},
		{name: "api", fail: "status 502, want 200"},
		{name: "db", up: true},
		{name: "nightly", skipped: probe.SkippedPush},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(out.Results), len(want))
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Target != w.name || r.Up != w.up || r.Skipped != w.skipped || r.Run != in.Run || !r.CheckedAt.Equal(at) {
			t.Fatalf("result %d = %+v, want %s up=%v skipped=%q run=%q at %v", i, r, w.name, w.up, w.skipped, in.Run, at)
		}
		if w.fail != "" && (len(r.Failures) != 1 || r.Failures[0] != w.fail) {
			t.Fatalf("%s failures = %q, want [%q]", w.name, r.Failures, w.fail)
		}
	}

	// The output is WriteEcho's input: check the JSON field names.
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(b, &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"batch", "run", "results"} {
		if _, ok := shape[k]; !ok {
			t.Fatalf("output %s has no %q", b, k)
		}
	}
}

func TestHandleEmptyBatch(t *testing.T) {
	out, err := (&probetask.Handler{}).Handle(context.Background(), probetask.In{Batch: 0, Run: "r"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if string(b) != `{"batch":0,"run":"r","results":[]}` {
		t.Fatalf("output = %s, want an empty results array", b)
	}
}

func TestHandleLeavesHeadroom(t *testing.T) {
	srv := testSite(t)
	h := &probetask.Handler{Prober: &probe.Prober{Allow: probe.All}}
	in := probetask.In{Batch: 0, Run: "r", Targets: []target.Target{
		{Name: "hang", Kind: target.KindHTTP, URL: srv.URL + "/hang", Timeout: target.Duration(time.Minute)},
		{Name: "web", Kind: target.KindHTTP, URL: srv.URL + "/ok"},
	}}
	const budget = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	start := time.Now()
	out, err := h.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took >= budget-probetask.MinHeadroom/2 {
		t.Fatalf("took %s of a %s budget: no headroom left", took, budget)
	}
	if r := out.Results[0]; !strings.HasPrefix(r.Skipped, probe.SkippedCutShort) || r.Up {
		t.Fatalf("hanging target = %+v, want skipped as cut short", r)
	}
	if r := out.Results[1]; !r.Up {
		t.Fatalf("quick target = %+v, want up", r)
	}
}
