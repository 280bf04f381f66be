// Package shard splits the objects that hold something for every target
// (the state, the history) into shards once a fleet outgrows one object, so
// that no object, and no function's memory, grows with the fleet past
// PerShard targets. A target's shard is a hash of its name, so adding or
// removing a target moves no other target; the number of shards changes
// only when the fleet crosses a multiple of PerShard (with some slack, so
// a fleet at the edge does not reshard on every run).
//
// Shard 1 of n is always the base object (state/status.json,
// history/recent.json, ...), so a fleet of up to PerShard targets has one
// object each, exactly as before sharding; shard i of n > 1 is
// <base without .json>/<i>-of-<n>.json.
package shard

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// PerShard is the most targets one shard holds before another is added.
// The state of 10,000 targets is a few MB (TestStateFitsTheStoreAtScale),
// well within store.MaxObjectBytes, and their history and page fit a
// 512 MB function (docs/scale.md).
const PerShard = 10_000

// MaxShards bounds n: medic checks at most MaxShards × PerShard targets.
const MaxShards = 10

// Of returns the shard (0 to n-1) that holds name among n.
func Of(name string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return int(h.Sum32() % uint32(n))
}

// Count returns how many shards targets targets take when they are in
// cur shards now (0 when there are none yet): cur while it still fits
// them, more once they outgrow it, fewer only once they would fit a
// quarter of a shard below cur-1 full shards.
func Count(targets, cur int) int {
	need := max(1, (targets+PerShard-1)/PerShard)
	switch {
	case cur < 1, need > cur:
		return need
	case need < cur && targets <= (cur-1)*PerShard-PerShard/4:
		return need
	}
	return cur
}

// Key returns the key of shard i (0 to n-1) of n for base, an object key
// ending in .json: base itself for i 0 (or n 1).
func Key(base string, i, n int) string {
	if i == 0 || n <= 1 {
		return base
	}
	return fmt.Sprintf("%s/%d-of-%d.json", strings.TrimSuffix(base, ".json"), i+1, n)
}

// Keys returns the keys of the n shards of base, shard 0 first.
func Keys(base string, n int) []string {
	keys := make([]string, max(n, 1))
	for i := range keys {
		keys[i] = Key(base, i, n)
	}
	return keys
}

// Split returns the names of each of n shards, in the order given.
func Split(names []string, n int) [][]string {
	out := make([][]string, max(n, 1))
	for _, name := range names {
		i := Of(name, n)
		out[i] = append(out[i], name)
	}
	return out
}
