package engine

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file is the engine's JSON encoder. It writes exactly what
// encoding/json writes for the value model (an Encoder with
// SetEscapeHTML(false), without the trailing newline: map keys sorted,
// strings escaped the same way, json.Number verbatim), without reflection.
// Anything outside the value model falls back to encoding/json.

// encodeState is one encoding's buffer and, when it uses a memo, the
// objects and arrays it encoded (offsets into buf).
type encodeState struct {
	buf   []byte
	memo  *encodeMemo
	noted []notedNode
}

type notedNode struct {
	key        memoKey
	start, end int
}

// appendValue appends v's JSON to dst. It reports false when v holds
// something encoding/json would refuse (an invalid json.Number, a NaN); the
// caller then falls back to encoding/json for the whole value.
func (es *encodeState) appendValue(dst []byte, v any) ([]byte, bool) {
	switch t := v.(type) {
	case string:
		return appendString(dst, t), true
	case json.Number:
		s := string(t)
		if s == "" {
			s = "0"
		}
		if !isValidNumber(s) {
			return dst, false
		}
		return append(dst, s...), true
	case bool:
		if t {
			return append(dst, "true"...), true
		}
		return append(dst, "false"...), true
	case nil:
		return append(dst, "null"...), true
	case *lazy:
		if t.canon {
			return append(dst, t.raw...), true
		}
		return es.appendValue(dst, t.value())
	case map[string]any:
		if t == nil {
			return append(dst, "null"...), true
		}
		if es.memo != nil {
			if s, ok := es.memo.load(mapKey(t)); ok {
				return append(dst, s...), true
			}
		}
		return es.appendObject(dst, t)
	case []any:
		if t == nil {
			return append(dst, "null"...), true
		}
		if es.memo != nil && len(t) > 0 {
			if s, ok := es.memo.load(sliceKey(t)); ok {
				return append(dst, s...), true
			}
		}
		return es.appendArray(dst, t)
	}
	return appendOther(dst, v)
}

func (es *encodeState) appendObject(dst []byte, m map[string]any) ([]byte, bool) {
	start := len(dst)
	var keyBuf [16]string
	keys := keyBuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var ok bool
		if dst, ok = es.appendValue(dst, m[k]); !ok {
			return dst, false
		}
	}
	dst = append(dst, '}')
	es.note(mapKey(m), start, len(dst))
	return dst, true
}

func (es *encodeState) appendArray(dst []byte, a []any) ([]byte, bool) {
	start := len(dst)
	dst = append(dst, '[')
	for i, e := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, ok = es.appendValue(dst, e); !ok {
			return dst, false
		}
	}
	dst = append(dst, ']')
	if len(a) > 0 {
		es.note(sliceKey(a), start, len(dst))
	}
	return dst, true
}

// note remembers an object or array worth keeping in the memo.
func (es *encodeState) note(k memoKey, start, end int) {
	if es.memo != nil && end-start >= minMemoBytes {
		es.noted = append(es.noted, notedNode{k, start, end})
	}
}

// appendOther encodes a value outside the value model (a float64 or an int
// from Go code, for example) with encoding/json.
func appendOther(dst []byte, v any) ([]byte, bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, false
	}
	return append(dst, bytes.TrimRight(buf.Bytes(), "\n")...), true
}

const hexDigits = "0123456789abcdef"

// appendString is encoding/json's string encoding without HTML escaping:
// control characters, '"' and '\\' escaped, invalid UTF-8 replaced by
// \ufffd, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isValidNumber reports whether s is a JSON number literal (as
// encoding/json checks a json.Number before writing it).
func isValidNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

var encodeStates = sync.Pool{New: func() any { return &encodeState{buf: make([]byte, 0, 1024)} }}

// encodeJSON renders v as compact JSON without HTML escaping, as Step
// Functions does. With a memo, objects and arrays it has seen are copied
// from it, and those this call encodes are added to it.
func encodeJSON(v any, memo *encodeMemo) string {
	if memo != nil {
		// Already encoded: the remembered string itself, not a copy.
		switch t := v.(type) {
		case *lazy:
			if t.canon {
				return t.raw
			}
		case map[string]any:
			if s, ok := memo.load(mapKey(t)); ok {
				return s
			}
		case []any:
			if s, ok := memo.load(sliceKey(t)); ok {
				return s
			}
		}
	}
	s, ok := encodeWith(memo, func(es *encodeState, b []byte) ([]byte, bool) { return es.appendValue(b, v) })
	if !ok {
		return string(encodeReflect(v))
	}
	return s
}

// encodeWith runs write on a pooled buffer and returns what it wrote as a
// string; with a memo, the objects and arrays it encoded are remembered.
func encodeWith(memo *encodeMemo, write func(es *encodeState, b []byte) ([]byte, bool)) (string, bool) {
	es := encodeStates.Get().(*encodeState)
	es.memo = memo
	b, ok := write(es, es.buf[:0])
	var s string
	if ok {
		s = string(b)
		if memo != nil {
			memo.store(s, es.noted)
		}
	}
	es.noted, es.memo = es.noted[:0], nil
	if cap(b) <= 1<<20 {
		es.buf = b[:0]
		encodeStates.Put(es)
	}
	return s, ok
}

// encodeReflect is encodeValue through encoding/json.
func encodeReflect(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Values come from JSON decoding or the engine itself; this is unreachable.
		return []byte("null")
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}
