package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

// The tests in this file pin behaviours where the engine once differed from
// AWS Step Functions (issue 17), each against AWS's documented or recorded
// behaviour.

// intrinsicCase evaluates one intrinsic expression in a Pass state's
// Parameters; with fails set it must fail with States.IntrinsicFailure.
type intrinsicCase struct {
	expr, input, want string
	fails             bool
}

func runIntrinsicCases(t *testing.T, cases []intrinsicCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":` + jsonString(tc.expr) + `},"OutputPath":"$.v","End":true}}}`
			rc := runCase{def: def, input: tc.input, output: tc.want}
			if tc.fails {
				rc.status, rc.err, rc.output = engine.StatusFailed, engine.ErrIntrinsicFailure, ""
			}
			checkRun(t, rc)
		})
	}
}

// AWS: "If you specify a non-integer value for one or both the arguments,
// Step Functions will round it off to the nearest integer" (intrinsic
// functions, States.MathAdd). Recorded: halves round towards +∞.
func TestMathAddRoundsArguments(t *testing.T) {
	runIntrinsicCases(t, []intrinsicCase{
		{expr: `States.MathAdd(1.49, 1.5)`, want: `3`},
		{expr: `States.MathAdd(-1.5, 0)`, want: `-1`},
		{expr: `States.MathAdd(-2.5, 0)`, want: `-2`},
		{expr: `States.MathAdd(-0.5, 0.5)`, want: `1`},
		{expr: `States.MathAdd(0.49999999999999994, 0)`, want: `0`},
		{expr: `States.MathAdd($.a, $.b)`, input: `{"a":2.7,"b":-0.2}`, want: `3`},
		{expr: `States.MathAdd(111, -1)`, want: `110`},
		{expr: `States.MathAdd($.s, 1)`, input: `{"s":"1"}`, fails: true},
	})
}

// Recorded on AWS: States.StringToJson of an empty or blank string is null.
func TestStringToJsonOfBlankIsNull(t *testing.T) {
	runIntrinsicCases(t, []intrinsicCase{
		{expr: `States.StringToJson('')`, want: `null`},
		{expr: `States.StringToJson($.s)`, input: `{"s":"  \n\t "}`, want: `null`},
		{expr: `States.StringToJson($.s)`, input: `{"s":" [1] "}`, want: `[1]`},
		{expr: `States.StringToJson('x')`, fails: true},
	})
}

// Recorded on AWS: States.Format renders an object or array argument as
// Java's Map and List print themselves.
func TestFormatRendersObjectsAndArrays(t *testing.T) {
	runIntrinsicCases(t, []intrinsicCase{
		{expr: `States.Format('{}', $.o)`, input: `{"o":{"Arg1":1,"Arg2":[]}}`, want: `"{Arg1=1, Arg2=[]}"`},
		{expr: `States.Format('x={}', $.a)`, input: `{"a":[1,"two",null,true,{"k":"v"}]}`, want: `"x=[1, two, null, true, {k=v}]"`},
		{expr: `States.Format('{} {}', $.o, 'y')`, input: `{"o":{}}`, want: `"{} y"`},
		{expr: `States.Format('{}', $.n)`, input: `{"n":null}`, want: `"null"`},
	})
}

// Recorded on AWS (and in its error text, "The JSONPath '$.x' specified for
// the field 'v.$' could not be found in the input"): a ".$" path that
// selects nothing in Parameters, ItemSelector or ResultSelector fails the
// execution with States.Runtime, which a States.ALL Catch does not catch.
func TestPayloadPathSelectingNothingIsRuntime(t *testing.T) {
	catchAll := `"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],`
	caught := `,"Caught":{"Type":"Succeed"}`
	fns := map[string]engine.Func{fnArn: echo}
	cases := []runCase{
		{name: "Parameters of a Task", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Parameters":{"v.$":"$.missing"},` + catchAll + `"End":true}` + caught + `}}`, funcs: fns},
		{name: "ResultSelector", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","ResultSelector":{"v.$":"$.missing"},` + catchAll + `"End":true}` + caught + `}}`, funcs: fns},
		{name: "ItemSelector", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"v.$":"$.missing"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},` + catchAll + `"End":true}` + caught + `}}`, input: `[1]`},
		{name: "Parameters of a Pass", def: pass(`"Parameters":{"deep":{"v.$":"$.a.b"}},`), input: `{"a":{}}`},
		{name: "Parameters of a Parallel", def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Parameters":{"v.$":"$.missing"},"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],` + catchAll + `"End":true}` + caught + `}}`},
	}
	for _, tc := range cases {
		tc.status, tc.err, tc.cause = engine.StatusFailed, engine.ErrRuntime, "could not be found in the input"
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

// AWS accepts context-object paths ("$$.…") in InputPath, OutputPath,
// ItemsPath and a Choice rule's Variable (and ...Path operand); they select
// from the context object, not from the state's input.
func TestContextObjectPaths(t *testing.T) {
	cases := []runCase{
		{name: "InputPath", def: pass(`"InputPath":"$$.Execution.Input.a",`), input: `{"a":{"b":1},"z":0}`, output: `{"b":1}`},
		{name: "InputPath state name", def: pass(`"InputPath":"$$.State.Name",`), output: `"P"`},
		{name: "OutputPath", def: pass(`"Result":{"x":1},"OutputPath":"$$.Execution.Name",`), output: `"exec-1"`},
		{name: "OutputPath missing is runtime", def: pass(`"OutputPath":"$$.Execution.Nope",`), status: engine.StatusFailed, err: engine.ErrRuntime},
		{name: "Succeed InputPath", def: `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$$.StateMachine.Name"}}}`, output: `"sm"`},
		{name: "Choice Variable", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$$.Execution.Name","StringEquals":"exec-1","Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`,
			input: `{"Execution":{"Name":"other"}}`, output: `"yes"`},
		{name: "Choice IsPresent", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$$.Execution.Input.k","IsPresent":true,"Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`,
			input: `{"k":1}`, output: `"yes"`},
		{name: "Choice operand path", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","StringEqualsPath":"$$.State.Name","Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`,
			input: `{"n":"C"}`, output: `"yes"`},
		{name: "Map ItemsPath", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$$.Execution.Input.xs","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"InputPath":"$.other","End":true}}}`,
			input: `{"xs":[1,2],"other":{}}`, output: `[1,2]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

// AWS's JSONPath (Jayway JsonPath, whose Utils.unescape it applies to a
// quoted bracket key) undoes Java-style escapes inside $['…'] and $["…"].
func TestBracketKeyEscapes(t *testing.T) {
	cases := []struct{ path, input, want string }{
		{`$['it\'s']`, `{"it's":1}`, `1`},
		{`$["say \"hi\""]`, `{"say \"hi\"":2}`, `2`},
		{`$['a\\b']`, `{"a\\b":3}`, `3`},
		{`$['a"b']`, `{"a\"b":4}`, `4`},
		{`$['tab\tkey']`, `{"tab\tkey":5,"tabtkey":0}`, `5`},
		{`$['line\nbreak']`, `{"line\nbreak":6,"linenbreak":0}`, `6`},
		{`$['\u0041\u00e9']`, `{"Aé":7,"u0041u00e9":0}`, `7`},
		{`$['\ud83d\ude00']`, `{"😀":8}`, `8`},
		{`$['\q']`, `{"q":9}`, `9`},
		{`$['end\\']`, `{"end\\":10}`, `10`},
		{`$.x['it\'s'][0]`, `{"x":{"it's":[11]}}`, `11`},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			checkRun(t, runCase{def: pass(`"Parameters":{"v.$":` + jsonString(tc.path) + `},"OutputPath":"$.v",`), input: tc.input, output: tc.want})
			checkRun(t, runCase{def: pass(`"InputPath":` + jsonString(tc.path) + `,`), input: tc.input, output: tc.want})
		})
	}
	if _, err := engine.Parse([]byte(pass(`"InputPath":"$['\\u12']",`))); err == nil {
		t.Error(`a short \u escape was accepted`)
	}
}

// AWS rejects a definition (CreateStateMachine's InvalidDefinition) whose
// intrinsic string literal holds \" ; the escapes the intrinsic functions
// page lists (\' \{ \} \\) stay valid, and so does a plain double quote.
func TestIntrinsicLiteralEscapedDoubleQuoteIsInvalid(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		valid bool
	}{
		{`States.Format('say \"hi\"')`, false},
		{`States.Array('a', States.Format('\"'))`, false},
		{`States.Format('say "hi"')`, true},
		{`States.Format('it\'s \{\} \\ {}', 1)`, true},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := engine.Parse([]byte(pass(`"Parameters":{"v.$":` + jsonString(tc.expr) + `},`)))
			switch {
			case tc.valid && err != nil:
				t.Fatalf("rejected: %v", err)
			case !tc.valid && err == nil:
				t.Fatal("accepted")
			case !tc.valid && !strings.Contains(err.Error(), `state "P"`):
				t.Errorf("error %q does not name the state", err)
			}
		})
	}
	checkRun(t, runCase{def: pass(`"Parameters":{"v.$":"States.Format('say \"hi\"')"},"OutputPath":"$.v",`), output: `"say \"hi\""`})
}

// Recorded on AWS: a ToleratedFailurePercentage (or the value its Path
// selects) above 100 is not a definition error; the Map fails with
// States.Runtime when it runs, which States.ALL does not catch.
func TestToleratedFailurePercentageOver100IsRuntime(t *testing.T) {
	mapDef := func(fields string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + fields + `"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Succeed"}}}`
	}
	cases := []runCase{
		{name: "field", def: mapDef(`"ToleratedFailurePercentage":101,`), input: `[1]`, status: engine.StatusFailed, err: engine.ErrRuntime, cause: "ToleratedFailurePercentage"},
		{name: "path", def: mapDef(`"ItemsPath":"$.xs","ToleratedFailurePercentagePath":"$.pc",`), input: `{"xs":[1],"pc":100.5}`, status: engine.StatusFailed, err: engine.ErrRuntime},
		{name: "100 is valid", def: mapDef(`"ToleratedFailurePercentage":100,`), input: `[1]`, output: `[1]`},
		{name: "path 100 is valid", def: mapDef(`"ItemsPath":"$.xs","ToleratedFailurePercentagePath":"$.pc",`), input: `{"xs":[1],"pc":100}`, output: `[1]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc) })
	}
}

type stopWith struct{ code, cause string }

func (s stopWith) Error() string                 { return "stopped" }
func (s stopWith) StopDetails() (string, string) { return s.code, s.cause }

// StopExecution with an error and a cause: AWS records both on the
// execution and in the ExecutionAborted event's details.
func TestAbortCarriesStopErrorAndCause(t *testing.T) {
	m, err := engine.Parse([]byte(task(``)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	block := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		cancel(stopWith{"Operator.Stop", "maintenance"})
		<-ctx.Done()
		return nil, ctx.Err()
	}
	x := m.Run(ctx, json.RawMessage(`{}`), engine.Options{Resources: map[string]engine.Func{fnArn: block}, Clock: engine.NewInstantClock(epoch)})
	if x.Status != engine.StatusAborted || x.Error != "Operator.Stop" || x.Cause != "maintenance" {
		t.Fatalf("execution: %s %q %q", x.Status, x.Error, x.Cause)
	}
	last := x.Events[len(x.Events)-1]
	b, _ := json.Marshal(last)
	if last.Type != "ExecutionAborted" || !strings.Contains(string(b), `"executionAbortedEventDetails":{"error":"Operator.Stop","cause":"maintenance"}`) {
		t.Errorf("last event: %s", b)
	}
}
