package engine

import (
	"reflect"
	"strings"
	"testing"
)

// checkDecoding asserts that decodeJSON gives what encoding/json gives (the
// same value, or an error with the same text), and that what it remembers
// in a memo is what the encoder writes.
func checkDecoding(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := decodeReflect(b)
	memo := newEncodeMemo(0)
	got, err := decodeJSON(b, memo)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("decodeJSON(%q) error = %v, encoding/json error = %v", b, err, wantErr)
	case err != nil:
		if err.Error() != wantErr.Error() {
			t.Fatalf("decodeJSON(%q) error = %q, encoding/json error = %q", b, err, wantErr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeJSON(%q) = %#v, encoding/json = %#v", b, got, want)
	}
	if enc, want := encodeJSON(got, memo), string(encodeReflect(want)); enc != want {
		t.Fatalf("encoding what decodeJSON(%q) remembered = %s, encoding/json = %s", b, enc, want)
	}
	// A task's result is decoded lazily: the same value once every *lazy is
	// decoded, and the same encoding whether or not any of it was (with the
	// usual threshold, and with every object and array kept as text).
	for _, n := range []int{minLazyBytes, 1} {
		restore := SetMinLazyBytes(n)
		l, err := decodeLazy(b)
		if err != nil {
			t.Fatalf("decodeLazy(%q): %v", b, err)
		}
		if enc, want := encodeJSON(l, nil), string(encodeReflect(want)); enc != want {
			t.Fatalf("encoding decodeLazy(%q) = %s, encoding/json = %s", b, enc, want)
		}
		if full := materialize(l); !reflect.DeepEqual(full, want) {
			t.Fatalf("decodeLazy(%q) decoded in full = %#v, encoding/json = %#v", b, full, want)
		}
		if enc, want := encodeJSON(l, nil), string(encodeReflect(want)); enc != want {
			t.Fatalf("encoding decodeLazy(%q) after decoding it = %s, encoding/json = %s", b, enc, want)
		}
		restore()
	}
}

// materialize decodes every *lazy in v.
func materialize(v any) any {
	switch t := norm(v).(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = materialize(x)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = materialize(x)
		}
		return a
	default:
		return t
	}
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	long := strings.Repeat("abcdef", 20)
	for _, s := range []string{
		`null`, `true`, `false`, `0`, `-0`, `-1.5e+10`, `1E-2`, `12345678901234567890`, `"x"`, `""`,
		`{}`, `[]`, ` { } `, `[ 1 , 2 ]`, `{"a":1,"a":2}`,
		`{"b":1,"a":[true,false,null,{"c":"` + long + `"}]}`,
		`{"a":"` + long + `","b":[{"name":"` + long + `"},{"name":"x"}]}`,
		`{"a": "` + long + `", "b":[{"name":"` + long + `"},{"name":"x"}]}`,
		`{"z":"` + long + `","a":"` + long + `"}`,
		`["\n\t\"\\\/\b\f\r\u0000\u001f\u00e9\u2028\ud83c\udf89\ud800\udc00\ud800x\udc00 ` + long + `"]`,
		`["é日本🎉 ` + long + `", "<&>"]`, "[\"a\xffb " + long + "\"]", "[\"\u2028 " + long + "\"]",
		`{"a":1}}`, `[1]]`, `{"a":1} x`, `{"a":1} {"b":2}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{1:2}`,
		`[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `[+1]`, `[tru]`, `[nul]`, `"a` + "\x01" + `"`, `"\x"`, `"\u12"`,
		"", " ", `[`, `{`, `"`, `{"a":`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	} {
		t.Run(s[:min(len(s), 30)], func(t *testing.T) { checkDecoding(t, []byte(s)) })
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"b":[1,{"c":"x"}],"a":null}`, string(fuzzDoc), `[ "\u00e9\ud800" , 1e5 ]`, `{"a":1}}`,
		`[{"name":"target-00001"},{"name":"target-00002"},{"name":"target-00003"},{"name":"target-00004"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecoding(t, b) })
}
