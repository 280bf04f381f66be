package checkstaleness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/medic-dev/medic/tasks/checkstaleness"
)

// TestFixtures runs the state machine's input fixture and compares the
// output with the output fixture, as Lambda would marshal them.
func TestFixtures(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.echo("web", true)
	e.echo("db", false)
	raw, err := os.ReadFile("testdata/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in checkstaleness.In
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("decode input fixture: %v", err)
	}
	out, err := e.h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/output.json")
	if err != nil {
		t.Fatal(err)
	}
	if canon(t, got) != canon(t, want) {
		t.Fatalf("output\n got %s\nwant %s", canon(t, got), canon(t, want))
	}
}

func canon(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, v)
}
