package probe_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func TestProbeKinds(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	p := &probe.Prober{Allow: probe.All, Now: func() time.Time { return at }}
	tests := []struct {
		name        string
		target      target.Target
		wantSkipped string
		want        []string
	}{
		{name: "push target is not probed", target: target.Target{Name: "cron", Kind: target.KindPush, Heartbeat: true},
			wantSkipped: probe.SkippedPush},
		{name: "unknown kind", target: target.Target{Name: "odd", Kind: "icmp"},
			want: []string{`unknown kind "icmp", want http, tcp, tls, dns, grpc or push`}},
		{name: "kind inferred from a URL", target: target.Target{Name: "bad", URL: "ftp://example.com/"},
			want: []string{`invalid URL "ftp://example.com/": want http:// or https://`}},
		{name: "kind inferred from an address", target: target.Target{Name: "bad", Address: "nonsense"},
			want: []string{`address "nonsense": address nonsense: missing port in address`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := p.Probe(context.Background(), tc.target)
			if res.Skipped != tc.wantSkipped {
				t.Fatalf("skipped = %q, want %q", res.Skipped, tc.wantSkipped)
			}
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.Target != tc.target.Name || !res.CheckedAt.Equal(at) {
				t.Fatalf("target %q at %v, want %q at the injected clock's %v", res.Target, res.CheckedAt, tc.target.Name, at)
			}
		})
	}
}

func TestProbeCutShortByCaller(t *testing.T) {
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res := local().Probe(ctx, target.Target{Name: "slow", Kind: target.KindHTTP, URL: srv.URL, Timeout: target.Duration(time.Minute)})
	if !strings.HasPrefix(res.Skipped, probe.SkippedCutShort+" after ") || res.Up || len(res.Failures) != 0 {
		t.Fatalf("result = %+v, want skipped as cut short, no verdict", res)
	}
}

func TestProbeAll(t *testing.T) {
	const concurrency = 3
	var inFlight, most atomic.Int32
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		if r.URL.Path == "/down" {
			w.WriteHeader(500)
		}
	}))
	var targets []target.Target
	for i := range 12 {
		path := "/up"
		if i%4 == 0 {
			path = "/down"
		}
		targets = append(targets, target.Target{Name: fmt.Sprintf("t%02d", i), Kind: target.KindHTTP, URL: srv.URL + path})
	}
	targets = append(targets, target.Target{Name: "beat", Kind: target.KindPush})
	results := local().ProbeAll(context.Background(), targets, concurrency)
	if len(results) != len(targets) {
		t.Fatalf("%d results for %d targets", len(results), len(targets))
	}
	for i, res := range results {
		if res.Target != targets[i].Name {
			t.Fatalf("result %d is for %q, want %q: order not kept", i, res.Target, targets[i].Name)
		}
		wantUp := i%4 != 0 && targets[i].Kind != target.KindPush
		if res.Up != wantUp {
			t.Fatalf("%s up = %v, want %v (%q)", res.Target, res.Up, wantUp, res.Failures)
		}
	}
	if m := most.Load(); m > concurrency || m < 2 {
		t.Fatalf("at most %d probes ran at once, want 2..%d", m, concurrency)
	}
}
