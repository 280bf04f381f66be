package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const fnArn = "arn:aws:lambda:us-east-1:123456789012:function:fn"

// echo returns its payload.
func echo(_ context.Context, p json.RawMessage) (json.RawMessage, error) { return p, nil }

func failWith(name, cause string) engine.Func {
	return func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &engine.TaskError{Name: name, Cause: cause}
	}
}

// failTimes fails n times with name, then echoes.
func failTimes(n int, name string) engine.Func {
	calls := 0
	return func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
		calls++
		if calls <= n {
			return nil, &engine.TaskError{Name: name, Cause: fmt.Sprintf("call %d", calls)}
		}
		return p, nil
	}
}

func run(t *testing.T, def, input string, funcs map[string]engine.Func) *engine.Execution {
	t.Helper()
	m, err := engine.Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m.Run(context.Background(), json.RawMessage(input), engine.Options{
		Resources: funcs, Clock: engine.NewInstantClock(epoch), ExecutionName: "exec-1", StateMachineName: "sm",
	})
}

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("output %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

type runCase struct {
	name   string
	def    string
	input  string
	funcs  map[string]engine.Func
	status string
	output string // for SUCCEEDED
	err    string // for FAILED: the error name
	cause  string // substring of the cause, if set
}

func checkRun(t *testing.T, tc runCase) *engine.Execution {
	t.Helper()
	input := tc.input
	if input == "" {
		input = "{}"
	}
	x := run(t, tc.def, input, tc.funcs)
	status := tc.status
	if status == "" {
		status = engine.StatusSucceeded
	}
	if x.Status != status {
		t.Fatalf("status = %s (%s: %s), want %s", x.Status, x.Error, x.Cause, status)
	}
	if tc.output != "" && !sameJSON(t, string(x.Output), tc.output) {
		t.Errorf("output = %s, want %s", x.Output, tc.output)
	}
	if tc.err != "" && x.Error != tc.err {
		t.Errorf("error = %s (%s), want %s", x.Error, x.Cause, tc.err)
	}
	if tc.cause != "" && !strings.Contains(x.Cause, tc.cause) {
		t.Errorf("cause = %q, want it to contain %q", x.Cause, tc.cause)
	}
	return x
}

func pass(fields string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass",` + fields + `"End":true}}}`
}

func task(fields string) string {
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `",` + fields + `"End":true}}}`
}

func TestInputOutputProcessing(t *testing.T) {
	fns := map[string]engine.Func{fnArn: echo}
	cases := []runCase{
		{name: "pass through", def: pass(``), input: `{"a":1}`, output: `{"a":1}`},
		{name: "result", def: pass(`"Result":{"x":[1,2]},`), output: `{"x":[1,2]}`},
		{name: "result path nested creates objects", def: pass(`"Result":"v","ResultPath":"$.a.b.c",`), input: `{"a":{"z":1}}`, output: `{"a":{"z":1,"b":{"c":"v"}}}`},
		{name: "result path null discards", def: pass(`"Result":"v","ResultPath":null,`), input: `{"k":1}`, output: `{"k":1}`},
		{name: "result path into non-object", def: pass(`"Result":"v","ResultPath":"$.a.b",`), input: `{"a":"str"}`, status: engine.StatusFailed, err: engine.ErrResultPathMatchFailure},
		{name: "input path", def: pass(`"InputPath":"$.a",`), input: `{"a":{"b":2}}`, output: `{"b":2}`},
		{name: "input path null", def: pass(`"InputPath":null,`), input: `{"a":1}`, output: `{}`},
		{name: "input path missing is runtime", def: pass(`"InputPath":"$.nope",`), status: engine.StatusFailed, err: engine.ErrRuntime},
		{name: "output path", def: pass(`"Result":{"x":{"y":3}},"OutputPath":"$.x",`), output: `{"y":3}`},
		{name: "output path null", def: pass(`"OutputPath":null,`), input: `{"a":1}`, output: `{}`},
		{name: "parameters with paths, nested and context", def: pass(`"Parameters":{"k":"lit","v.$":"$.a","n":{"x.$":"$.b[1]"},"arr":[{"q.$":"$.a"}],"name.$":"$$.Execution.Name","state.$":"$$.State.Name","sm.$":"$$.StateMachine.Name"},`),
			input: `{"a":"A","b":[10,20]}`, output: `{"k":"lit","v":"A","n":{"x":20},"arr":[{"q":"A"}],"name":"exec-1","state":"P","sm":"sm"}`},
		{name: "parameters wildcard gives array", def: pass(`"Parameters":{"ids.$":"$.items[*].id"},`), input: `{"items":[{"id":1},{"id":2}]}`, output: `{"ids":[1,2]}`},
		{name: "parameters filter", def: pass(`"Parameters":{"big.$":"$.items[?(@.n > 1)].id"},`), input: `{"items":[{"id":"a","n":1},{"id":"b","n":2}]}`, output: `{"big":["b"]}`},
		{name: "parameters path selecting nothing is runtime", def: pass(`"Parameters":{"v.$":"$.missing"},`), status: engine.StatusFailed, err: engine.ErrRuntime},
		{name: "task result selector and result path", def: task(`"ResultSelector":{"got.$":"$.a"},"ResultPath":"$.r",`), input: `{"a":1}`, funcs: fns, output: `{"a":1,"r":{"got":1}}`},
		{name: "task output path", def: task(`"OutputPath":"$.a",`), input: `{"a":{"b":1}}`, funcs: fns, output: `{"b":1}`},
		{name: "execution input and start time", def: pass(`"Parameters":{"in.$":"$$.Execution.Input","t.$":"$$.Execution.StartTime","id.$":"$$.Execution.Id"},`), input: `{"z":true}`,
			output: `{"in":{"z":true},"t":"2026-01-02T03:04:05.000Z","id":"arn:aws:states:us-east-1:123456789012:execution:sm:exec-1"}`},
		{name: "bracket and recursive paths", def: pass(`"Parameters":{"a.$":"$['x y']","all.$":"$..id","sl.$":"$.l[1:3]","u.$":"$.l[0,2]"},`),
			input: `{"x y":1,"o":{"id":1,"p":{"id":2}},"l":[1,2,3,4]}`, output: `{"a":1,"all":[1,2],"sl":[2,3],"u":[1,3]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

func TestLambdaInvokeWrapsResult(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"fn","Payload":{"x.$":"$.a"}},"End":true}}}`
	x := checkRun(t, runCase{def: def, input: `{"a":5}`, funcs: map[string]engine.Func{fnArn: echo}})
	var out map[string]any
	if err := json.Unmarshal(x.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out["ExecutedVersion"] != "$LATEST" || out["StatusCode"] != float64(200) {
		t.Errorf("output = %s", x.Output)
	}
	if p, _ := json.Marshal(out["Payload"]); string(p) != `{"x":5}` {
		t.Errorf("Payload = %s", p)
	}
	for _, k := range []string{"SdkHttpMetadata", "SdkResponseMetadata"} {
		if out[k] == nil {
			t.Errorf("output has no %s: %s", k, x.Output)
		}
	}
}

func TestRetryAndCatch(t *testing.T) {
	cases := []runCase{
		{name: "retry then succeed", def: task(`"Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":2}],`), funcs: map[string]engine.Func{fnArn: failTimes(2, "Boom")}, output: `{}`},
		{name: "retries exhausted", def: task(`"Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":2}],`), funcs: map[string]engine.Func{fnArn: failTimes(3, "Boom")}, status: engine.StatusFailed, err: "Boom", cause: "call 3"},
		{name: "max attempts 0 never retries", def: task(`"Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"]}],`), funcs: map[string]engine.Func{fnArn: failTimes(1, "Boom")}, status: engine.StatusFailed, err: "Boom"},
		{name: "task failed matches custom errors", def: task(`"Retry":[{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":1}],`), funcs: map[string]engine.Func{fnArn: failTimes(1, "Custom")}, output: `{}`},
		{name: "catch result path", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Catch":[{"ErrorEquals":["Other"],"Next":"X"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Y"}],"End":true},"X":{"Type":"Fail"},"Y":{"Type":"Pass","End":true}}}`,
			input: `{"k":1}`, funcs: map[string]engine.Func{fnArn: failWith("Boom", "bad")}, output: `{"k":1,"err":{"Error":"Boom","Cause":"bad"}}`},
		{name: "unbound function", def: task(``), status: engine.StatusFailed, err: "Lambda.ResourceNotFoundException"},
		{name: "catch all does not catch runtime", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","OutputPath":"$.nope","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Y"}],"End":true},"Y":{"Type":"Pass","End":true}}}`,
			funcs: map[string]engine.Func{fnArn: echo}, status: engine.StatusFailed, err: engine.ErrRuntime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

func TestRetryBackoffUsesClock(t *testing.T) {
	def := task(`"Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3,"MaxDelaySeconds":10}],`)
	x := run(t, def, `{}`, map[string]engine.Func{fnArn: failTimes(3, "Boom")})
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("status %s %s", x.Status, x.Cause)
	}
	// 2 + 6 + min(18, 10) = 18 seconds of backoff on the instant clock.
	if d := x.StopDate.Sub(x.StartDate); d != 18*time.Second {
		t.Errorf("backoff took %v on the clock, want 18s", d)
	}
	// One state entered plus three retries.
	if x.Transitions != 4 {
		t.Errorf("transitions = %d, want 4", x.Transitions)
	}
}

func TestTimeouts(t *testing.T) {
	slow := func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
		if err := engine.ClockFrom(ctx).Sleep(ctx, 10*time.Second); err != nil {
			return nil, err
		}
		return p, nil
	}
	cases := []runCase{
		{name: "task timeout", def: task(`"TimeoutSeconds":5,`), funcs: map[string]engine.Func{fnArn: slow}, status: engine.StatusFailed, err: engine.ErrTimeout},
		{name: "task within timeout", def: task(`"TimeoutSeconds":20,`), funcs: map[string]engine.Func{fnArn: slow}, output: `{}`},
		{name: "task failed does not match timeout", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","TimeoutSeconds":1,"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Y"}],"End":true},"Y":{"Type":"Pass","End":true}}}`,
			funcs: map[string]engine.Func{fnArn: slow}, status: engine.StatusFailed, err: engine.ErrTimeout},
		{name: "execution timeout", def: `{"TimeoutSeconds":30,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, status: engine.StatusTimedOut, err: engine.ErrTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

func TestWaitUsesClock(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":30,"Next":"B"},"B":{"Type":"Wait","SecondsPath":"$.s","Next":"C"},"C":{"Type":"Wait","Timestamp":"2026-01-02T04:00:00Z","Next":"D"},"D":{"Type":"Wait","TimestampPath":"$.ts","End":true}}}`
	x := checkRun(t, runCase{def: def, input: `{"s":15,"ts":"2026-01-02T05:00:00Z"}`})
	if !x.StopDate.Equal(time.Date(2026, 1, 2, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("stopped at %v", x.StopDate)
	}
}

func TestDataLimit(t *testing.T) {
	big := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`"` + strings.Repeat("x", engine.MaxPayloadBytes) + `"`), nil
	}
	cases := []runCase{
		{name: "task result too big", def: task(``), funcs: map[string]engine.Func{fnArn: big}, status: engine.StatusFailed, err: engine.ErrDataLimitExceeded},
		{name: "input too big", def: pass(``), input: `"` + strings.Repeat("y", engine.MaxPayloadBytes) + `"`, status: engine.StatusFailed, err: engine.ErrDataLimitExceeded},
		{name: "catch all does not catch it", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Y"}],"End":true},"Y":{"Type":"Pass","End":true}}}`,
			funcs: map[string]engine.Func{fnArn: big}, status: engine.StatusFailed, err: engine.ErrDataLimitExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

func TestFailSucceedChoice(t *testing.T) {
	cases := []runCase{
		{name: "fail", def: `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`, status: engine.StatusFailed, err: "E", cause: "C"},
		{name: "fail paths", def: `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('n={}', $.n)"}}}`, input: `{"e":"Err","n":3}`, status: engine.StatusFailed, err: "Err", cause: "n=3"},
		{name: "succeed", def: `{"StartAt":"S","States":{"S":{"Type":"Succeed","OutputPath":"$.a"}}}`, input: `{"a":[1]}`, output: `[1]`},
		{name: "no choice matched", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"S"}]},"S":{"Type":"Succeed"}}}`, input: `{"x":2}`, status: engine.StatusFailed, err: engine.ErrNoChoiceMatched},
		{name: "choice default", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"F"}],"Default":"S"},"S":{"Type":"Succeed"},"F":{"Type":"Fail"}}}`, input: `{"x":2}`, output: `{"x":2}`},
		{name: "choice missing variable is runtime", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.y","NumericEquals":1,"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`, status: engine.StatusFailed, err: engine.ErrRuntime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

func TestParallelAndMap(t *testing.T) {
	fns := map[string]engine.Func{fnArn: echo, "arn:aws:lambda:us-east-1:123456789012:function:bad": failWith("Bad", "no")}
	cases := []runCase{
		{name: "parallel", def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","InputPath":"$.v","End":true}}}],"ResultPath":"$.r","End":true}}}`,
			input: `{"v":"x"}`, output: `{"v":"x","r":[1,"x"]}`},
		{name: "parallel branch fails", def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"Br"}}}],"Catch":[{"ErrorEquals":["Br"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`,
			output: `{"Error":"Br","Cause":""}`},
		{name: "map with item selector and context", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},"MaxConcurrency":2,"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","End":true}}},"End":true}}}`,
			input: `{"xs":["a","b","c"],"k":7}`, funcs: fns, output: `[{"i":0,"v":"a","k":7},{"i":1,"v":"b","k":7},{"i":2,"v":"c","k":7}]`},
		{name: "legacy iterator and parameters", def: `{"StartAt":"M","States":{"M":{"Type":"Map","Parameters":{"v.$":"$$.Map.Item.Value"},"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			input: `[1,2]`, output: `[{"v":1},{"v":2}]`},
		{name: "map iteration failure fails map", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:bad","End":true}}},"End":true}}}`,
			input: `[1,2]`, funcs: fns, status: engine.StatusFailed, err: "Bad"},
		{name: "tolerated failures", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"S"},"F":{"Type":"Fail","Error":"Two"},"S":{"Type":"Succeed"}}},"End":true}}}`,
			input: `[1,2,3]`, output: `[1,{"Error":"Two","Cause":""},3]`},
		{name: "tolerance exceeded", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":10,"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"X"}}},"End":true}}}`,
			input: `[1,2,3]`, status: engine.StatusFailed, err: engine.ErrExceedToleratedFailure},
		{name: "items path not array", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.a","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			input: `{"a":1}`, status: engine.StatusFailed, err: engine.ErrRuntime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

func TestAbort(t *testing.T) {
	m, err := engine.Parse([]byte(task(``)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	block := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	x := m.Run(ctx, json.RawMessage(`{}`), engine.Options{Resources: map[string]engine.Func{fnArn: block}, Clock: engine.NewInstantClock(epoch)})
	if x.Status != engine.StatusAborted {
		t.Fatalf("status = %s, want ABORTED", x.Status)
	}
	if last := x.Events[len(x.Events)-1]; last.Type != "ExecutionAborted" {
		t.Errorf("last event = %s", last.Type)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestLateResultOfAbandonedCall: a function that ignores its context does
// not hold up the abort, and the result it sends after the execution has
// moved on never reaches a later call.
func TestLateResultOfAbandonedCall(t *testing.T) {
	m, err := engine.Parse([]byte(task(``)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	release, returned := make(chan struct{}), make(chan struct{})
	deaf := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		cancel()
		<-release
		defer close(returned)
		return json.RawMessage(`"late"`), nil
	}
	x := m.Run(ctx, json.RawMessage(`{}`), engine.Options{Resources: map[string]engine.Func{fnArn: deaf}, Clock: engine.NewInstantClock(epoch)})
	if x.Status != engine.StatusAborted {
		t.Fatalf("status = %s, want ABORTED", x.Status)
	}
	close(release)
	<-returned
	for i := range 50 {
		in := fmt.Sprintf(`{"i":%d}`, i)
		if x := run(t, task(``), in, map[string]engine.Func{fnArn: echo}); x.Status != engine.StatusSucceeded || !sameJSON(t, string(x.Output), in) {
			t.Fatalf("run %d: %s %s, want output %s", i, x.Status, x.Output, in)
		}
	}
}
