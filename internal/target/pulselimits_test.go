package target_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"

	"github.com/medic-dev/medic/internal/target"
)

// problemFor returns the problems Load reported for source.
func problemFor(set *target.Set, source string) []target.Problem {
	var out []target.Problem
	for _, p := range set.Problems {
		if p.Source == source {
			out = append(out, p)
		}
	}
	return out
}

// TestLoadPulseFilesAreUntrusted: pulse/ is written by the monitored
// servers. One huge pulse object, one whose body is 300 KB, or one that
// is valid but named like a target of the targets file (valid or not) is a
// problem for that name only: Load succeeds and every other target loads.
// Before, the object over 16 MiB failed the whole load, and the 300 KB body
// loaded (and later overflowed LoadTargets' output, failing every run).
func TestLoadPulseFilesAreUntrusted(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, nil)
	put(t, s, "config/targets.yaml", `
targets:
  - {name: web, url: "https://web.example"}
  - {name: api, url: "https://api.example", timeout: 5m}
`)
	put(t, s, "pulse/huge.json", `{"url": "https://h.example", "body": "`+strings.Repeat("x", 17<<20)+`"}`)
	put(t, s, "pulse/big-body.json", `{"url": "https://b.example", "body": "`+strings.Repeat("x", 300<<10)+`"}`)
	put(t, s, "pulse/api.json", `{"url": "https://attacker.example", "body": "ok"}`)
	put(t, s, "pulse/edge.json", `{"url": "https://e.example", "body": "`+strings.Repeat("y", target.MaxPulseBytes-len(`{"url": "https://e.example", "body": ""}`))+`"}`)
	put(t, s, "pulse/cron.json", `{"heartbeat": "5m"}`)

	set, err := target.Load(ctx, s, target.LoadOptions{})
	if err != nil {
		t.Fatalf("Load failed because of pulse files: %v", err)
	}
	if got := names(set.Targets); got != "web,cron,edge" {
		t.Errorf("targets = %s, want web (config), cron and edge (pulse, edge exactly %d bytes)", got, target.MaxPulseBytes)
	}
	tests := []struct{ source, target, want string }{
		{"pulse/huge.json", "huge", "the pulse file is 17.0 MiB, over the 8 KiB limit for a pulse file; it is not read, and the target is not checked"},
		{"pulse/big-body.json", "big-body", "the pulse file is 300.0 KiB, over the 8 KiB limit for a pulse file"},
		{"pulse/api.json", "api", `a target named "api" is defined in config/targets.yaml (skipped there for its own problems); the name is reserved for it and this pulse file is ignored`},
	}
	for _, tc := range tests {
		ps := problemFor(set, tc.source)
		if len(ps) != 1 || ps[0].Target != tc.target || !strings.HasPrefix(ps[0].Error, tc.want) {
			t.Errorf("problems for %s = %+v, want one for target %q starting %q", tc.source, ps, tc.target, tc.want)
		}
	}
	if ps := problemFor(set, "config/targets.yaml"); len(ps) != 1 || ps[0].Target != "api" || ps[0].Field != "timeout" {
		t.Errorf("config problems = %+v, want api's timeout", ps)
	}
	if _, ok := set.Target("api"); ok {
		t.Error("the pulse file took over api, a target of the targets file whose definition is invalid")
	}
}

// TestLoadPulseTotalIsBounded: the pulse files one load reads total at
// most MaxPulseTotalBytes, taken in key order; each one past it is a
// problem naming it, and the load succeeds.
func TestLoadPulseTotalIsBounded(t *testing.T) {
	s := newStore(t, nil)
	body := func(i int) string {
		head := fmt.Sprintf(`{"url": "https://p%03d.example", "body": "`, i)
		return head + strings.Repeat("z", target.MaxPulseBytes-len(head)-2) + `"}`
	}
	const files = target.MaxPulseTotalBytes/target.MaxPulseBytes + 3
	for i := range files {
		put(t, s, fmt.Sprintf("pulse/p%03d.json", i), body(i))
	}
	set, err := target.Load(context.Background(), s, target.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	read := target.MaxPulseTotalBytes / target.MaxPulseBytes
	if len(set.Targets) != read || len(set.Problems) != files-read {
		t.Fatalf("%d targets and %d problems, want %d read and %d past the bound", len(set.Targets), len(set.Problems), read, files-read)
	}
	last := set.Problems[len(set.Problems)-1]
	if last.Target != fmt.Sprintf("p%03d", files-1) || !strings.Contains(last.Error, "the pulse files a run reads may total 4 MiB, taken in key order") {
		t.Errorf("last problem = %+v", last)
	}
}

// TestLoadPulseCountIsBounded: one load reads at most MaxPulseFiles pulse
// files and lists at most MaxPulseListed objects under pulse/; the files
// past the first bound are problems naming them, those past the second
// one problem that says where the listing stopped. The load succeeds.
func TestLoadPulseCountIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 11,001 objects; run without -short")
	}
	s := newStore(t, nil)
	total := target.MaxPulseListed + 1
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < total; i += 8 {
				if _, err := s.Put(context.Background(), fmt.Sprintf("pulse/h%05d.json", i), []byte(`{"heartbeat": "1h"}`), store.Condition{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	set, err := target.Load(context.Background(), s, target.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Targets) != target.MaxPulseFiles {
		t.Fatalf("%d targets, want the first %d", len(set.Targets), target.MaxPulseFiles)
	}
	if got := set.Targets[len(set.Targets)-1].Name; got != fmt.Sprintf("h%05d", target.MaxPulseFiles-1) {
		t.Errorf("last target read = %s, want the files taken in key order", got)
	}
	// The listing stops at a page boundary at or after MaxPulseListed.
	past := len(set.Problems) - 1
	if past < target.MaxPulseListed-target.MaxPulseFiles || set.Problems[0].Target != fmt.Sprintf("h%05d", target.MaxPulseFiles) ||
		!strings.Contains(set.Problems[0].Error, "a run reads at most 10000 pulse files") {
		t.Fatalf("%d problems, first %+v; want one per file past the first %d", len(set.Problems), set.Problems[0], target.MaxPulseFiles)
	}
	more := set.Problems[len(set.Problems)-1]
	if more.Source != "pulse/" || !strings.Contains(more.Error, "the listing stops after pulse/h") {
		t.Errorf("last problem = %+v, want the listing's bound", more)
	}
}

// TestLoadPulseReadsStopInTime: with a deadline (a Lambda's), the pulse
// reads take at most their share of the time left; the files not read by
// then are problems naming them, and Load returns in time, without error.
func TestLoadPulseReadsStopInTime(t *testing.T) {
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	backend, _ := url.Parse(srv.URL)
	rp := httputil.NewSingleHostReverseProxy(backend)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/pulse/") {
			select { // an S3 answering slowly
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	direct := store.New(srv.Client(), "medic")
	const files = 400
	for i := range files {
		put(t, direct, fmt.Sprintf("pulse/p%03d.json", i), `{"heartbeat": "1h"}`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	set, err := target.Load(ctx, store.New(s3local.NewClient(slow.URL, srv.Credentials()), "medic"), target.LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if took := time.Since(began); took > 900*time.Millisecond {
		t.Errorf("Load took %v of its 1s", took)
	}
	late := 0
	for _, p := range set.Problems {
		if strings.HasPrefix(p.Error, "not read: the pulse files are read within 60% of the task's time") && p.Target != "" {
			late++
		}
	}
	if late == 0 || len(set.Targets)+late != files {
		t.Errorf("%d targets read and %d problems (%d late), want every file read or reported late", len(set.Targets), len(set.Problems), late)
	}
}
