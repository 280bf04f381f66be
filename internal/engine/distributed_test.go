package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

func TestDistributedMap(t *testing.T) {
	objects := map[string]string{"bkt/items.json": `[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]`, "bkt/bad.json": `{"not":"array"}`}
	reader := func(_ context.Context, bucket, key string) ([]byte, error) {
		if s, ok := objects[bucket+"/"+key]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("NoSuchKey")
	}
	distributed := func(extra, proc string) string {
		return `{"StartAt":"D","States":{"D":{"Type":"Map",` + extra + `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},` + proc + `},"End":true}}}`
	}
	echoProc := `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","End":true}}`
	failOn3 := `"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":3,"Next":"F"}],"Default":"S"},"F":{"Type":"Fail","Error":"Three"},"S":{"Type":"Succeed"}}`
	cases := []runCase{
		{name: "item reader", def: distributed(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bkt","Key.$":"$.key"}},`, echoProc),
			input: `{"key":"items.json"}`, output: `[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]`},
		{name: "item reader max items", def: distributed(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":2},"Parameters":{"Bucket":"bkt","Key":"items.json"}},`, echoProc),
			output: `[{"n":1},{"n":2}]`},
		{name: "item reader missing object", def: distributed(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bkt","Key":"nope.json"}},`, echoProc),
			status: engine.StatusFailed, err: engine.ErrItemReaderFailed},
		{name: "item reader not an array", def: distributed(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bkt","Key":"bad.json"}},`, echoProc),
			status: engine.StatusFailed, err: engine.ErrItemReaderFailed},
		{name: "batches", def: distributed(`"ItemsPath":"$.xs","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$$.Execution.Name"}},`, echoProc),
			input: `{"xs":[1,2,3]}`, output: `[{"BatchInput":{"run":"exec-1"},"Items":[1,2]},{"BatchInput":{"run":"exec-1"},"Items":[3]}]`},
		{name: "batches by bytes", def: distributed(`"ItemBatcher":{"MaxInputBytesPerBatch":25},`, echoProc),
			input: `["aaaa","bbbb","cccc"]`, output: `[{"Items":["aaaa","bbbb"]},{"Items":["cccc"]}]`},
		{name: "tolerated failure count", def: distributed(`"ItemsPath":"$.xs","ToleratedFailureCount":1,`, failOn3),
			input: `{"xs":[{"n":1},{"n":3}]}`, output: `[{"n":1},{"Error":"Three","Cause":""}]`},
		{name: "tolerated failure exceeded", def: distributed(`"ToleratedFailurePercentage":40,`, failOn3),
			input: `[{"n":3},{"n":3},{"n":1}]`, status: engine.StatusFailed, err: engine.ErrExceedToleratedFailure},
		{name: "untolerated failure", def: distributed(``, failOn3),
			input: `[{"n":3}]`, status: engine.StatusFailed, err: "Three"},
		{name: "result writer ignored", def: distributed(`"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},`, echoProc),
			input: `[1]`, output: `[1]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := engine.Parse([]byte(tc.def))
			if err != nil {
				t.Fatal(err)
			}
			input := tc.input
			if input == "" {
				input = "{}"
			}
			x := m.Run(context.Background(), json.RawMessage(input), engine.Options{Resources: map[string]engine.Func{fnArn: echo},
				ItemReaderFunc: reader, Clock: engine.NewInstantClock(epoch), ExecutionName: "exec-1"})
			status := tc.status
			if status == "" {
				status = engine.StatusSucceeded
			}
			if x.Status != status || (tc.err != "" && x.Error != tc.err) {
				t.Fatalf("got %s %s (%s), want %s %s", x.Status, x.Error, x.Cause, status, tc.err)
			}
			if tc.output != "" && !sameJSON(t, string(x.Output), tc.output) {
				t.Errorf("output = %s, want %s", x.Output, tc.output)
			}
			if status == engine.StatusSucceeded {
				types := map[string]bool{}
				for _, e := range x.Events {
					types[e.Type] = true
				}
				if !types["MapRunStarted"] || !types["MapRunSucceeded"] || types["MapIterationStarted"] {
					t.Errorf("events %v: want MapRunStarted/MapRunSucceeded and no iteration events in the parent history", types)
				}
			}
		})
	}
}

func TestDistributedMapValidation(t *testing.T) {
	for _, def := range []string{
		`{"StartAt":"D","States":{"D":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":2},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"D","States":{"D":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"D","States":{"D":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b","Key":"k"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
	} {
		if _, err := engine.Parse([]byte(def)); err == nil {
			t.Errorf("Parse accepted %s", def)
		}
	}
}
