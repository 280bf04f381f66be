package sfnapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// epoch is a timestamp on the wire: seconds since the Unix epoch, with
// milliseconds, as a JSON number.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type details struct {
	Included bool `json:"included"`
}

type executionListItem struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       *epoch `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
}

type describeExecutionOutput struct {
	ExecutionArn    string   `json:"executionArn"`
	StateMachineArn string   `json:"stateMachineArn"`
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	StartDate       *epoch   `json:"startDate"`
	StopDate        *epoch   `json:"stopDate,omitempty"`
	Input           *string  `json:"input,omitempty"`
	InputDetails    details  `json:"inputDetails"`
	Output          *string  `json:"output,omitempty"`
	OutputDetails   *details `json:"outputDetails,omitempty"`
	Error           string   `json:"error,omitempty"`
	Cause           string   `json:"cause,omitempty"`
}

// describeOutput is DescribeExecution's answer; without data (includedData
// METADATA_ONLY) the input and output are left out.
func describeOutput(e Execution, withData bool) describeExecutionOutput {
	out := describeExecutionOutput{
		ExecutionArn: e.Arn, StateMachineArn: e.StateMachineArn, Name: e.Name, Status: e.Status,
		StartDate: epochPtr(e.StartDate), StopDate: epochPtr(e.StopDate),
		InputDetails: details{Included: withData},
		Error:        e.Error, Cause: e.Cause,
	}
	if withData {
		in := e.Input
		out.Input = &in
	}
	if e.Output != "" {
		out.OutputDetails = &details{Included: withData}
		if withData {
			o := e.Output
			out.Output = &o
		}
	}
	return out
}

// historyEvent writes a HistoryEvent with its details under DetailsKey(Type).
func historyEventJSON(ev HistoryEvent) map[string]any {
	m := map[string]any{
		"id":        ev.ID,
		"timestamp": epoch(ev.Timestamp),
		"type":      ev.Type,
	}
	if ev.PreviousEventID != 0 {
		m["previousEventId"] = ev.PreviousEventID
	}
	if len(ev.Details) > 0 && string(ev.Details) != "null" {
		m[DetailsKey(ev.Type)] = json.RawMessage(ev.Details)
	}
	return m
}

// DetailsKey is the field of a history event that holds the details of an
// event of type t: "stateEnteredEventDetails" for every *StateEntered type,
// "stateExitedEventDetails" for every *StateExited type, otherwise the type
// with a lower-case first letter followed by "EventDetails"
// ("TaskScheduled" → "taskScheduledEventDetails").
func DetailsKey(t string) string {
	switch {
	case strings.HasSuffix(t, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(t, "StateExited"):
		return "stateExitedEventDetails"
	case t == "":
		return "eventDetails"
	}
	return strings.ToLower(t[:1]) + t[1:] + "EventDetails"
}
