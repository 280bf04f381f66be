package probe_test

import (
	"encoding/json"
	"testing"

	"github.com/medic-dev/medic/internal/probe"
)

func TestLookup(t *testing.T) {
	const doc = `{"status":"ok","n":3,"f":1.5,"nil":null,"ok":true,"a":{"b":{"c":"deep"}},
		"items":[{"id":"x"},{"id":"y"}],"m":[[1,2],[3]],"":{"empty":1}}`
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		want    string // the value, as JSON
		wantErr string
	}{
		{path: "status", want: `"ok"`},
		{path: "n", want: `3`},
		{path: "nil", want: `null`},
		{path: "ok", want: `true`},
		{path: "a.b.c", want: `"deep"`},
		{path: "a.b", want: `{"c":"deep"}`},
		{path: "items.0.id", want: `"x"`},
		{path: "items.1", want: `{"id":"y"}`},
		{path: "m.0.1", want: `2`},
		{path: ".empty", want: `1`},
		{path: "missing", wantErr: "missing"},
		{path: "a.x.c", wantErr: "missing"},
		{path: "items.2.id", wantErr: "missing: items has 2 items"},
		{path: "items.-1", wantErr: `missing: items is an array, and "-1" is not an index`},
		{path: "items.id", wantErr: `missing: items is an array, and "id" is not an index`},
		{path: "status.x", wantErr: "missing: status is a string, not an object or array"},
		{path: "n.0", wantErr: "missing: n is a number, not an object or array"},
		{path: "nil.x", wantErr: "missing: nil is null, not an object or array"},
		{path: "a.b.c.d", wantErr: "missing: a.b.c is a string, not an object or array"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := probe.Lookup(v, tc.path)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Lookup(%q) error = %v, want %q", tc.path, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tc.path, err)
			}
			b, _ := json.Marshal(got)
			if string(b) != tc.want {
				t.Fatalf("Lookup(%q) = %s, want %s", tc.path, b, tc.want)
			}
		})
	}
	if got, err := probe.Lookup(v, ""); err != nil || got == nil {
		t.Fatalf("the empty path is the document: %v, %v", got, err)
	}
}

func FuzzLookup(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":true}]}}`, "a.b.1.c")
	f.Add(`[1,2,3]`, "5")
	f.Add(`"str"`, "x.y")
	f.Add(`{"":{"":1}}`, ".")
	f.Add(`{"n":1e999999999}`, "n")
	f.Fuzz(func(t *testing.T, doc, path string) {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return
		}
		got, err := probe.Lookup(v, path)
		if err != nil {
			if err.Error() == "" || got != nil {
				t.Fatalf("Lookup(%q) failed without words or with a value: %v, %v", path, got, err)
			}
			return
		}
		if m, ok := v.(map[string]any); ok && len(path) > 0 {
			if direct, ok := m[path]; ok {
				dj, _ := json.Marshal(direct)
				gj, _ := json.Marshal(got)
				// A key without dots must be found as itself.
				if !containsDot(path) && string(dj) != string(gj) {
					t.Fatalf("Lookup(%q) = %s, want %s", path, gj, dj)
				}
			}
		}
	})
}

func containsDot(s string) bool {
	for i := range len(s) {
		if s[i] == '.' {
			return true
		}
	}
	return false
}
