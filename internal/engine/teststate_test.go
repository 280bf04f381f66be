package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

func TestTestState(t *testing.T) {
	fns := map[string]engine.Func{fnArn: echo, "arn:aws:lambda:us-east-1:123456789012:function:bad": failWith("Boom", "bad")}
	bad := `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:bad"`
	cases := []struct {
		name, def, input string
		want             engine.TestStateResult
	}{
		{name: "task with every step", def: `{"Type":"Task","Resource":"` + fnArn + `","InputPath":"$.in","Parameters":{"p.$":"$.v"},"ResultSelector":{"r.$":"$.p"},"ResultPath":"$.out","OutputPath":"$.out","Next":"Elsewhere"}`,
			input: `{"in":{"v":1}}`,
			want: engine.TestStateResult{Status: engine.TestSucceeded, Output: json.RawMessage(`{"r":1}`), NextState: "Elsewhere", Inspection: engine.Inspection{
				Input: `{"in":{"v":1}}`, AfterInputPath: `{"v":1}`, AfterParameters: `{"p":1}`, Result: `{"p":1}`, AfterResultSelector: `{"r":1}`, AfterResultPath: `{"in":{"v":1},"out":{"r":1}}`}}},
		{name: "pass at an end", def: `{"Type":"Pass","Result":"x","ResultPath":"$.r","End":true}`, input: `{}`,
			want: engine.TestStateResult{Status: engine.TestSucceeded, Output: json.RawMessage(`{"r":"x"}`), Inspection: engine.Inspection{Input: `{}`, AfterInputPath: `{}`, Result: `"x"`, AfterResultPath: `{"r":"x"}`}}},
		{name: "choice", def: `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],"Default":"Small"}`, input: `{"n":2}`,
			want: engine.TestStateResult{Status: engine.TestSucceeded, Output: json.RawMessage(`{"n":2}`), NextState: "Big", Inspection: engine.Inspection{Input: `{"n":2}`, AfterInputPath: `{"n":2}`}}},
		{name: "failure", def: `{"Type":"Task",` + bad + `,"End":true}`,
			want: engine.TestStateResult{Status: engine.TestFailed, Error: "Boom", Cause: "bad", Inspection: engine.Inspection{Input: `{}`, AfterInputPath: `{}`}}},
		{name: "retriable", def: `{"Type":"Task",` + bad + `,"Retry":[{"ErrorEquals":["Boom"]}],"End":true}`,
			want: engine.TestStateResult{Status: engine.TestRetriable, Error: "Boom", Cause: "bad", Inspection: engine.Inspection{Input: `{}`, AfterInputPath: `{}`}}},
		{name: "caught", def: `{"Type":"Task",` + bad + `,"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Handle"}],"End":true}`, input: `{"k":1}`,
			want: engine.TestStateResult{Status: engine.TestCaughtError, Error: "Boom", Cause: "bad", NextState: "Handle", Output: json.RawMessage(`{"err":{"Cause":"bad","Error":"Boom"},"k":1}`), Inspection: engine.Inspection{Input: `{"k":1}`, AfterInputPath: `{"k":1}`}}},
		{name: "fail state", def: `{"Type":"Fail","Error":"E","Cause":"C"}`,
			want: engine.TestStateResult{Status: engine.TestFailed, Error: "E", Cause: "C", Inspection: engine.Inspection{Input: `{}`}}},
		{name: "map retries inside iterations are not the tested state's", def: `{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`, input: `[1,2]`,
			want: engine.TestStateResult{Status: engine.TestSucceeded, Output: json.RawMessage(`[1,2]`), Inspection: engine.Inspection{Input: `[1,2]`, AfterInputPath: `[1,2]`, Result: `[1,2]`, AfterResultPath: `[1,2]`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := engine.TestState(context.Background(), []byte(tc.def), "", json.RawMessage(tc.input), engine.Options{Resources: fns, Clock: engine.NewInstantClock(epoch)})
			if err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tc.want)
			if string(g) != string(w) {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
	_, err := engine.TestState(context.Background(), []byte(`{"Type":"Task"}`), "T", nil, engine.Options{})
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("a state without Resource: %v, want a ValidationError", err)
	}
}
