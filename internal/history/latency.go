package history

import (
	"math"
	"sort"
)

// Latencies are counted in buckets that grow by a quarter: bucket b holds
// latencies up to bucketBound(b) milliseconds (bucket 0: up to 1 ms), so a
// percentile read from them is at most 25% above the true one, and a day's
// histogram stays a few dozen numbers however many checks it has.
const bucketGrowth = 1.25

// latencyBucket is the bucket of ms.
func latencyBucket(ms float64) int {
	if ms <= 1 {
		return 0
	}
	return int(math.Ceil(math.Log(ms) / math.Log(bucketGrowth)))
}

// bucketBound is the largest latency of bucket b, in whole milliseconds.
func bucketBound(b int) int64 { return int64(math.Round(math.Pow(bucketGrowth, float64(b)))) }

// Percentile is the latency, in milliseconds, under which the fraction p
// (0 < p <= 1) of the day's timed checks fell: the bound of the bucket that
// holds it, capped by the slowest check. It is 0 when nothing was timed.
func (a *DayAgg) Percentile(p float64) int64 {
	total := 0
	keys := make([]int, 0, len(a.Hist))
	for b, n := range a.Hist {
		keys = append(keys, b)
		total += n
	}
	if total == 0 {
		return 0
	}
	sort.Ints(keys)
	rank := int(math.Ceil(p * float64(total)))
	seen := 0
	for _, b := range keys {
		seen += a.Hist[b]
		if seen >= rank {
			return min(bucketBound(b), a.MaxMS)
		}
	}
	return a.MaxMS
}
