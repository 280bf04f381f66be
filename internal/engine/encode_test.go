package engine

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// checkEncoding asserts that every way the engine encodes v gives exactly
// what encoding/json gives.
func checkEncoding(t *testing.T, v any) {
	t.Helper()
	want := string(encodeReflect(v))
	if got := string(encodeValue(v)); got != want {
		t.Fatalf("encodeValue = %s, encoding/json = %s", got, want)
	}
	if got := encodeJSON(v, nil); got != want {
		t.Fatalf("encodeJSON = %s, encoding/json = %s", got, want)
	}
	memo := newEncodeMemo(0)
	for i := range 2 { // the second time from the memo
		if got := encodeJSON(v, memo); got != want {
			t.Fatalf("encodeJSON with a memo (pass %d) = %s, encoding/json = %s", i+1, got, want)
		}
	}
	// A value that contains remembered ones.
	wrapped := map[string]any{"a": v, "b": []any{v, v}}
	if got, want := encodeJSON(wrapped, memo), string(encodeReflect(wrapped)); got != want {
		t.Fatalf("encodeJSON of a wrapper with a memo = %s, encoding/json = %s", got, want)
	}
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	long := strings.Repeat("abc", 40)
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"null", nil},
		{"booleans", []any{true, false}},
		{"numbers", []any{json.Number("0"), json.Number("-1.5e+10"), json.Number("12345678901234567890"), json.Number("")}},
		{"invalid number", map[string]any{"n": json.Number("1.2.3")}},
		{"escapes", "quote \" backslash \\ newline \n tab \t cr \r bs \b ff \f nul \x00 unit \x1f del \x7f"},
		{"html is not escaped", "<a href='x'>&amp;</a>"},
		{"unicode", "héllo 日本 🎉 \u2028 \u2029"},
		{"invalid utf-8", "a\xffb\xc3(c\xed\xa0\x80"},
		{"keys sorted and escaped", map[string]any{"b": 1.5, "a": "x", "é": nil, "\n": true, "A": []any{}, "": map[string]any{}}},
		{"nil map and slice", map[string]any{"m": map[string]any(nil), "s": []any(nil)}},
		{"go numbers", []any{1.0, 0.1, 1e21, 1e-7, -0.0, 3, int64(-4), float32(2.5)}},
		{"nan", []any{math.NaN()}},
		{"other go types", map[string]any{"m": map[string]string{"<": ">"}, "s": []string{"&"}, "raw": json.RawMessage(`{"z":1,"a":2}`)}},
		{"large nested", map[string]any{"list": []any{map[string]any{"name": long}, map[string]any{"name": long, "n": json.Number("1")}}, "s": long}},
		{"many keys", func() any {
			m := map[string]any{}
			for _, k := range strings.Split("q w e r t y u i o p a s d f g h j k l z x c v b n m", " ") {
				m[k] = map[string]any{"k": k, "pad": long}
			}
			return m
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) { checkEncoding(t, tc.v) })
	}
}

// TestEncodeMemoSubSlices: two arrays that share a backing array but differ
// in length are different values.
func TestEncodeMemoSubSlices(t *testing.T) {
	long := strings.Repeat("x", 100)
	all := []any{long, long + "1", long + "2"}
	memo := newEncodeMemo(0)
	for _, a := range [][]any{all, all[:2], all[:1], all[1:], all} {
		if got, want := encodeJSON(a, memo), string(encodeReflect(a)); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range []string{
		`null`, `"a\u2028b\ud800"`, `{"b":[1,{"c":"x"}],"a":null,"<":"&"}`, string(fuzzDoc),
		`[{"name":"target-00001"},{"name":"target-00002"},{"name":"target-00003"},{"name":"target-00004"}]`,
		`{"x":-0.0e-5,"y":1E+2,"z":"\u0000\u001f\"\\\/"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeValue(b)
		if err != nil {
			return
		}
		checkEncoding(t, v)
	})
}

// TestInvokeResultEncoding: the lambda:invoke wrapper put together from its
// template is what encoding the wrapper gives.
func TestInvokeResultEncoding(t *testing.T) {
	long := strings.Repeat("z", 100)
	for _, payload := range []any{nil, "x", json.Number("1"), map[string]any{"a": long, "<": []any{long}}, []any{}, "\u2028\x00"} {
		x := newExecution(&Machine{}, Options{})
		w := x.wrapInvokeResult(payload, "6a1d4c0e-6f1b-4c1e-9d1a-0c0b1e2f3a4b")
		got := x.encode(w)
		if want := string(encodeReflect(w)); got != want {
			t.Fatalf("payload %#v: got %s, want %s", payload, got, want)
		}
	}
}
