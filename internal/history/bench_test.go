package history_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/status"
)

// BenchmarkUpdate is one run's history update (read, apply and write the
// four objects, through the real SDK and the embedded S3 server) at 10,
// 1,000 and 10,000 targets whose history is full (MaxRecent points each),
// a sixth of them failing. It reports the bytes of the objects.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			e := newEnv(&testing.T{})
			obs := make([]history.Observation, n)
			for i := range obs {
				name := fmt.Sprintf("target-%05d-%s", i, "with-a-name-of-a-typical-length")
				obs[i] = observed(name, status.Up, t0, nil)
			}
			now := t0
			ctx := context.Background()
			step := func() {
				now = now.Add(10 * time.Minute)
				for i := range obs {
					obs[i].Check = check(now, i%6 != 0, 120)
				}
				if _, err := history.Update(ctx, e.s, obs, now); err != nil {
					b.Fatal(err)
				}
			}
			for range history.MaxRecent {
				step()
			}
			b.ResetTimer()
			for range b.N {
				step()
			}
			b.StopTimer()
			var total int64
			for _, key := range []string{history.RecentKey, history.UptimeKey, history.IncidentsKey, history.DayKey(now)} {
				obj, err := e.s.Get(ctx, key)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(obj.Body))/1e6, key[len(history.Prefix):]+"-MB")
				total += int64(len(obj.Body))
			}
			b.ReportMetric(float64(total)/1e6, "total-MB")
		})
	}
}
