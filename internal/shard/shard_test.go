package shard

import (
	"fmt"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		targets, cur, want int
	}{
		{0, 0, 1},
		{10, 0, 1},
		{10_000, 1, 1},
		{10_001, 1, 2},
		{10_001, 0, 2},
		{100_000, 0, 10},
		{100_000, 3, 10},
		// Slack: a fleet just under a boundary keeps its shards.
		{9_999, 2, 2},
		{7_501, 2, 2},
		{7_500, 2, 1},
		{88_000, 10, 10},
		{87_500, 10, 9},
		{20, 10, 1},
	} {
		if got := Count(c.targets, c.cur); got != c.want {
			t.Errorf("Count(%d, %d) = %d, want %d", c.targets, c.cur, got, c.want)
		}
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct {
		i, n int
		want string
	}{
		{0, 1, "state/status.json"},
		{0, 10, "state/status.json"},
		{1, 10, "state/status/2-of-10.json"},
		{9, 10, "state/status/10-of-10.json"},
	} {
		if got := Key("state/status.json", c.i, c.n); got != c.want {
			t.Errorf("Key(%d, %d) = %q, want %q", c.i, c.n, got, c.want)
		}
	}
	if keys := Keys("history/recent.json", 3); len(keys) != 3 || keys[0] != "history/recent.json" || keys[2] != "history/recent/3-of-3.json" {
		t.Errorf("Keys = %q", keys)
	}
}

// TestOfSpreadsAndIsStable: every name has one shard, the same every
// time, and 100,000 names spread over 10 shards within 5% of even.
func TestOfSpreadsAndIsStable(t *testing.T) {
	names := make([]string, 100_000)
	for i := range names {
		names[i] = fmt.Sprintf("target-%06d", i)
	}
	for _, n := range []int{1, 2, 10} {
		parts := Split(names, n)
		total := 0
		for i, p := range parts {
			total += len(p)
			even := len(names) / n
			if d := len(p) - even; d > even/20 || d < -even/20 {
				t.Errorf("n=%d: shard %d holds %d names, want %d ± 5%%", n, i, len(p), even)
			}
			for _, name := range p[:min(len(p), 100)] {
				if Of(name, n) != i {
					t.Fatalf("n=%d: %s is in shard %d but Of says %d", n, name, i, Of(name, n))
				}
			}
		}
		if total != len(names) {
			t.Errorf("n=%d: %d names in the shards, want %d", n, total, len(names))
		}
	}
	if Of("api", 1) != 0 || Of("api", 0) != 0 {
		t.Error("with one shard every name is in shard 0")
	}
}
