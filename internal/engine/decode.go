package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file is the engine's JSON decoder. It builds the same values as
// encoding/json's Decoder with UseNumber, without reflection. Anything it
// does not accept (invalid JSON, and valid JSON it does not bother with,
// such as a string whose escapes it would have to undo by hand) goes
// through encoding/json, so errors and corner cases are encoding/json's.
//
// While it parses, it notices which objects and arrays are already written
// exactly as the encoder would write them (no whitespace, keys in order,
// strings escaped the same way); with a memo, their bytes are remembered,
// so that a task's result is never encoded again.

// maxDecodeDepth is encoding/json's nesting limit; deeper documents take
// the slow path, which reports the error.
const maxDecodeDepth = 10000

// decodeValue parses JSON into the engine's value model: map[string]any,
// []any, string, json.Number, bool and nil.
func decodeValue(b []byte) (any, error) { return decodeJSON(b, nil) }

// decodeJSON is decodeValue that, with a memo, remembers the encoding of
// the objects and arrays b already holds in canonical form.
func decodeJSON(b []byte, memo *encodeMemo) (any, error) {
	d := decoder{s: string(b), memo: memo}
	v, ok := d.value(0)
	if ok {
		d.space()
		if d.i == len(d.s) {
			if memo != nil {
				memo.store(d.s, d.noted)
			}
			return v, nil
		}
	}
	return decodeReflect(b)
}

// decodeReflect is decodeValue through encoding/json.
func decodeReflect(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

type decoder struct {
	s     string
	i     int
	bad   int // how many places so far are not in canonical form
	memo  *encodeMemo
	noted []notedNode
	// lazy keeps objects and arrays nested lazyDepth or deeper (0: the
	// document itself) as *lazy when they are long enough.
	lazy      bool
	lazyDepth int
	// trusted says s is valid and canonical (a *lazy's text that was
	// checked): the extent of a nested *lazy is found without checking.
	trusted bool
}

// space skips whitespace; whitespace is never canonical.
func (d *decoder) space() {
	start := d.i
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
			continue
		}
		break
	}
	if d.i != start {
		d.bad++
	}
}

func (d *decoder) value(depth int) (any, bool) {
	d.space()
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case (c == '{' || c == '[') && d.lazy && depth >= d.lazyDepth:
		return d.lazyValue(depth + 1)
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.str()
		return s, ok
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	}
	return nil, false
}

func (d *decoder) literal(word string) bool {
	if !strings.HasPrefix(d.s[d.i:], word) {
		return false
	}
	d.i += len(word)
	return true
}

func (d *decoder) number() (any, bool) {
	start := d.i
	if !d.scanNumber() {
		return nil, false
	}
	return json.Number(d.s[start:d.i]), true
}

// scanNumber moves past the number at d.s[d.i].
func (d *decoder) scanNumber() bool {
	if d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.i < len(d.s) && '1' <= d.s[d.i] && d.s[d.i] <= '9':
		d.digits()
	default:
		return false
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return false
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return false
		}
	}
	return true
}

func (d *decoder) digits() int {
	start := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// str reads a string at d.s[d.i] == '"'. Plain strings are slices of the
// document; strings with escapes or non-ASCII text are checked and undone
// by encoding/json.
func (d *decoder) str() (string, bool) {
	start, s := d.i, d.s
	i := start + 1
	for i < len(s) && plainByte[s[i]] {
		i++
	}
	d.i = i
	switch {
	case i >= len(s) || s[i] < 0x20:
		return "", false
	case s[i] == '"':
		d.i++
		return s[start+1 : i], true
	}
	return d.strSlow(start) // a backslash or a byte of non-ASCII text
}

// plainByte says a byte stands for itself in a JSON string: not a quote, a
// backslash, a control character or part of non-ASCII text.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (d *decoder) strSlow(start int) (string, bool) {
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			raw := d.s[start:d.i]
			var s string
			if err := json.Unmarshal([]byte(raw), &s); err != nil {
				return "", false
			}
			if string(appendString(nil, s)) != raw {
				d.bad++
			}
			return s, true
		case c < 0x20:
			return "", false
		case c == '\\':
			d.i += 2
			continue
		}
		d.i++
	}
	return "", false
}

func (d *decoder) object(depth int) (any, bool) {
	if depth > maxDecodeDepth {
		return nil, false
	}
	start, bad := d.i, d.bad
	d.i++
	m := map[string]any{}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return m, true
	}
	prev, first := "", true
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		if !first && k <= prev {
			d.bad++ // out of order, or given twice
		}
		prev, first = k, false
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v
		d.space()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			d.space()
			continue
		case '}':
			d.i++
			if d.bad == bad {
				d.note(mapKey(m), start, d.i)
			}
			return m, true
		}
		return nil, false
	}
}

func (d *decoder) array(depth int) (any, bool) {
	if depth > maxDecodeDepth {
		return nil, false
	}
	start, bad := d.i, d.bad
	d.i++
	a := make([]any, 0)
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.space()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
			continue
		case ']':
			d.i++
			if d.bad == bad {
				d.note(sliceKey(a), start, d.i)
			}
			return a, true
		}
		return nil, false
	}
}

func (d *decoder) note(k memoKey, start, end int) {
	if d.memo != nil && end-start >= minMemoBytes {
		d.noted = append(d.noted, notedNode{k, start, end})
	}
}
