package site_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// BenchmarkPage builds and renders the page (status.json and index.html)
// for 1,000 and 10,000 targets with full recent histories (history.MaxRecent
// checks each, a sixth of them failing), and reports their sizes.
func BenchmarkPage(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			s := store.New(srv.Client(), "medic")
			states := map[string]status.TargetState{}
			obs := make([]history.Observation, n)
			for i := range obs {
				name := fmt.Sprintf("target-%05d-with-a-name-of-a-typical-length", i)
				states[name] = status.TargetState{Target: name, Status: status.Up, Since: t0}
				obs[i] = history.Observation{Target: name, State: states[name]}
			}
			var snap history.Snapshot
			now := t0
			for range history.MaxRecent {
				now = now.Add(10 * time.Minute)
				for i := range obs {
					obs[i].Check = &history.Check{At: now, Up: i%6 != 0, LatencyMS: 120, Failure: "status 503, want 200-399"}
				}
				if snap, err = history.Update(context.Background(), s, obs, now); err != nil {
					b.Fatal(err)
				}
			}
			in := site.Input{Now: now, State: status.File{Targets: states}, History: snap, StaleAfter: 15 * time.Minute}
			var js, page []byte
			b.ResetTimer()
			for range b.N {
				p := site.Build(in)
				if js, err = p.JSON(); err != nil {
					b.Fatal(err)
				}
				if page, err = p.HTML(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(js))/1e6, "json-MB")
			b.ReportMetric(float64(len(page))/1e6, "html-MB")
		})
	}
}
