package engine

import (
	"strings"
	"sync/atomic"
)

// A task's result is decoded lazily: its objects and arrays of at least
// minLazyBytes are kept as their JSON text (*lazy) and decoded, one level at
// a time, only when something looks inside them. Most of a result usually
// travels on unread (an OutputPath of "$.Payload", a Payload of "$", a
// ResultPath that adds one field): its JSON is then written out again as it
// came, and its objects are never built.
//
// A *lazy stands for the object or array its text holds. Every place that
// looks at a value's type or contents calls norm first; only the encoder
// (which writes the text itself when it is in canonical form) and code that
// passes values on unread see a *lazy. The text was checked when the result
// was decoded, so decoding it again cannot fail.

// minLazyBytes is the smallest object or array kept as text: below it,
// building it costs about as much as the *lazy.
var minLazyBytes = 64

type lazy struct {
	raw   string // the JSON text of an object or array, checked
	canon bool   // raw is exactly what the encoder writes for its value
	v     atomic.Value
}

// lazyBox is what lazy.v holds (atomic.Value needs one concrete type).
type lazyBox struct{ v any }

// norm is v with a *lazy decoded (one level: its members may be *lazy).
func norm(v any) any {
	if l, ok := v.(*lazy); ok {
		return l.value()
	}
	return v
}

// value decodes the text once; concurrent callers get the same map or
// slice.
func (l *lazy) value() any {
	if b, ok := l.v.Load().(lazyBox); ok {
		return b.v
	}
	d := decoder{s: l.raw, lazy: true, lazyDepth: 1, trusted: l.canon}
	v, ok := d.value(0)
	if !ok {
		// Unreachable (the text was checked); decode it in full.
		v, _ = decodeReflect([]byte(l.raw))
	}
	l.v.CompareAndSwap(nil, lazyBox{v})
	return l.v.Load().(lazyBox).v
}

// MarshalJSON lets encoding/json (the encoder's fallback) write a *lazy.
func (l *lazy) MarshalJSON() ([]byte, error) {
	if l.canon {
		return []byte(l.raw), nil
	}
	return encodeValue(l.value()), nil
}

// decodeLazy decodes a task's result, keeping its larger objects and
// arrays (the whole result included) as *lazy.
func decodeLazy(b []byte) (any, error) {
	d := decoder{s: string(b), lazy: true}
	v, ok := d.value(0)
	if ok {
		d.space()
		if d.i == len(d.s) {
			return v, nil
		}
	}
	return decodeReflect(b)
}

// lazyValue reads the object or array at d.s[d.i] as a *lazy when its text
// is long enough, and decodes it otherwise.
func (d *decoder) lazyValue(depth int) (any, bool) {
	start, bad := d.i, d.bad
	if d.trusted {
		d.skipCanonical()
		if d.i-start >= minLazyBytes {
			return &lazy{raw: d.s[start:d.i], canon: true}, true
		}
	} else if !d.skipValue(depth - 1) {
		return nil, false
	}
	if d.i-start >= minLazyBytes {
		return &lazy{raw: d.s[start:d.i], canon: d.bad == bad}, true
	}
	d.i, d.bad = start, bad
	if d.s[d.i] == '{' {
		return d.object(depth)
	}
	return d.array(depth)
}

// skipCanonical moves past the object or array at d.s[d.i] of a text that
// is known to be valid and canonical (no space, so every byte outside a
// string is structure), without checking it again.
func (d *decoder) skipCanonical() {
	s, i, depth := d.s, d.i, 0
	for i < len(s) {
		switch s[i] {
		case '"':
			i++
			for {
				q := i + strings.IndexByte(s[i:], '"')
				n := 0 // backslashes right before the quote
				for q-1-n >= i && s[q-1-n] == '\\' {
					n++
				}
				i = q + 1
				if n%2 == 0 {
					break
				}
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				d.i = i + 1
				return
			}
		}
		i++
	}
	d.i = i
}

// skipValue checks the value at d.s[d.i] (after any space) and moves past
// it, counting what is not canonical as object and array do, without
// building anything.
func (d *decoder) skipValue(depth int) bool {
	d.space()
	if d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.skipObject(depth + 1)
	case c == '[':
		return d.skipArray(depth + 1)
	case c == '"':
		_, ok := d.str()
		return ok
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return d.scanNumber()
	}
	return false
}

func (d *decoder) skipObject(depth int) bool {
	if depth > maxDecodeDepth {
		return false
	}
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return true
	}
	prev, first := "", true
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return false
		}
		k, ok := d.str()
		if !ok {
			return false
		}
		if !first && k <= prev {
			d.bad++
		}
		prev, first = k, false
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return false
		}
		d.i++
		if !d.skipValue(depth) {
			return false
		}
		d.space()
		if d.i >= len(d.s) {
			return false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			d.space()
			continue
		case '}':
			d.i++
			return true
		}
		return false
	}
}

func (d *decoder) skipArray(depth int) bool {
	if depth > maxDecodeDepth {
		return false
	}
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return true
	}
	for {
		if !d.skipValue(depth) {
			return false
		}
		d.space()
		if d.i >= len(d.s) {
			return false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			continue
		case ']':
			d.i++
			return true
		}
		return false
	}
}
