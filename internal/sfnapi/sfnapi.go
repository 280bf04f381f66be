// Package sfnapi serves the AWS Step Functions API (the AWS JSON 1.0
// protocol: POST /, X-Amz-Target: AWSStepFunctions.<Action>) over a Backend,
// so the AWS CLI, the Go SDK and `medic --endpoint URL` talk to a local medic
// exactly as they talk to Step Functions.
//
// Supported actions: StartExecution, DescribeExecution, GetExecutionHistory,
// ListExecutions, StopExecution, ListStateMachines, DescribeStateMachine,
// DescribeStateMachineForExecution and ValidateStateMachineDefinition (the
// engine's validator); StartSyncExecution and TestState when the Backend is
// also a SyncStarter and a StateTester.
package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Execution statuses, as Step Functions names them.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// StateMachine is one state machine the backend can run.
type StateMachine struct {
	Arn        string
	Name       string
	Definition string
	RoleArn    string
	Created    time.Time
}

// Execution is one run of a state machine.
type Execution struct {
	Arn             string
	Name            string
	StateMachineArn string
	Status          string
	Input           string // JSON
	Output          string // JSON; empty until the execution succeeds
	Error           string
	Cause           string
	StartDate       time.Time
	StopDate        time.Time // zero while running
}

// HistoryEvent is one event of an execution's history, in the shape of
// GetExecutionHistory's events.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	// Type is the Step Functions event type ("TaskStateEntered", ...).
	Type string
	// Details is the event's details object (for TaskStateEntered,
	// {"name": ..., "input": ...}); it is sent under the key Step Functions
	// uses for Type (see DetailsKey). Nil for events without details.
	Details json.RawMessage
}

// Backend runs and records executions. Implementations are safe for
// concurrent use. Errors that callers can act on wrap the sentinel errors
// below; any other error is reported as an internal failure.
type Backend interface {
	// StateMachines lists the state machines, in a stable order.
	StateMachines() []StateMachine
	// Start starts an execution and returns without waiting for it to end.
	// name is never empty: the handler generates one when the caller gives none.
	Start(ctx context.Context, stateMachineArn, name, input string) (Execution, error)
	// Describe returns the execution's current state.
	Describe(ctx context.Context, executionArn string) (Execution, error)
	// History returns the execution's events, oldest first.
	History(ctx context.Context, executionArn string) ([]HistoryEvent, error)
	// List returns the state machine's executions, newest first.
	List(ctx context.Context, stateMachineArn string) ([]Execution, error)
	// Stop aborts a running execution with the given error and cause.
	Stop(ctx context.Context, executionArn, errorCode, cause string) (Execution, error)
}

// Errors a Backend returns (wrapped) for the API errors of the same names.
var (
	ErrExecutionDoesNotExist    = errors.New("execution does not exist")
	ErrStateMachineDoesNotExist = errors.New("state machine does not exist")
	ErrExecutionAlreadyExists   = errors.New("execution already exists")
	ErrInvalidExecutionInput    = errors.New("invalid execution input")
)
