package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// MaxPayloadBytes is Step Functions' limit on any state's input or output and
// on the execution input: 262,144 bytes of UTF-8.
const MaxPayloadBytes = 262144

// encodeValue renders a value as compact JSON without HTML escaping, as Step
// Functions does.
func encodeValue(v any) []byte {
	var es encodeState
	if b, ok := es.appendValue(nil, v); ok {
		return b
	}
	return encodeReflect(v)
}

func encodeString(v any) string { return encodeJSON(v, nil) }

// deepCopy copies maps and slices so that a later in-place change to the
// copy cannot reach the original.
func deepCopy(v any) any {
	switch t := norm(v).(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	default:
		return v
	}
}

// toFloat reports a JSON number's value.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// toInt reports a JSON number's value when it is an integer.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

func intValue(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// jsonEqual compares two values as JSON (numbers by value).
func jsonEqual(a, b any) bool {
	a, b = norm(a), norm(b)
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
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
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	fa, ok1 := toFloat(a)
	fb, ok2 := toFloat(b)
	return ok1 && ok2 && fa == fb
}

func typeName(v any) string {
	v = norm(v)
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	if _, ok := toFloat(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
