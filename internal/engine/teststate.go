package engine

import (
	"context"
	"encoding/json"
	"fmt"
)

// TestState statuses, as the TestState API names them.
const (
	TestSucceeded   = "SUCCEEDED"
	TestFailed      = "FAILED"
	TestRetriable   = "RETRIABLE"
	TestCaughtError = "CAUGHT_ERROR"
)

// TestStateResult is the outcome of running one state on its own, in the
// shape of the TestState API's answer.
type TestStateResult struct {
	// Status is SUCCEEDED, FAILED, RETRIABLE (the error matches a Retrier
	// with attempts left; the state is not retried) or CAUGHT_ERROR (a
	// Catcher matched; Output is what it passes on).
	Status string
	// Output is the state's output (SUCCEEDED, CAUGHT_ERROR).
	Output json.RawMessage
	// Error and Cause say why it failed (FAILED, RETRIABLE, CAUGHT_ERROR).
	Error, Cause string
	// NextState is the state it would go to ("" at an end).
	NextState string
	// Inspection is the data after each processing step, as JSON texts;
	// a step that was not reached (or does not apply) is empty.
	Inspection Inspection
}

// Inspection is TestState's inspectionData.
type Inspection struct {
	Input, AfterInputPath, AfterParameters, Result, AfterResultSelector, AfterResultPath string
}

// inspector records a tested state's processing steps.
type inspector struct {
	st        *State
	data      Inspection
	retriable bool     // the failure matched a Retrier with attempts left
	caught    *Failure // the failure a Catcher took
}

func (x *execution) note(st *State, dst func(*Inspection) *string, v any) {
	if x.inspect != nil && x.inspect.st == st {
		*dst(&x.inspect.data) = x.encode(v)
	}
}

// TestState runs one state, given as its own JSON definition (the value a
// state machine's States object holds for it), against input, once: a
// failure that a Retrier matches is reported RETRIABLE rather than
// retried, and one a Catcher matches is CAUGHT_ERROR with the Catcher's
// Next. name is the state's name ($$.State.Name; "TestState" when empty).
// Next need not name an existing state. An invalid definition is a
// *ValidationError.
func TestState(ctx context.Context, def []byte, name string, input json.RawMessage, opts Options) (*TestStateResult, error) {
	if name == "" {
		name = "TestState"
	}
	v, err := decodeValue(def)
	if err != nil {
		return nil, &ValidationError{Problems: []string{fmt.Sprintf("definition is not JSON: %v", err)}}
	}
	sm, ok := v.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []string{"the definition of a state must be a JSON object"}}
	}
	p := &parser{names: map[string]string{}}
	st := p.state(name, sm)
	if len(p.problems) > 0 {
		return nil, &ValidationError{Problems: p.problems}
	}
	m := &Machine{StartAt: name, States: map[string]*State{name: st}, order: []string{name}}
	x := newExecution(m, opts)
	x.inspect = &inspector{st: st}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	in, err := decodeJSON(input, x.memo)
	if err != nil {
		return nil, &ValidationError{Problems: []string{fmt.Sprintf("input is not JSON: %v", err)}}
	}
	x.start = x.clock.Now()
	x.ctxObj = map[string]any{
		"Execution": map[string]any{
			"Id": x.execArn, "Input": in, "Name": x.opts.ExecutionName, "RoleArn": x.opts.RoleArn,
			"StartTime": formatTime(x.start), "RedriveCount": json.Number("0"),
		},
		"StateMachine": map[string]any{"Id": x.smArn, "Name": x.opts.StateMachineName},
	}
	x.inspect.data.Input = x.encode(in)
	out, next, f := x.runState(ctx, st, in, &thread{})
	res := &TestStateResult{Inspection: x.inspect.data}
	switch {
	case f != nil && x.inspect.retriable:
		res.Status, res.Error, res.Cause = TestRetriable, f.Name, f.Cause
	case f != nil:
		res.Status, res.Error, res.Cause = TestFailed, f.Name, f.Cause
	default:
		res.Status, res.NextState = TestSucceeded, next
		res.Output = json.RawMessage(x.encode(out))
		if x.inspect.caught != nil {
			res.Status, res.Error, res.Cause = TestCaughtError, x.inspect.caught.Name, x.inspect.caught.Cause
		}
	}
	return res, nil
}
