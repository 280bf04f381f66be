package engine

import (
	"fmt"
	"slices"
)

// Error names Step Functions raises.
const (
	ErrAll                    = "States.ALL"
	ErrTaskFailed             = "States.TaskFailed"
	ErrRuntime                = "States.Runtime"
	ErrTimeout                = "States.Timeout"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrBranchFailed           = "States.BranchFailed"
	ErrPermissions            = "States.Permissions"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed       = "States.ItemReaderFailed"
	ErrResultWriterFailed     = "States.ResultWriterFailed"
	ErrQueryEvaluationError   = "States.QueryEvaluationError"
	errLambdaResourceNotFound = "Lambda.ResourceNotFoundException"
	errAborted                = "States.Aborted"
)

// Failure is an error with a Step Functions error name and cause, as a state
// or the execution fails with it.
type Failure struct {
	Name  string `json:"Error"`
	Cause string `json:"Cause"`
	// stopError is StopExecution's error code when Name is errAborted.
	stopError string
}

func (f *Failure) Error() string { return fmt.Sprintf("%s: %s", f.Name, f.Cause) }

func failf(name, format string, args ...any) *Failure {
	return &Failure{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// TaskError is what a Func returns to fail with a given error name (Lambda's
// errorType) and cause.
type TaskError struct{ Name, Cause string }

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// matches reports whether a Retrier's or Catcher's ErrorEquals list matches
// the error name, as Step Functions does: States.ALL matches everything but
// States.Runtime and States.DataLimitExceeded; States.TaskFailed matches every
// error of a task except States.Timeout (and those two).
func matches(errorEquals []string, name string) bool {
	if slices.Contains(errorEquals, name) {
		return name != ErrRuntime
	}
	if name == ErrRuntime || name == ErrDataLimitExceeded {
		return false
	}
	if slices.Contains(errorEquals, ErrAll) {
		return true
	}
	return name != ErrTimeout && slices.Contains(errorEquals, ErrTaskFailed)
}
