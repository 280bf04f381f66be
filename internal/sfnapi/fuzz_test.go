package sfnapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/sfnapi"
)

func FuzzParseArn(f *testing.F) {
	for _, s := range []string{
		"arn:aws:states:us-east-1:000000000000:stateMachine:medic",
		"arn:aws:states:eu-west-1:123456789012:execution:medic:run-1",
		"arn:aws:states:::", "arn:aws:lambda:us-east-1:1:function:x", "", ":::::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := sfnapi.ParseArn(s)
		if err != nil {
			return
		}
		if a.Resource == "execution" {
			sm, err := sfnapi.StateMachineArnOf(s)
			if err != nil {
				t.Fatalf("StateMachineArnOf(%q): %v", s, err)
			}
			if got := sfnapi.ExecutionArn(sm, a.Execution); got != s {
				t.Fatalf("ExecutionArn round trip: %q -> %q", s, got)
			}
		}
	})
}

// FuzzHandler sends arbitrary bodies to every action: the answer is always
// JSON with a 200, 400 or (never for these bodies) 500 status.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:medic-test","input":"{}"}`,
		`{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:medic-test:x","maxResults":2,"nextToken":"MTAuYWJj"}`,
		`[]`, `null`, `{"maxResults":-1}`, `{"stateMachineArn":1}`,
	} {
		for _, a := range []string{"StartExecution", "DescribeExecution", "GetExecutionHistory", "ListExecutions", "StopExecution", "ListStateMachines", "DescribeStateMachine", "DescribeStateMachineForExecution", "ValidateStateMachineDefinition", "StartSyncExecution", "TestState"} {
			f.Add(a, s)
		}
	}
	h := sfnapi.NewHandler(newRecorder(), nil)
	f.Fuzz(func(t *testing.T, action, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for %s %q: %s", w.Code, action, body, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("response is not JSON: %q", w.Body)
		}
	})
}
