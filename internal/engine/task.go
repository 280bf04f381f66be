package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// runTask runs one attempt of a Task state, with all its input and output
// processing.
func (x *execution) runTask(ctx context.Context, st *State, input any, entered time.Time, retries int, th *thread) (any, *Failure) {
	eff, f := x.effectiveInput(st, input, entered, retries, th)
	if f != nil {
		return nil, f
	}
	timeout, f := st.taskTimeout(input)
	if f != nil {
		return nil, f
	}
	result, resp, f := x.invoke(ctx, st, eff, timeout, th)
	if f != nil {
		return nil, f
	}
	if resp != nil {
		if n := len(resp.encoded); n > MaxPayloadBytes {
			return nil, failf(ErrDataLimitExceeded, "the result of state %s has %d bytes, more than the limit of %d", quote(st.Name), n, MaxPayloadBytes)
		}
		if out, f, ok := x.viewResult(st, input, resp, stateRun{x, st, entered, retries, th}); ok {
			return out, f
		}
		result = x.response(resp)
	}
	if _, f := x.checkSize(result, "the result of state %s", st.Name); f != nil {
		return nil, f
	}
	return x.processResult(st, input, result, entered, retries, th)
}

// processResult applies ResultSelector, ResultPath and OutputPath.
func (x *execution) processResult(st *State, input, result any, entered time.Time, retries int, th *thread) (any, *Failure) {
	x.note(st, func(i *Inspection) *string { return &i.Result }, result)
	if st.ResultSelector != nil {
		sel, err := st.ResultSelector.apply(result, x.contextFor(st.ResultSelector, st, entered, retries, th))
		if err != nil {
			return nil, asFailure(err)
		}
		result = sel
		x.note(st, func(i *Inspection) *string { return &i.AfterResultSelector }, result)
	}
	return applyResult(stateRun{x, st, entered, retries, th}, input, result)
}

func (st *State) taskTimeout(input any) (time.Duration, *Failure) {
	if st.TimeoutSecondsPath != nil {
		v, err := st.TimeoutSecondsPath.eval(input)
		n, ok := toInt(v)
		if err != nil || !ok || n <= 0 {
			return 0, failf(ErrRuntime, "an error occurred while executing the state %s: TimeoutSecondsPath %s does not select a positive integer", quote(st.Name), quote(st.TimeoutSecondsPath.src))
		}
		return time.Duration(n) * time.Second, nil
	}
	return time.Duration(st.TimeoutSeconds) * time.Second, nil
}

// taskKind says how a Resource is invoked and recorded.
type taskKind struct {
	fn           Func
	payload      any
	lambdaBare   bool   // a bare function ARN: LambdaFunction* events
	wrapInvoke   bool   // lambda:invoke: wrap the result
	resourceType string // for Task* events
	resource     string
	params       any
}

func (x *execution) resolveTask(st *State, eff any) (taskKind, *Failure) {
	switch {
	case st.Resource == lambdaInvoke:
		params, _ := norm(eff).(map[string]any)
		name, _ := params["FunctionName"].(string)
		k := taskKind{wrapInvoke: true, resourceType: "lambda", resource: "invoke", params: eff}
		if p, ok := params["Payload"]; ok {
			k.payload = p
		} else {
			k.payload = map[string]any{}
		}
		if name == "" {
			return k, failf(ErrRuntime, "an error occurred while executing the state %s: Parameters.FunctionName must be a string", quote(st.Name))
		}
		k.fn, _ = x.opts.resolveFunction(name)
		if k.fn == nil {
			k.fn = missingFunction(name)
		}
		return k, nil
	case isLambdaARN(st.Resource):
		k := taskKind{lambdaBare: true, resource: st.Resource, payload: eff}
		k.fn, _ = x.opts.resolveFunction(st.Resource)
		if k.fn == nil {
			k.fn = missingFunction(st.Resource)
		}
		return k, nil
	}
	k := taskKind{payload: eff, params: eff, resource: st.Resource, resourceType: "unknown"}
	if rest, ok := strings.CutPrefix(st.Resource, "arn:aws:states:::"); ok {
		k.resourceType, k.resource, _ = strings.Cut(rest, ":")
	}
	k.fn = x.opts.Resources[st.Resource]
	if k.fn == nil {
		return k, failf(ErrRuntime, "an error occurred while executing the state %s: no function is bound to the resource %q", quote(st.Name), st.Resource)
	}
	return k, nil
}

func missingFunction(name string) Func {
	return func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &TaskError{Name: errLambdaResourceNotFound, Cause: fmt.Sprintf("Function not found: %s (no function is bound to it in the local engine)", name)}
	}
}

// invoke calls the bound function, recording the task's events. The
// result of a lambda:invoke Task whose processing reads only the Payload is
// returned as an *invokeResponse (see payloadView) instead.
func (x *execution) invoke(ctx context.Context, st *State, eff any, timeout time.Duration, th *thread) (any, *invokeResponse, *Failure) {
	k, f := x.resolveTask(st, eff)
	if f != nil {
		return nil, nil, f
	}
	payload := x.encode(k.payload)
	if k.lambdaBare {
		x.emit(th, Event{Type: "LambdaFunctionScheduled", LambdaFunctionScheduledEventDetails: &LambdaScheduledDetails{
			Resource: k.resource, Input: payload, InputDetails: notTruncated, TimeoutInSeconds: int64(timeout / time.Second)}})
		x.emit(th, Event{Type: "LambdaFunctionStarted"})
	} else {
		x.emit(th, Event{Type: "TaskScheduled", TaskScheduledEventDetails: &TaskScheduledDetails{
			ResourceType: k.resourceType, Resource: k.resource, Region: x.opts.Region,
			Parameters: x.encode(k.params), TimeoutInSeconds: int64(timeout / time.Second)}})
		x.emit(th, Event{Type: "TaskStarted", TaskStartedEventDetails: &TaskResourceDetails{ResourceType: k.resourceType, Resource: k.resource}})
	}
	raw, err := x.call(ctx, k.fn, json.RawMessage(payload), timeout)
	var result any
	if err == nil {
		result, err = decodeResult(raw)
	}
	if err != nil {
		f := taskFailure(err)
		if f.Name == errAborted {
			return nil, nil, f
		}
		timedOut := f.Name == ErrTimeout
		switch {
		case k.lambdaBare && timedOut:
			x.emit(th, Event{Type: "LambdaFunctionTimedOut", LambdaFunctionTimedOutEventDetails: &ErrorDetails{Error: f.Name, Cause: f.Cause}})
		case k.lambdaBare:
			x.emit(th, Event{Type: "LambdaFunctionFailed", LambdaFunctionFailedEventDetails: &ErrorDetails{Error: f.Name, Cause: f.Cause}})
		case timedOut:
			x.emit(th, Event{Type: "TaskTimedOut", TaskTimedOutEventDetails: &TaskErrorDetails{ResourceType: k.resourceType, Resource: k.resource, Error: f.Name, Cause: f.Cause}})
		default:
			x.emit(th, Event{Type: "TaskFailed", TaskFailedEventDetails: &TaskErrorDetails{ResourceType: k.resourceType, Resource: k.resource, Error: f.Name, Cause: f.Cause}})
		}
		return nil, nil, f
	}
	var resp *invokeResponse
	var out string
	switch {
	case k.wrapInvoke && st.payloadView != nil && x.inspect == nil:
		resp = &invokeResponse{payload: result, requestID: newUUID()}
		var ok bool
		if resp.encoded, ok = x.encodeInvokeResponse(result, resp.requestID); !ok {
			result, resp = x.wrapInvokeResult(result, resp.requestID), nil
			out = x.encode(result)
		} else {
			result, out = nil, resp.encoded
		}
	case k.wrapInvoke:
		result = x.wrapInvokeResult(result, newUUID())
		out = x.encode(result)
	default:
		out = x.encode(result)
	}
	if k.lambdaBare {
		x.emit(th, Event{Type: "LambdaFunctionSucceeded", LambdaFunctionSucceededEventDetails: &OutputDetails{Output: out, OutputDetails: notTruncated}})
	} else {
		x.emit(th, Event{Type: "TaskSucceeded", TaskSucceededEventDetails: &TaskSucceededDetails{ResourceType: k.resourceType, Resource: k.resource, Output: out, OutputDetails: notTruncated}})
	}
	return result, resp, nil
}

var errTaskTimeout = errors.New("task timed out")

// call runs fn with the execution's clock in its context. The task times
// out when it runs past timeout either in real time or on the clock.
func (x *execution) call(ctx context.Context, fn Func, payload []byte, timeout time.Duration) (json.RawMessage, error) {
	callCtx := ctx
	if ctx.Value(runKey{}) != x {
		callCtx = context.WithValue(ctx, clockKey{}, x.clock)
	}
	var timer <-chan time.Time
	if timeout > 0 {
		// Stop the function when it runs out of time. Without a timeout
		// the call ends only with ctx, which the function already has.
		var cancel context.CancelFunc
		callCtx, cancel = context.WithCancel(callCtx)
		defer cancel()
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	start := x.clock.Now()
	done := callDones.Get().(chan callResult)
	go func() {
		out, err := fn(callCtx, payload)
		done <- callResult{out, err}
	}()
	select {
	case r := <-done:
		// The function has returned and sent: the channel is empty and
		// nobody else holds it. (One abandoned below is never reused.)
		callDones.Put(done)
		if timeout > 0 && x.clock.Now().Sub(start) > timeout {
			return nil, errTaskTimeout
		}
		return r.out, r.err
	case <-timer:
		return nil, errTaskTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// callResult is what a task function returned.
type callResult struct {
	out json.RawMessage
	err error
}

// callDones reuses the channels through which functions hand back their
// results.
var callDones = sync.Pool{New: func() any { return make(chan callResult, 1) }}

func decodeResult(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	v, err := decodeLazy(raw)
	if err != nil {
		return nil, &TaskError{Name: ErrRuntime, Cause: fmt.Sprintf("the task's result is not JSON: %v", err)}
	}
	return v, nil
}

func taskFailure(err error) *Failure {
	var te *TaskError
	switch {
	case errors.Is(err, errTaskTimeout):
		return &Failure{Name: ErrTimeout, Cause: "the task ran longer than its TimeoutSeconds"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Failure{Name: errAborted, Cause: "the execution was stopped"}
	case errors.As(err, &te):
		return &Failure{Name: te.Name, Cause: te.Cause}
	}
	return &Failure{Name: reflectTypeName(err), Cause: err.Error()}
}
