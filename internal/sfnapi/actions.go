package sfnapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

func (h *Handler) startExecution(r *http.Request, body []byte) (any, error) {
	var in struct {
		StateMachineArn string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
		TraceHeader     string  `json:"traceHeader"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, input, err := checkStart(in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, err
	}
	exec, err := h.backend.Start(r.Context(), in.StateMachineArn, name, input)
	if err != nil {
		return nil, err
	}
	return struct {
		ExecutionArn string `json:"executionArn"`
		StartDate    *epoch `json:"startDate"`
	}{exec.Arn, epochPtr(exec.StartDate)}, nil
}

// checkStart checks StartExecution's and StartSyncExecution's arguments and
// returns the name (generated when none is given) and the input ("{}" when
// none is given).
func checkStart(smArn, name string, in *string) (string, string, error) {
	if _, err := requireArn("stateMachineArn", smArn, "stateMachine"); err != nil {
		return "", "", err
	}
	if name == "" {
		name = newExecutionName()
	} else if !validName(name) {
		return "", "", clientError("InvalidName", "invalid execution name %q: 1-80 characters, no whitespace, brackets, wildcards or any of \"#%%\\^|~`$&,;:/", name)
	}
	input := "{}"
	if in != nil {
		input = *in
	}
	if len(input) > maxInputBytes {
		return "", "", clientError("InvalidExecutionInput", "input is %d bytes; the limit is %d", len(input), maxInputBytes)
	}
	if !json.Valid([]byte(input)) {
		return "", "", clientError("InvalidExecutionInput", "input is not valid JSON")
	}
	return name, input, nil
}

func (h *Handler) describeExecution(r *http.Request, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		IncludedData string `json:"includedData"`
	}
	if err := decodeFor(body, &in, "executionArn", &in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	withData, err := includedData(in.IncludedData)
	if err != nil {
		return nil, err
	}
	exec, err := h.backend.Describe(r.Context(), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return describeOutput(exec, withData), nil
}

func (h *Handler) getExecutionHistory(r *http.Request, body []byte) (any, error) {
	var in struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := decodeFor(body, &in, "executionArn", &in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	events, err := h.backend.History(r.Context(), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		events = slices.Clone(events)
		slices.Reverse(events)
	}
	scope := "history " + in.ExecutionArn + " " + strconv.FormatBool(in.ReverseOrder)
	from, to, next, err := page(scope, in.NextToken, in.MaxResults, len(events))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	for _, ev := range events[from:to] {
		if !withData {
			ev.Details = withoutData(ev.Details)
		}
		out = append(out, historyEventJSON(ev))
	}
	return struct {
		Events    []map[string]any `json:"events"`
		NextToken *string          `json:"nextToken,omitempty"`
	}{out, next}, nil
}

var statuses = []string{StatusRunning, StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted, "PENDING_REDRIVE"}

func (h *Handler) listExecutions(r *http.Request, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
		MapRunArn       string `json:"mapRunArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MapRunArn != "" {
		return nil, clientError("ValidationException", "mapRunArn is not supported: medic runs inline Map states only")
	}
	if _, err := requireArn("stateMachineArn", in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	if in.StatusFilter != "" && !slices.Contains(statuses, in.StatusFilter) {
		return nil, clientError("ValidationException", "statusFilter %q must be one of %v", in.StatusFilter, statuses)
	}
	execs, err := h.backend.List(r.Context(), in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if in.StatusFilter != "" {
		execs = slices.DeleteFunc(slices.Clone(execs), func(e Execution) bool { return e.Status != in.StatusFilter })
	}
	from, to, next, err := page("executions "+in.StateMachineArn+" "+in.StatusFilter, in.NextToken, in.MaxResults, len(execs))
	if err != nil {
		return nil, err
	}
	items := make([]executionListItem, 0, to-from)
	for _, e := range execs[from:to] {
		items = append(items, executionListItem{
			ExecutionArn: e.Arn, StateMachineArn: e.StateMachineArn, Name: e.Name, Status: e.Status,
			StartDate: epochPtr(e.StartDate), StopDate: epochPtr(e.StopDate),
		})
	}
	return struct {
		Executions []executionListItem `json:"executions"`
		NextToken  *string             `json:"nextToken,omitempty"`
	}{items, next}, nil
}

func (h *Handler) stopExecution(r *http.Request, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := decodeFor(body, &in, "executionArn", &in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	if len(in.Error) > 256 {
		return nil, clientError("ValidationException", "error must be at most 256 characters")
	}
	if len(in.Cause) > 32768 {
		return nil, clientError("ValidationException", "cause must be at most 32768 characters")
	}
	exec, err := h.backend.Stop(r.Context(), in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return struct {
		StopDate *epoch `json:"stopDate"`
	}{epochPtr(exec.StopDate)}, nil
}

type stateMachineListItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    *epoch `json:"creationDate"`
}

func (h *Handler) listStateMachines(r *http.Request, body []byte) (any, error) {
	var in struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sms := h.backend.StateMachines()
	from, to, next, err := page("statemachines", in.NextToken, in.MaxResults, len(sms))
	if err != nil {
		return nil, err
	}
	items := make([]stateMachineListItem, 0, to-from)
	for _, sm := range sms[from:to] {
		items = append(items, stateMachineListItem{sm.Arn, sm.Name, "STANDARD", epochPtr(sm.Created)})
	}
	return struct {
		StateMachines []stateMachineListItem `json:"stateMachines"`
		NextToken     *string                `json:"nextToken,omitempty"`
	}{items, next}, nil
}

func (h *Handler) describeStateMachine(r *http.Request, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decodeFor(body, &in, "stateMachineArn", &in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	for _, sm := range h.backend.StateMachines() {
		if sm.Arn == in.StateMachineArn {
			return struct {
				StateMachineArn string `json:"stateMachineArn"`
				Name            string `json:"name"`
				Status          string `json:"status"`
				Definition      string `json:"definition"`
				RoleArn         string `json:"roleArn"`
				Type            string `json:"type"`
				CreationDate    *epoch `json:"creationDate"`
			}{sm.Arn, sm.Name, "ACTIVE", sm.Definition, sm.RoleArn, "STANDARD", epochPtr(sm.Created)}, nil
		}
	}
	return nil, fmt.Errorf("describe %s: %w", in.StateMachineArn, ErrStateMachineDoesNotExist)
}
