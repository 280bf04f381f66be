package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
)

// The differential test runs a corpus of definitions through this engine
// and through the npm package aws-local-stepfunctions (an independent
// implementation) and compares status, output and error name. Where the two
// differ, the case records a deviation: AWS's documented behaviour, which
// this engine must show, and why the peer differs.

const diffDir = "testdata/difftest"

type diffCase struct {
	Name       string              `json:"name"`
	Definition json.RawMessage     `json:"definition"`
	Input      json.RawMessage     `json:"input"`
	Tasks      map[string]diffTask `json:"tasks"`
	Deviation  *diffDeviation      `json:"deviation,omitempty"`
}

type diffTask struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
	Cause string          `json:"cause"`
	N     int             `json:"n"`
}

// diffDeviation is where aws-local-stepfunctions departs from AWS: what AWS
// does (and so this engine must do), and why.
type diffDeviation struct {
	Reason string          `json:"reason"`
	Status string          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
}

type diffResult struct {
	Name   string          `json:"name"`
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

const diffArnPrefix = "arn:aws:lambda:us-east-1:123456789012:function:"

func TestDifferentialAgainstAWSLocalStepFunctions(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(diffDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []diffCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	if len(corpus.Cases) < 30 {
		t.Fatalf("the corpus has %d cases, want at least 30", len(corpus.Cases))
	}
	peer := runPeer(t, corpus.Cases)
	for i, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			got := runDiffCase(t, c)
			want := peer[i]
			if want.Name != c.Name {
				t.Fatalf("peer result %d is for %q", i, want.Name)
			}
			if d := c.Deviation; d != nil {
				if d.Reason == "" {
					t.Fatal("a deviation must say why")
				}
				want = diffResult{Status: d.Status, Output: d.Output, Error: d.Error}
				if samePeer(peer[i], got) {
					t.Errorf("the peer now agrees with this engine; remove the deviation (%s)", d.Reason)
				}
			}
			if !samePeer(want, got) {
				t.Errorf("this engine: %s %s %s (%s)\nexpected:    %s %s %s (%s)", got.Status, got.Output, got.Error, got.Cause, want.Status, want.Output, want.Error, want.Cause)
			}
		})
	}
}

func samePeer(a, b diffResult) bool {
	if a.Status != b.Status || a.Error != b.Error {
		return false
	}
	if a.Status != engine.StatusSucceeded {
		return true
	}
	var x, y any
	if json.Unmarshal(a.Output, &x) != nil || json.Unmarshal(b.Output, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func runDiffCase(t *testing.T, c diffCase) diffResult {
	t.Helper()
	m, err := engine.Parse(c.Definition)
	if err != nil {
		return diffResult{Status: "INVALID", Cause: err.Error()}
	}
	x := m.Run(context.Background(), c.Input, engine.Options{Resources: diffFuncs(t, c), Clock: engine.NewInstantClock(epoch),
		ExecutionName: "exec-1", StateMachineName: "sm"})
	return diffResult{Name: c.Name, Status: x.Status, Output: x.Output, Error: x.Error, Cause: x.Cause}
}

// diffFuncs binds a case's tasks.
func diffFuncs(t *testing.T, c diffCase) map[string]engine.Func {
	var mu sync.Mutex
	calls := map[string]int{}
	funcs := map[string]engine.Func{}
	for _, name := range lambdaNames(c.Definition) {
		spec := c.Tasks[name]
		funcs[diffArnPrefix+name] = func(_ context.Context, p json.RawMessage) (json.RawMessage, error) {
			switch spec.Kind {
			case "", "echo":
				return p, nil
			case "result":
				return spec.Value, nil
			case "fail":
				return nil, &engine.TaskError{Name: spec.Error, Cause: spec.Cause}
			case "failTimes":
				mu.Lock()
				calls[name]++
				n := calls[name]
				mu.Unlock()
				if n <= spec.N {
					return nil, &engine.TaskError{Name: spec.Error, Cause: "call"}
				}
				return p, nil
			}
			t.Errorf("unknown task kind %q", spec.Kind)
			return nil, nil
		}
	}
	return funcs
}

// lambdaNames lists the function names of every Lambda ARN Resource.
func lambdaNames(def json.RawMessage) []string {
	var v any
	_ = json.Unmarshal(def, &v)
	var names []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if r, ok := t["Resource"].(string); ok && strings.HasPrefix(r, diffArnPrefix) {
				names = append(names, strings.TrimPrefix(r, diffArnPrefix))
			}
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	return names
}

// runPeer installs aws-local-stepfunctions (pinned by package-lock.json)
// when it is missing and runs the corpus through it in one Node process.
// A missing Node or an unreachable registry fails the test.
func runPeer(t *testing.T, cases []diffCase) []diffResult {
	t.Helper()
	if _, err := os.Stat(filepath.Join(diffDir, "node_modules", "aws-local-stepfunctions", "package.json")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = diffDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("installing aws-local-stepfunctions with npm ci in %s failed (the differential test needs npm and the registry): %v\n%s", diffDir, err, out)
		}
	}
	in, err := json.Marshal(map[string]any{"cases": cases, "context": map[string]any{
		"Execution": map[string]any{
			"Id":           "arn:aws:states:us-east-1:123456789012:execution:sm:exec-1",
			"Name":         "exec-1",
			"StartTime":    "2026-01-02T03:04:05.000Z",
			"RoleArn":      "arn:aws:iam::123456789012:role/StepFunctions-sm-role",
			"RedriveCount": 0,
		},
		"StateMachine": map[string]any{"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:sm", "Name": "sm"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "runner.mjs")
	cmd.Dir = diffDir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node runner.mjs: %v\n%s", err, stderr.String())
	}
	var results []diffResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("runner output: %v\n%s", err, out)
	}
	if len(results) != len(cases) {
		t.Fatalf("the runner returned %d results for %d cases", len(results), len(cases))
	}
	return results
}
