package engine

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

// TestPayloadViewIsExact runs lambda:invoke Tasks with and without the
// payload view and requires the same outcome, output, error, cause and
// history (request IDs aside, which are random).
func TestPayloadViewIsExact(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	task := func(fields string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"fn","Payload.$":"$"},` + fields + `"End":true}}}`
	}
	cases := []struct {
		name, def, input string
		view             bool // whether the view applies
	}{
		{"output path payload", task(`"OutputPath":"$.Payload",`), `{"a":1}`, true},
		{"output path inside payload", task(`"OutputPath":"$.Payload.a",`), `{"a":[1,2]}`, true},
		{"output path wildcard", task(`"OutputPath":"$.Payload.a[*]",`), `{"a":[1,2]}`, true},
		{"output path missing", task(`"OutputPath":"$.Payload.nope",`), `{"a":1}`, true},
		{"output path context", task(`"OutputPath":"$$.Execution.Name",`), `{}`, true},
		{"selector", task(`"ResultSelector":{"w.$":"$.Payload.a","lit":1,"n":{"c.$":"States.ArrayLength($.Payload.l)","s.$":"$$.State.Name"}},"ResultPath":"$.r",`), `{"a":"x","l":[1,2,3]}`, true},
		{"selector missing path", task(`"ResultSelector":{"w.$":"$.Payload.nope"},`), `{"a":1}`, true},
		{"selector bad intrinsic", task(`"ResultSelector":{"w.$":"States.ArrayLength($.Payload.a)"},`), `{"a":1}`, true},
		{"selector then output path", task(`"ResultSelector":{"w.$":"$.Payload"},"OutputPath":"$.w.a",`), `{"a":5}`, true},
		{"selector reads status", task(`"ResultSelector":{"code.$":"$.StatusCode"},`), `{}`, false},
		{"output path status", task(`"OutputPath":"$.StatusCode",`), `{}`, false},
		{"result path", task(`"ResultPath":"$.r","OutputPath":"$.r.Payload",`), `{"a":1}`, false},
		{"no processing", task(``), `{"a":1}`, false},
	}
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
	opts := Options{Resources: map[string]Func{fn: func(_ context.Context, p json.RawMessage) (json.RawMessage, error) { return p, nil }},
		Clock: NewInstantClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), ExecutionName: "x"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.def))
			if err != nil {
				t.Fatal(err)
			}
			st := m.States["T"]
			if (st.payloadView != nil) != tc.view {
				t.Fatalf("payload view %v, want %v", st.payloadView != nil, tc.view)
			}
			view := m.Run(context.Background(), json.RawMessage(tc.input), opts)
			st.payloadView = nil
			whole := m.Run(context.Background(), json.RawMessage(tc.input), opts)
			strip := func(x *Execution) string {
				b, _ := json.Marshal(struct {
					Status, Error, Cause string
					Output               json.RawMessage
					Events               []Event
				}{x.Status, x.Error, x.Cause, x.Output, x.Events})
				return uuid.ReplaceAllString(string(b), "ID")
			}
			if a, b := strip(view), strip(whole); a != b {
				t.Errorf("with the view:    %s\nwithout the view: %s", a, b)
			}
		})
	}
}
