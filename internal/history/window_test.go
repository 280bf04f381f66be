package history

import (
	"fmt"
	"testing"
)

func TestWindow(t *testing.T) {
	type add struct {
		idx int64
		up  bool
	}
	for _, tc := range []struct {
		name string
		adds []add
		size int
		want string
	}{
		{"one", []add{{10, true}}, 3, "10 [1] [0]"},
		{"a gap stays a zero bucket", []add{{10, true}, {12, false}}, 5, "10 [1 0 1] [0 0 1]"},
		{"the oldest buckets go", []add{{10, true}, {11, true}, {14, false}}, 3, "12 [0 0 1] [0 0 1]"},
		{"an older check within the window", []add{{12, true}, {11, false}}, 3, "11 [1 1] [1 0]"},
		{"an older check past the window is dropped", []add{{12, true}, {5, false}}, 3, "12 [1] [0]"},
		{"a jump past the whole window", []add{{1, true}, {100, true}}, 3, "98 [0 0 1] [0 0 0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w window
			for _, a := range tc.adds {
				w.add(a.idx, a.up, tc.size)
			}
			if got := fmt.Sprint(w.Start, " ", w.Checks, " ", w.Fails); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	agg := func(ms ...float64) *DayAgg {
		a := &DayAgg{Hist: map[int]int{}}
		for _, m := range ms {
			a.Hist[latencyBucket(m)]++
			a.MaxMS = max(a.MaxMS, int64(m+0.5))
		}
		return a
	}
	for _, tc := range []struct {
		name string
		a    *DayAgg
		p    float64
		want int64
	}{
		{"nothing timed", &DayAgg{}, 0.5, 0},
		{"one check", agg(42), 0.5, 42},
		{"median of a spread", agg(10, 20, 30, 40, 1000), 0.5, 36},
		{"p95 is the slow one", agg(10, 20, 30, 40, 1000), 0.95, 1000},
		{"at most a quarter high", agg(100, 100, 200), 0.5, 108},
		{"never above the slowest", agg(100, 100, 100), 0.5, 100},
		{"under a millisecond", agg(0.2, 0.4), 0.5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Percentile(tc.p); got != tc.want {
				t.Fatalf("p%v = %d, want %d (hist %v)", tc.p*100, got, tc.want, tc.a.Hist)
			}
		})
	}
}
