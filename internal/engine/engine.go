package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Options binds a run to its surroundings.
type Options struct {
	// Resources maps a Lambda function ARN (a bare ARN Resource, or the
	// FunctionName of arn:aws:states:::lambda:invoke) to the Go function that
	// runs it. A FunctionName is also matched by function name, so a partial
	// ARN, a bare name or a qualified ARN finds the same Func. Any other
	// Resource ARN (for example arn:aws:states:::sns:publish) may be bound
	// by its exact string; it receives the state's effective input.
	Resources map[string]Func
	// ItemReaderFunc reads an S3 object for a distributed Map's ItemReader.
	ItemReaderFunc func(ctx context.Context, bucket, key string) ([]byte, error)
	// Clock drives Wait states, retry intervals and timeouts (RealClock when nil).
	Clock Clock
	// ExecutionName and StateMachineName appear in $$ and in ARNs
	// (defaults: a random UUID and "StateMachine").
	ExecutionName, StateMachineName string
	// Region and AccountID appear in ARNs (defaults us-east-1, 123456789012).
	Region, AccountID string
	// RoleArn is $$.Execution.RoleArn (default a role in AccountID).
	RoleArn string
	// OnEvent, when set, is called synchronously for each history event as
	// it happens, in order.
	OnEvent func(Event)
}

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Execution is the outcome of Run.
type Execution struct {
	Status string // SUCCEEDED, FAILED, TIMED_OUT or ABORTED
	// Output is the execution's output when it succeeded.
	Output json.RawMessage
	// Error and Cause say why it did not succeed.
	Error, Cause string
	// Events is the history, as GetExecutionHistory returns it.
	Events []Event
	// Transitions counts state transitions as Standard workflows bill them:
	// one per state entered and one per retry.
	Transitions int
	// ExecutionArn and StateMachineArn identify the run.
	ExecutionArn, StateMachineArn string
	StartDate, StopDate           time.Time
}

// maxHistoryEvents is the Standard workflow cap; an execution that reaches
// it fails.
const maxHistoryEvents = 25000

// StopDetails is what the cause of a cancelled Run context may implement
// (context.WithCancelCause) to give the error and cause StopExecution was
// called with; they become the Execution's Error and Cause and the
// ExecutionAborted event's details.
type StopDetails interface {
	StopDetails() (errorCode, cause string)
}

// Run executes the machine with input. Cancelling ctx stops the execution
// (as StopExecution does): it ends ABORTED, with the error and cause of a
// cancel cause that implements StopDetails.
func (m *Machine) Run(ctx context.Context, input json.RawMessage, opts Options) *Execution {
	x := newExecution(m, opts)
	return x.run(ctx, input)
}

type execution struct {
	m      *Machine
	opts   Options
	clock  Clock
	ctxObj map[string]any // $$.Execution and $$.StateMachine

	memo *encodeMemo // the JSON of values already encoded

	// inspect is set by TestState: the tested state runs once and its
	// processing steps are recorded.
	inspect *inspector

	mu          sync.Mutex
	events      []Event
	transitions int
	historyFull bool
	record      bool // false for a distributed Map's Express children

	start    time.Time
	deadline time.Time
	timedOut atomic.Bool
	execArn  string
	smArn    string
}

func newExecution(m *Machine, opts Options) *execution {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.ExecutionName == "" {
		opts.ExecutionName = newUUID()
	}
	if opts.StateMachineName == "" {
		opts.StateMachineName = "StateMachine"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.RoleArn == "" {
		opts.RoleArn = "arn:aws:iam::" + opts.AccountID + ":role/StepFunctions-" + opts.StateMachineName + "-role"
	}
	x := &execution{m: m, opts: opts, clock: opts.Clock, record: true, memo: newEncodeMemo(atomic.LoadInt64(&m.memoHint))}
	x.events = make([]Event, 0, min(max(atomic.LoadInt64(&m.eventsHint), 16), maxHistoryEvents+1))
	x.smArn = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", opts.Region, opts.AccountID, opts.StateMachineName)
	x.execArn = fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", opts.Region, opts.AccountID, opts.StateMachineName, opts.ExecutionName)
	return x
}

// thread is one line of history (the execution, a Parallel branch or a Map
// iteration): the id of its last event becomes the next one's
// previousEventId.
type thread struct {
	last int64
	// mapItem is $$.Map.Item while an ItemSelector is evaluated.
	mapItem map[string]any
}

func (x *execution) emit(th *thread, e Event) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e.Timestamp = x.clock.Now()
	e.ID = int64(len(x.events)) + 1
	if th != nil {
		e.PreviousEventID = th.last
		th.last = e.ID
	}
	x.events = append(x.events, e)
	if len(x.events) >= maxHistoryEvents {
		x.historyFull = true
	}
	if x.opts.OnEvent != nil && x.record {
		x.opts.OnEvent(e)
	}
}

func (x *execution) countTransition() {
	x.mu.Lock()
	x.transitions++
	x.mu.Unlock()
}

func (x *execution) run(parent context.Context, raw json.RawMessage) *Execution {
	x.start = x.clock.Now()
	res := &Execution{StartDate: x.start, ExecutionArn: x.execArn, StateMachineArn: x.smArn}
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	th := &thread{}
	input, err := decodeJSON(raw, x.memo)
	if err != nil {
		return x.finish(res, th, nil, failf(ErrRuntime, "the execution input is not JSON: %v", err))
	}
	inputJSON := x.encode(input)
	x.ctxObj = map[string]any{
		"Execution": map[string]any{
			"Id":           x.execArn,
			"Input":        input,
			"Name":         x.opts.ExecutionName,
			"RoleArn":      x.opts.RoleArn,
			"StartTime":    formatTime(x.start),
			"RedriveCount": json.Number("0"),
		},
		"StateMachine": map[string]any{"Id": x.smArn, "Name": x.opts.StateMachineName},
	}
	x.emit(th, Event{Type: "ExecutionStarted", ExecutionStartedEventDetails: &ExecutionStartedDetails{
		Input: inputJSON, InputDetails: notTruncated, RoleArn: x.opts.RoleArn}})
	if len(inputJSON) > MaxPayloadBytes {
		return x.finish(res, th, nil, failf(ErrDataLimitExceeded, "the execution input has %d bytes, more than the limit of %d", len(inputJSON), MaxPayloadBytes))
	}
	// The clock is in the context once, for every task's function
	// (ClockFrom); runKey tells call that it is.
	ctx, cancel := context.WithCancel(context.WithValue(context.WithValue(parent, clockKey{}, x.clock), runKey{}, x))
	defer cancel()
	if x.m.TimeoutSeconds > 0 {
		timeout := time.Duration(x.m.TimeoutSeconds) * time.Second
		x.deadline = x.start.Add(timeout)
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, timeout)
		defer cancelT()
	}
	out, f := x.runMachine(ctx, x.m, input, th)
	if parent.Err() != nil {
		stop := &Failure{Name: errAborted}
		var sd StopDetails
		if errors.As(context.Cause(parent), &sd) {
			stop.stopError, stop.Cause = sd.StopDetails()
		}
		return x.finish(res, th, nil, stop)
	}
	if x.timedOut.Load() || errors.Is(ctx.Err(), context.DeadlineExceeded) || x.pastDeadline() {
		x.timedOut.Store(true)
		return x.finish(res, th, nil, failf(ErrTimeout, "the execution ran longer than its TimeoutSeconds (%d)", x.m.TimeoutSeconds))
	}
	return x.finish(res, th, out, f)
}

// runKey's value in a context is the execution whose run made it.
type runKey struct{}

func (x *execution) pastDeadline() bool {
	return !x.deadline.IsZero() && x.clock.Now().After(x.deadline)
}

func (x *execution) finish(res *Execution, th *thread, out any, f *Failure) *Execution {
	switch {
	case f == nil:
		res.Status = StatusSucceeded
		output := x.encode(out)
		res.Output = json.RawMessage(output)
		x.emit(th, Event{Type: "ExecutionSucceeded", ExecutionSucceededEventDetails: &OutputDetails{Output: output, OutputDetails: notTruncated}})
	case f.Name == errAborted:
		res.Status = StatusAborted
		res.Error, res.Cause = f.stopError, f.Cause
		x.emit(th, Event{Type: "ExecutionAborted", ExecutionAbortedEventDetails: &ErrorDetails{Error: f.stopError, Cause: f.Cause}})
	case x.timedOut.Load():
		res.Status = StatusTimedOut
		res.Error, res.Cause = f.Name, f.Cause
		x.emit(th, Event{Type: "ExecutionTimedOut", ExecutionTimedOutEventDetails: &ErrorDetails{Error: f.Name, Cause: f.Cause}})
	default:
		res.Status = StatusFailed
		res.Error, res.Cause = f.Name, f.Cause
		x.emit(th, Event{Type: "ExecutionFailed", ExecutionFailedEventDetails: &ErrorDetails{Error: f.Name, Cause: f.Cause}})
	}
	res.StopDate = x.clock.Now()
	x.mu.Lock()
	// Nothing is emitted after this: the history is handed over, not copied.
	res.Events = x.events[:len(x.events):len(x.events)]
	x.events = nil
	res.Transitions = x.transitions
	x.mu.Unlock()
	atomic.StoreInt64(&x.m.eventsHint, int64(len(res.Events)))
	atomic.StoreInt64(&x.m.memoHint, x.memo.len())
	return res
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// stopped reports why the execution must stop now, if it must.
func (x *execution) stopped(ctx context.Context) *Failure {
	if x.pastDeadline() {
		x.timedOut.Store(true)
		return failf(ErrTimeout, "the execution timed out")
	}
	if ctx.Err() != nil {
		return &Failure{Name: errAborted, Cause: "the execution was stopped"}
	}
	x.mu.Lock()
	full := x.historyFull
	x.mu.Unlock()
	if full {
		return failf(ErrRuntime, "the execution history reached the limit of %d events", maxHistoryEvents)
	}
	return nil
}

// runMachine runs a machine (the execution, a branch or an iteration) from
// its StartAt to an end.
func (x *execution) runMachine(ctx context.Context, m *Machine, input any, th *thread) (any, *Failure) {
	name := m.StartAt
	for {
		if f := x.stopped(ctx); f != nil {
			return nil, f
		}
		st := m.States[name]
		out, next, f := x.runState(ctx, st, input, th)
		if f != nil {
			return nil, f
		}
		if next == "" {
			return out, nil
		}
		input, name = out, next
	}
}

// contextFor builds $$ for a state when the template reads it.
func (x *execution) contextFor(t *template, st *State, entered time.Time, retries int, th *thread) map[string]any {
	if !t.readsContext {
		return nil
	}
	return x.contextObject(st, entered, retries, th)
}

// contextObject builds $$ for a state.
func (x *execution) contextObject(st *State, entered time.Time, retries int, th *thread) map[string]any {
	c := map[string]any{
		"Execution":    x.ctxObj["Execution"],
		"StateMachine": x.ctxObj["StateMachine"],
		"State": map[string]any{
			"Name":        st.Name,
			"EnteredTime": formatTime(entered),
			"RetryCount":  intValue(int64(retries)),
		},
	}
	if th != nil && th.mapItem != nil {
		c["Map"] = map[string]any{"Item": th.mapItem}
	}
	return c
}
