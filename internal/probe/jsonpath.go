package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// decodeJSON decodes one JSON value, keeping numbers as json.Number so
// that they compare exactly.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// normalizeJSON turns an expected value from the targets file (int,
// float64, string, bool, nil, maps and slices of them) into the form
// decodeJSON produces.
func normalizeJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

// Lookup follows a dotted path through a decoded JSON document: each
// segment is an object key or, on an array, a zero-based index
// ("items.0.id"). The empty path is the whole document. Keys that contain
// dots cannot be addressed. The error says where the path stopped.
func Lookup(doc any, path string) (any, error) {
	if path == "" {
		return doc, nil
	}
	cur := doc
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		at := strings.Join(segs[:i], ".")
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, errors.New("missing")
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("missing: %s is an array, and %q is not an index", where(at), seg)
			}
			if n >= len(v) {
				return nil, fmt.Errorf("missing: %s has %d items", where(at), len(v))
			}
			cur = v[n]
		default:
			return nil, fmt.Errorf("missing: %s is %s, not an object or array", where(at), kindOf(cur))
		}
	}
	return cur, nil
}

func where(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// equalJSON compares two values decoded by decodeJSON; numbers compare by
// value (1 equals 1.0 and 1e0).
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		return equalNumber(string(x), string(y))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// equalNumber compares two JSON numbers by value, as 64-bit floating
// point numbers (1 equals 1.0 and 1e0). Expected values reach the probe
// through JSON, as float64, so more precision would be false promise.
// Numbers out of float64's range are equal only when written the same.
func equalNumber(x, y string) bool {
	fx, errx := strconv.ParseFloat(x, 64)
	fy, erry := strconv.ParseFloat(y, 64)
	if errx != nil || erry != nil {
		return x == y
	}
	return fx == fy
}

// showJSON formats v as JSON for a failure text, shortened.
func showJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
