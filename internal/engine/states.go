package engine

import (
	"context"
	"fmt"
	"time"
)

// runState runs one state. It returns the state's output and the next
// state's name ("" at an end), or the failure that ends this machine.
func (x *execution) runState(ctx context.Context, st *State, input any, th *thread) (any, string, *Failure) {
	x.countTransition()
	entered := x.clock.Now()
	x.emit(th, Event{Type: eventType(st.Type, "StateEntered"), StateEnteredEventDetails: &StateEnteredDetails{
		Name: st.Name, Input: x.encode(input), InputDetails: notTruncated}})
	var (
		out  any
		next = st.Next
		f    *Failure
	)
	sr := stateRun{x: x, st: st, entered: entered, th: th}
	switch st.Type {
	case "Pass":
		out, f = x.runPass(st, input, entered, th)
	case "Task", "Parallel", "Map":
		out, next, f = x.runWithRetry(ctx, st, input, entered, th)
	case "Choice":
		out, next, f = x.runChoice(sr, input)
	case "Wait":
		out, f = x.runWait(ctx, sr, input)
	case "Succeed":
		out, f = x.inputOutput(sr, input)
		next = ""
	case "Fail":
		return nil, "", x.runFail(st, input, entered, th)
	}
	var outJSON string
	if f == nil {
		outJSON, f = x.checkSize(out, "the output of state %s", st.Name)
	}
	if f != nil {
		return nil, "", f
	}
	x.emit(th, Event{Type: eventType(st.Type, "StateExited"), StateExitedEventDetails: &StateExitedDetails{
		Name: st.Name, Output: outJSON, OutputDetails: notTruncated}})
	return out, next, nil
}

func quote(s string) string { return "'" + s + "'" }

// stateEventTypes holds "<Type>StateEntered" and "<Type>StateExited" for
// every state type, so that emitting them does not build the string.
var stateEventTypes = func() map[[2]string]string {
	m := map[[2]string]string{}
	for typ := range stateFields {
		for _, suffix := range []string{"StateEntered", "StateExited"} {
			m[[2]string{typ, suffix}] = typ + suffix
		}
	}
	return m
}()

func eventType(stateType, suffix string) string {
	if s, ok := stateEventTypes[[2]string{stateType, suffix}]; ok {
		return s
	}
	return stateType + suffix
}

// encode renders v as the execution's history and payloads show it; each
// object or array is encoded once per execution (see encodeMemo).
func (x *execution) encode(v any) string { return encodeJSON(v, x.memo) }

// checkSize encodes v and checks it against the payload limit (UTF-8
// bytes). The failure names it with what, in which %s is the quoted state
// name.
func (x *execution) checkSize(v any, what, state string) (string, *Failure) {
	s := x.encode(v)
	if n := len(s); n > MaxPayloadBytes {
		return "", failf(ErrDataLimitExceeded, "%s has %d bytes, more than the limit of %d", fmt.Sprintf(what, quote(state)), n, MaxPayloadBytes)
	}
	return s, nil
}

// stateRun is one attempt of a state, as much as its context object ($$)
// needs; the object is built only for a path that reads it.
type stateRun struct {
	x       *execution
	st      *State
	entered time.Time
	retries int
	th      *thread
}

// root is what a path selects from: the context object for a "$$" path,
// the data otherwise.
func (sr stateRun) root(p *path, data any) any {
	if p.context {
		return sr.x.contextObject(sr.st, sr.entered, sr.retries, sr.th)
	}
	return data
}

// applyInputPath selects the effective input; null gives {}.
func applyInputPath(sr stateRun, input any) (any, *Failure) {
	v, f := selectPath(sr, sr.st.InputPath, input, "InputPath")
	if f == nil {
		sr.x.note(sr.st, func(i *Inspection) *string { return &i.AfterInputPath }, v)
	}
	return v, f
}

// selectPath applies InputPath or OutputPath (either may read the context
// object, as on AWS).
func selectPath(sr stateRun, p *ioPath, input any, field string) (any, *Failure) {
	switch {
	case p == nil:
		return input, nil
	case p.null:
		return map[string]any{}, nil
	}
	root := sr.root(p.p, input)
	v, err := p.p.eval(root)
	if err != nil {
		return nil, failf(ErrRuntime, "an error occurred while executing the state %s: invalid path %s in %s: no results for the path in %s", quote(sr.st.Name), quote(p.p.src), field, encodeString(root))
	}
	return v, nil
}

// effectiveInput applies InputPath then Parameters.
func (x *execution) effectiveInput(st *State, input any, entered time.Time, retries int, th *thread) (any, *Failure) {
	v, f := applyInputPath(stateRun{x, st, entered, retries, th}, input)
	if f != nil || st.Parameters == nil {
		return v, f
	}
	out, err := st.Parameters.apply(v, x.contextFor(st.Parameters, st, entered, retries, th))
	if err != nil {
		return nil, asFailure(err)
	}
	if _, f := x.checkSize(out, "the input of state %s after Parameters", st.Name); f != nil {
		return nil, f
	}
	x.note(st, func(i *Inspection) *string { return &i.AfterParameters }, out)
	return out, nil
}

func asFailure(err error) *Failure {
	if f, ok := err.(*Failure); ok {
		return f
	}
	return failf(ErrRuntime, "%v", err)
}

// applyResult places result into the raw input per ResultPath, then applies
// OutputPath.
func applyResult(sr stateRun, input, result any) (any, *Failure) {
	merged, f := applyResultPath(sr.st.ResultPath, input, result, sr.st.Name)
	if f != nil {
		return nil, f
	}
	sr.x.note(sr.st, func(i *Inspection) *string { return &i.AfterResultPath }, merged)
	return selectPath(sr, sr.st.OutputPath, merged, "OutputPath")
}

func applyResultPath(rp *ioPath, input, result any, state string) (any, *Failure) {
	switch {
	case rp == nil:
		return result, nil
	case rp.null:
		return input, nil
	}
	out, err := rp.p.set(input, result)
	if err != nil {
		return nil, failf(ErrResultPathMatchFailure, "an error occurred while executing the state %s: %v", quote(state), err)
	}
	return out, nil
}

func (x *execution) runPass(st *State, input any, entered time.Time, th *thread) (any, *Failure) {
	eff, f := x.effectiveInput(st, input, entered, 0, th)
	if f != nil {
		return nil, f
	}
	result := eff
	if st.HasResult {
		result = deepCopy(st.Result)
	}
	x.note(st, func(i *Inspection) *string { return &i.Result }, result)
	return applyResult(stateRun{x, st, entered, 0, th}, input, result)
}

// inputOutput is the processing of Succeed: InputPath then OutputPath.
func (x *execution) inputOutput(sr stateRun, input any) (any, *Failure) {
	v, f := applyInputPath(sr, input)
	if f != nil {
		return nil, f
	}
	return selectPath(sr, sr.st.OutputPath, v, "OutputPath")
}

func (x *execution) runChoice(sr stateRun, input any) (any, string, *Failure) {
	st := sr.st
	eff, f := applyInputPath(sr, input)
	if f != nil {
		return nil, "", f
	}
	next, err := st.choose(sr, eff)
	if err != nil {
		return nil, "", asFailure(err)
	}
	if next == "" {
		return nil, "", failf(ErrNoChoiceMatched, "no Choice rule matched and no Default is specified in state %s", quote(st.Name))
	}
	out, f := selectPath(sr, st.OutputPath, eff, "OutputPath")
	return out, next, f
}

func (x *execution) runWait(ctx context.Context, sr stateRun, input any) (any, *Failure) {
	st := sr.st
	eff, f := applyInputPath(sr, input)
	if f != nil {
		return nil, f
	}
	var d time.Duration
	switch {
	case st.Seconds != nil:
		d = time.Duration(*st.Seconds) * time.Second
	case st.Timestamp != nil:
		d = st.Timestamp.Sub(x.clock.Now())
	case st.SecondsPath != nil:
		v, err := st.SecondsPath.eval(eff)
		n, ok := toInt(v)
		if err != nil || !ok || n < 0 {
			return nil, failf(ErrRuntime, "an error occurred while executing the state %s: SecondsPath %s does not select a non-negative integer", quote(st.Name), quote(st.SecondsPath.src))
		}
		d = time.Duration(n) * time.Second
	case st.TimestampPath != nil:
		v, err := st.TimestampPath.eval(eff)
		s, ok := v.(string)
		var t time.Time
		if err == nil && ok {
			t, err = parseTimestamp(s)
		}
		if err != nil || !ok {
			return nil, failf(ErrRuntime, "an error occurred while executing the state %s: TimestampPath %s does not select an RFC 3339 timestamp", quote(st.Name), quote(st.TimestampPath.src))
		}
		d = t.Sub(x.clock.Now())
	}
	if f := x.sleep(ctx, d); f != nil {
		return nil, f
	}
	return selectPath(sr, st.OutputPath, eff, "OutputPath")
}

// sleep waits through the clock, stopping at the execution's deadline.
func (x *execution) sleep(ctx context.Context, d time.Duration) *Failure {
	if d <= 0 {
		return nil
	}
	if !x.deadline.IsZero() {
		if left := x.deadline.Sub(x.clock.Now()); d > left {
			_ = x.clock.Sleep(ctx, left+time.Millisecond)
			x.timedOut.Store(true)
			return failf(ErrTimeout, "the execution timed out")
		}
	}
	if err := x.clock.Sleep(ctx, d); err != nil {
		return &Failure{Name: errAborted, Cause: "the execution was stopped"}
	}
	return nil
}

func (x *execution) runFail(st *State, input any, entered time.Time, th *thread) *Failure {
	f := &Failure{Name: st.Error, Cause: st.Cause}
	ctxObj := x.contextObject(st, entered, 0, th)
	for _, d := range []struct {
		dyn   *dynamic
		dst   *string
		field string
	}{{st.ErrorPath, &f.Name, "ErrorPath"}, {st.CausePath, &f.Cause, "CausePath"}} {
		if d.dyn == nil {
			continue
		}
		v, err := d.dyn.eval(input, ctxObj, d.field)
		if err != nil {
			return failf(ErrRuntime, "an error occurred while executing the state %s: %v", quote(st.Name), err)
		}
		s, ok := v.(string)
		if !ok {
			return failf(ErrRuntime, "an error occurred while executing the state %s: %s must select a string, got %s", quote(st.Name), d.field, typeName(v))
		}
		*d.dst = s
	}
	return f
}
