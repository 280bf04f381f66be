package engine

import (
	"sync"
	"unsafe"
)

// encodeMemo remembers the JSON of the objects and arrays an execution has
// encoded, by identity, so that a value that travels on from state to state
// (an output that becomes the next input, a payload inside a lambda:invoke
// result, a Map's item inside its iteration's input) is encoded once.
//
// It relies on a rule the whole engine keeps: a map or slice of the value
// model is never changed after it has been built (ResultPath, Parameters and
// the intrinsics build new ones). Keys hold the pointer, so a remembered
// value stays alive, and its address cannot be reused, for as long as the
// memo (one execution).
type encodeMemo struct {
	shards [memoShards]memoShard
}

const (
	memoShards = 8
	// minMemoBytes is the smallest encoding worth remembering: below it,
	// encoding again costs about as much as the lookup.
	minMemoBytes = 64
)

type memoShard struct {
	mu sync.Mutex
	m  map[unsafe.Pointer]memoEntry
	_  [48]byte // keep shards on separate cache lines
}

// memoKey is an object's map pointer (n = -1) or an array's first element
// and length (sub-slices of one array are different arrays).
type memoKey struct {
	p unsafe.Pointer
	n int
}

// memoEntry is what the memo holds for a pointer: the length that goes with
// it (an array that starts at the same element but is longer or shorter is
// another value) and the encoding. Maps are keyed by pointer alone, which
// is faster to hash than the whole key.
type memoEntry struct {
	n int
	s string
}

func mapKey(m map[string]any) memoKey {
	return memoKey{p: *(*unsafe.Pointer)(unsafe.Pointer(&m)), n: -1}
}

func sliceKey(a []any) memoKey {
	return memoKey{p: unsafe.Pointer(unsafe.SliceData(a)), n: len(a)}
}

// newEncodeMemo makes a memo sized for about hint entries (the last run's
// count), so that its maps are not grown entry by entry.
func newEncodeMemo(hint int64) *encodeMemo {
	c := &encodeMemo{}
	for i := range c.shards {
		c.shards[i].m = make(map[unsafe.Pointer]memoEntry, min(hint, 1<<20)/memoShards)
	}
	return c
}

// len is how many entries the memo holds.
func (c *encodeMemo) len() int64 {
	var n int
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return int64(n)
}

func (c *encodeMemo) shard(k memoKey) *memoShard {
	h := uintptr(k.p) >> 4
	return &c.shards[(h^h>>7)%memoShards]
}

func (c *encodeMemo) load(k memoKey) (string, bool) {
	sh := c.shard(k)
	sh.mu.Lock()
	e, ok := sh.m[k.p]
	sh.mu.Unlock()
	if !ok || e.n != k.n {
		return "", false
	}
	return e.s, true
}

// store remembers the noted objects and arrays as slices of s, their
// enclosing encoding (no copies).
func (c *encodeMemo) store(s string, noted []notedNode) {
	for _, n := range noted {
		sh := c.shard(n.key)
		sh.mu.Lock()
		sh.m[n.key.p] = memoEntry{n: n.key.n, s: s[n.start:n.end]}
		sh.mu.Unlock()
	}
}

// put remembers s as the encoding of the object or array k.
func (c *encodeMemo) put(k memoKey, s string) {
	sh := c.shard(k)
	sh.mu.Lock()
	sh.m[k.p] = memoEntry{n: k.n, s: s}
	sh.mu.Unlock()
}
