package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

func TestHistoryEvents(t *testing.T) {
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"` + fnArn + `","Payload.$":"$"},"OutputPath":"$.Payload","Retry":[{"ErrorEquals":["Boom"]}],"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"` + fnArn + `","End":true}}},"ResultPath":"$.m","Next":"S"},
		"S":{"Type":"Succeed"}}}`
	m, err := engine.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	x := m.Run(context.Background(), json.RawMessage(`{"xs":[1]}`), engine.Options{
		Resources: map[string]engine.Func{fnArn: failTimes(1, "Boom")}, Clock: engine.NewInstantClock(epoch),
		OnEvent: func(e engine.Event) { live = append(live, e.Type) },
	})
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("status %s: %s %s", x.Status, x.Error, x.Cause)
	}
	var types []string
	for i, e := range x.Events {
		types = append(types, e.Type)
		if e.ID != int64(i+1) {
			t.Errorf("event %d has id %d", i, e.ID)
		}
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed TaskScheduled TaskStarted TaskSucceeded TaskStateExited " +
		"MapStateEntered MapStateStarted MapIterationStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited MapIterationSucceeded MapStateSucceeded MapStateExited " +
		"SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	if strings.Join(live, " ") != want {
		t.Errorf("OnEvent saw %v", live)
	}
	// task entered + retry + map + iteration task + succeed
	if x.Transitions != 5 {
		t.Errorf("transitions = %d, want 5", x.Transitions)
	}
	b, err := json.Marshal(x.Events[2])
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"timestamp":1767323045,"type":"TaskScheduled","id":3,"previousEventId":2,"taskScheduledEventDetails":{"resourceType":"lambda","resource":"invoke","region":"us-east-1","parameters":"{\"FunctionName\":\"` + fnArn + `\",\"Payload\":{\"xs\":[1]}}"}}`
	if string(b) != wantJSON {
		t.Errorf("event JSON:\n got %s\nwant %s", b, wantJSON)
	}
	var back engine.Event
	if err := json.Unmarshal(b, &back); err != nil || !back.Timestamp.Equal(epoch) || back.TaskScheduledEventDetails == nil {
		t.Errorf("round trip: %v %+v", err, back)
	}
	if d := x.Events[10].MapStateStartedEventDetails; d == nil || d.Length != 1 {
		t.Errorf("MapStateStarted details = %+v", d)
	}
	if d := x.Events[11].MapIterationStartedEventDetails; d == nil || d.Name != "M" || d.Index != 0 || x.Events[11].PreviousEventID != 11 {
		t.Errorf("MapIterationStarted = %+v", x.Events[11])
	}
}

type InvalidInputError struct{ Field string }

func (e InvalidInputError) Error() string { return "bad " + e.Field }

func TestLambdaHandler(t *testing.T) {
	type in struct {
		N int `json:"n"`
	}
	cases := []struct {
		name      string
		handler   any
		payload   string
		out       string
		errName   string
		errSubstr string
	}{
		{"struct in and out", func(ctx context.Context, v in) (in, error) { return in{N: v.N + 1}, nil }, `{"n":1}`, `{"n":2}`, "", ""},
		{"errors.New", func(ctx context.Context) error { return errors.New("boom") }, `{}`, "", "errorString", `{"errorMessage":"boom","errorType":"errorString"}`},
		{"value error type", func(ctx context.Context, v in) (in, error) { return in{}, InvalidInputError{"x"} }, `{}`, "", "InvalidInputError", "bad x"},
		{"pointer error type", func(ctx context.Context) error { return &RetryableDeliveryError{Channel: "c"} }, `{}`, "", "RetryableDeliveryError", "answered 503"},
		{"bad payload", func(ctx context.Context, v in) (in, error) { return v, nil }, `{"n":"x"}`, "", "UnmarshalTypeError", "cannot unmarshal"},
		{"panic", func(ctx context.Context) error { panic("oops") }, `{}`, "", "string", "oops"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := engine.LambdaHandler(tc.handler)(context.Background(), json.RawMessage(tc.payload))
			if tc.errName == "" {
				if err != nil || string(out) != tc.out {
					t.Fatalf("got %s, %v; want %s", out, err, tc.out)
				}
				return
			}
			var te *engine.TaskError
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a TaskError", err)
			}
			if te.Name != tc.errName || !strings.Contains(te.Cause, tc.errSubstr) {
				t.Errorf("got %s / %s; want %s / ...%s...", te.Name, te.Cause, tc.errName, tc.errSubstr)
			}
		})
	}
}
