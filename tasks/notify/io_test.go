package notify_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/medic-dev/medic/tasks/notify"
)

// TestStateIO round-trips the state machine's input and output fixtures:
// the JSON field names are the contract with healthcheck.asl.json.
func TestStateIO(t *testing.T) {
	tests := []struct {
		file string
		v    any
		want any
	}{
		{file: "testdata/in.json", v: &notify.In{}, want: &notify.In{Run: "3f1c0c1e-schedule-2026-11-21T10-00"}},
		{file: "testdata/out.json", v: &notify.Out{}, want: &notify.Out{Delivered: 4, Rejected: 1, Pending: 2}},
	}
	for _, tt := range tests {
		raw, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(tt.v); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		got, _ := json.Marshal(tt.v)
		want, _ := json.Marshal(tt.want)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: decoded %s, want %s", tt.file, got, want)
		}
		var a, b any
		_ = json.Unmarshal(raw, &a)
		_ = json.Unmarshal(got, &b)
		if ja, _ := json.Marshal(a); !bytes.Equal(ja, mustJSON(b)) {
			t.Fatalf("%s does not round-trip: %s", tt.file, got)
		}
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
