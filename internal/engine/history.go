package engine

import (
	"encoding/json"
	"strconv"
	"time"
)

// Event mirrors a Step Functions HistoryEvent (GetExecutionHistory). It
// marshals in the AWS JSON protocol's shape: camelCase names, the timestamp
// in epoch seconds, and only the details object that belongs to its type.
type Event struct {
	Timestamp       time.Time `json:"-"`
	Type            string    `json:"type"`
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`

	ExecutionStartedEventDetails   *ExecutionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails *OutputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailedEventDetails    *ErrorDetails            `json:"executionFailedEventDetails,omitempty"`
	ExecutionAbortedEventDetails   *ErrorDetails            `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails  *ErrorDetails            `json:"executionTimedOutEventDetails,omitempty"`

	StateEnteredEventDetails *StateEnteredDetails `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails  *StateExitedDetails  `json:"stateExitedEventDetails,omitempty"`

	TaskScheduledEventDetails *TaskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails   *TaskResourceDetails  `json:"taskStartedEventDetails,omitempty"`
	TaskSucceededEventDetails *TaskSucceededDetails `json:"taskSucceededEventDetails,omitempty"`
	TaskFailedEventDetails    *TaskErrorDetails     `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOutEventDetails  *TaskErrorDetails     `json:"taskTimedOutEventDetails,omitempty"`

	LambdaFunctionScheduledEventDetails *LambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails *OutputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails    *ErrorDetails           `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails  *ErrorDetails           `json:"lambdaFunctionTimedOutEventDetails,omitempty"`

	MapStateStartedEventDetails       *MapStateStartedDetails `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails   *MapIterationDetails    `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails *MapIterationDetails    `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails    *MapIterationDetails    `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAbortedEventDetails   *MapIterationDetails    `json:"mapIterationAbortedEventDetails,omitempty"`
	MapRunStartedEventDetails         *MapRunStartedDetails   `json:"mapRunStartedEventDetails,omitempty"`
	MapRunFailedEventDetails          *ErrorDetails           `json:"mapRunFailedEventDetails,omitempty"`
}

// MarshalJSON writes the timestamp as epoch seconds (with milliseconds), as
// the Step Functions API does.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	b, err := json.Marshal(plain(e))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatFloat(float64(e.Timestamp.UnixMilli())/1000, 'f', -1, 64)
	return append([]byte(`{"timestamp":`+ts+`,`), b[1:]...), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	var p struct {
		plain
		TS float64 `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = Event(p.plain)
	e.Timestamp = time.UnixMilli(int64(p.TS * 1000)).UTC()
	return nil
}

// HistoryEventExecutionDataDetails tells whether data was truncated.
type HistoryEventExecutionDataDetails struct {
	Truncated bool `json:"truncated"`
}

// ExecutionStartedDetails is executionStartedEventDetails.
type ExecutionStartedDetails struct {
	Input        string                            `json:"input"`
	InputDetails *HistoryEventExecutionDataDetails `json:"inputDetails,omitempty"`
	RoleArn      string                            `json:"roleArn"`
}

// OutputDetails is the details of an event that carries an output.
type OutputDetails struct {
	Output        string                            `json:"output"`
	OutputDetails *HistoryEventExecutionDataDetails `json:"outputDetails,omitempty"`
}

// ErrorDetails is the details of an event that carries an error and cause.
type ErrorDetails struct {
	Error string `json:"error"`
	Cause string `json:"cause"`
}

// StateEnteredDetails is stateEnteredEventDetails.
type StateEnteredDetails struct {
	Name         string                            `json:"name"`
	Input        string                            `json:"input"`
	InputDetails *HistoryEventExecutionDataDetails `json:"inputDetails,omitempty"`
}

// StateExitedDetails is stateExitedEventDetails.
type StateExitedDetails struct {
	Name          string                            `json:"name"`
	Output        string                            `json:"output"`
	OutputDetails *HistoryEventExecutionDataDetails `json:"outputDetails,omitempty"`
}

// TaskScheduledDetails is taskScheduledEventDetails.
type TaskScheduledDetails struct {
	ResourceType     string `json:"resourceType"`
	Resource         string `json:"resource"`
	Region           string `json:"region"`
	Parameters       string `json:"parameters"`
	TimeoutInSeconds int64  `json:"timeoutInSeconds,omitempty"`
}

// TaskResourceDetails names a task's resource.
type TaskResourceDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
}

// TaskSucceededDetails is taskSucceededEventDetails.
type TaskSucceededDetails struct {
	ResourceType  string                            `json:"resourceType"`
	Resource      string                            `json:"resource"`
	Output        string                            `json:"output"`
	OutputDetails *HistoryEventExecutionDataDetails `json:"outputDetails,omitempty"`
}

// TaskErrorDetails is taskFailedEventDetails and taskTimedOutEventDetails.
type TaskErrorDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
	Error        string `json:"error"`
	Cause        string `json:"cause"`
}

// LambdaScheduledDetails is lambdaFunctionScheduledEventDetails.
type LambdaScheduledDetails struct {
	Resource         string                            `json:"resource"`
	Input            string                            `json:"input"`
	InputDetails     *HistoryEventExecutionDataDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds int64                             `json:"timeoutInSeconds,omitempty"`
}

// MapStateStartedDetails is mapStateStartedEventDetails.
type MapStateStartedDetails struct {
	Length int `json:"length"`
}

// MapIterationDetails names a Map state and an iteration.
type MapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// MapRunStartedDetails is mapRunStartedEventDetails.
type MapRunStartedDetails struct {
	MapRunArn string `json:"mapRunArn"`
}

var notTruncated = &HistoryEventExecutionDataDetails{}
