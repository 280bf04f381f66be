package loadtargets

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
)

// BenchmarkLoadTargetsPulseFlood: one scheduled LoadTargets
// over a bucket holding the targets file and many pulse files, through the
// real SDK against the embedded S3 server. It reports the peak of the Go
// runtime's memory in use during the run (mapped less released to the
// operating system: "peak-go-MiB", sampled every millisecond; the
// embedded S3 server runs in the same process, so this over-counts a
// Lambda's) and how far above the idle process that is
// ("peak-above-idle-MiB"). The store keeps its objects in a file (mapped,
// not Go memory), so the objects themselves are not counted.
//
//	go test ./tasks/loadtargets/ -run '^$' -bench LoadTargetsPulseFlood -benchtime 1x
func BenchmarkLoadTargetsPulseFlood(b *testing.B) {
	cases := []struct {
		name  string
		files int
		body  func(i int) string
	}{
		{"heartbeat=10000", 10_000, func(int) string { return `{"heartbeat": "10m"}` }},
		{"probed=10000", 10_000, func(i int) string {
			return fmt.Sprintf(`{"url": "https://host-%05d.example.com/health", "body": "ok"}`, i)
		}},
		{"oversized=8", 8, func(i int) string {
			return `{"url": "https://big.example", "body": "` + strings.Repeat("x", 16<<20-100) + `"}`
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}, Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			st := store.New(srv.Client(), "medic")
			ctx := context.Background()
			if _, err := st.Put(ctx, target.DefaultConfigKey, []byte(config), store.Condition{}); err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := w; i < tc.files; i += 8 {
						if _, err := st.Put(ctx, fmt.Sprintf("pulse/p%05d.json", i), []byte(tc.body(i)), store.Condition{}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			h := &Handler{Store: st, Logger: slog.New(slog.DiscardHandler)}

			debug.FreeOSMemory() // the setup's garbage is not the run's
			idle := totalMemory()
			var peak atomic.Uint64
			stop, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				for {
					if v := totalMemory(); v > peak.Load() {
						peak.Store(v)
					}
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}()
			var out Output
			for b.Loop() {
				out, err = h.Handle(ctx, json.RawMessage(`{"trigger":"schedule"}`))
				if err != nil {
					b.Fatal(err)
				}
			}
			close(stop)
			<-done
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-go-MiB")
			b.ReportMetric(float64(peak.Load()-min(idle, peak.Load()))/(1<<20), "peak-above-idle-MiB")
			b.ReportMetric(float64(out.Summary.Targets), "targets-carried")
			b.ReportMetric(float64(out.Summary.ProblemCount), "problems")
		})
	}
}

// totalMemory is the Go runtime's mapped memory less what it has returned
// to the operating system.
func totalMemory() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}
