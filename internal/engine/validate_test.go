package engine_test

import (
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

func TestValidation(t *testing.T) {
	cases := []struct {
		name, def, want string
	}{
		{"not json", `{`, "not JSON"},
		{"no StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, "field StartAt is required"},
		{"StartAt unknown", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`, `field StartAt: state "B" does not exist`},
		{"StartAt empty", `{"StartAt":"","States":{"A":{"Type":"Succeed"}}}`, `field StartAt: state "" does not exist`},
		{"unknown Next", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"}}}`, `state "A": field Next: state "Z" does not exist`},
		{"missing End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, `state "A": field Next or End is required`},
		{"Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, `state "A": fields Next and End must not both be set`},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, `state "B": is not reachable`},
		{"bad type", `{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`, `state "A": field Type: "Nope" is not a state type`},
		{"unknown field", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Result":1}}}`, `state "A": field Result is not supported here`},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, `state "A": Retry[0]: field ErrorEquals: States.ALL must be in the last entry`},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"A"}],"End":true}}}`, `Catch[0]: field ErrorEquals: States.ALL must appear alone`},
		{"retry not an array", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":{},"End":true}}}`, `state "A": field Retry must be an array`},
		{"catch entry not an object", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[3],"End":true}}}`, `state "A": Catch[0] must be an object`},
		{"catch Next unknown", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["X"],"Next":"Q"}],"End":true}}}`, `state "A": Catch[0]: field Next: state "Q" does not exist`},
		{"bad path", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","End":true}}}`, `state "A": field InputPath: invalid path "a.b"`},
		{"result path not reference", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, `state "A": field ResultPath: "$.a[*]" must be a reference path`},
		{"bad parameter path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}}}`, `state "A": field Parameters.x.$`},
		{"bad intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}}}`, `unknown function "States.Nope"`},
		{"intrinsic arity", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.ArrayLength(1, 2)"},"End":true}}}`, `States.ArrayLength takes 1 argument(s), got 2`},
		{"choice without Next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true}]}}}`, `state "A": Choices[0]: field Next is required`},
		{"choice bad operand", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":"1","Next":"A"}]}}}`, `field NumericEquals: must be a number`},
		{"choice two operators", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"IsString":true,"Next":"A"}]}}}`, `exactly one comparison operator`},
		{"wait two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, `exactly one of Seconds`},
		{"task without resource", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, `state "A": field Resource is required`},
		{"lambda invoke without FunctionName", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`, `FunctionName is required`},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`, `HeartbeatSeconds (5) must be smaller`},
		{"retry interval", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"IntervalSeconds":0}],"End":true}}}`, `Retry[0]: field IntervalSeconds must be at least 1`},
		{"backoff rate", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}}`, `field BackoffRate must be at least 1`},
		{"jitter", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}],"End":true}}}`, `JitterStrategy must be FULL or NONE`},
		{"branch next outside", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"P"}}}],"End":true}}}`, `state "A": field Next: state "P" does not exist`},
		{"map without processor", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, `field ItemProcessor (or Iterator) is required`},
		{"duplicate names", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}],"End":true}}}`, `state "P": the name is already used`},
		{"fail error and path", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"a","ErrorPath":"$.e"}}}`, `fields Error and ErrorPath must not both be set`},
		{"jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, `only "JSONPath" is supported`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Parse([]byte(tc.def))
			if err == nil {
				t.Fatalf("Parse accepted it; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
