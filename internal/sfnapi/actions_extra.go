package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/medic-dev/medic/internal/engine"
)

// SyncStarter is a Backend that can run an execution to its end and
// answer StartSyncExecution.
type SyncStarter interface {
	// StartSync starts an execution and returns once it has ended.
	StartSync(ctx context.Context, stateMachineArn, name, input string) (Execution, error)
}

// StateTester is a Backend that can run one state on its own and answer
// TestState.
type StateTester interface {
	// TestState runs the state definition (one state's JSON, named
	// stateName or "TestState") once with input.
	TestState(ctx context.Context, definition, stateName, input string) (*engine.TestStateResult, error)
}

// includedData reads DescribeExecution's and StartSyncExecution's
// includedData: ALL_DATA (the default) or METADATA_ONLY.
func includedData(v string) (bool, error) {
	switch v {
	case "", "ALL_DATA":
		return true, nil
	case "METADATA_ONLY":
		return false, nil
	}
	return false, clientError("ValidationException", "includedData %q must be ALL_DATA or METADATA_ONLY", v)
}

// withoutData removes the execution data (input, output) from a history
// event's details, as GetExecutionHistory does with includeExecutionData
// false.
func withoutData(d json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if len(d) == 0 || json.Unmarshal(d, &m) != nil {
		return d
	}
	_, in := m["input"]
	_, out := m["output"]
	if !in && !out {
		return d
	}
	delete(m, "input")
	delete(m, "output")
	b, err := json.Marshal(m)
	if err != nil {
		return d
	}
	return b
}

func (h *Handler) describeStateMachineForExecution(r *http.Request, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		IncludedData string `json:"includedData"`
	}
	if err := decodeFor(body, &in, "executionArn", &in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	exec, err := h.backend.Describe(r.Context(), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	for _, sm := range h.backend.StateMachines() {
		if sm.Arn == exec.StateMachineArn {
			return struct {
				StateMachineArn string `json:"stateMachineArn"`
				Name            string `json:"name"`
				Definition      string `json:"definition"`
				RoleArn         string `json:"roleArn"`
				UpdateDate      *epoch `json:"updateDate"`
			}{sm.Arn, sm.Name, sm.Definition, sm.RoleArn, epochPtr(sm.Created)}, nil
		}
	}
	return nil, fmt.Errorf("state machine of %s: %w", in.ExecutionArn, ErrStateMachineDoesNotExist)
}

type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func (h *Handler) validateStateMachineDefinition(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Definition *string `json:"definition"`
		Type       string  `json:"type"`
		Severity   string  `json:"severity"`
		MaxResults int     `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, clientError("ValidationException", "1 validation error detected: value null at 'definition' failed to satisfy constraint: member must not be null")
	}
	switch in.Type {
	case "", "STANDARD", "EXPRESS":
	default:
		return nil, clientError("ValidationException", "type %q must be STANDARD or EXPRESS", in.Type)
	}
	switch in.Severity {
	case "", "ERROR", "WARNING":
	default:
		return nil, clientError("ValidationException", "severity %q must be ERROR or WARNING", in.Severity)
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, clientError("ValidationException", "maxResults must be between 0 and 100")
	}
	diags := []diagnostic{}
	if _, err := engine.Parse([]byte(*in.Definition)); err != nil {
		var ve *engine.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		for _, p := range ve.Problems {
			code := "SCHEMA_VALIDATION_FAILED"
			if strings.HasPrefix(p, "definition is not JSON") {
				code = "INVALID_JSON_DESCRIPTION"
			}
			diags = append(diags, diagnostic{Severity: "ERROR", Code: code, Message: p})
		}
	}
	result := "OK"
	if len(diags) > 0 {
		result = "FAIL"
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = 100
	}
	truncated := len(diags) > limit
	if truncated {
		diags = diags[:limit]
	}
	return struct {
		Result      string       `json:"result"`
		Diagnostics []diagnostic `json:"diagnostics"`
		Truncated   bool         `json:"truncated"`
	}{result, diags, truncated}, nil
}

func (h *Handler) startSyncExecution(r *http.Request, body []byte) (any, error) {
	ss, ok := h.backend.(SyncStarter)
	if !ok {
		return nil, clientError("UnknownOperationException", "StartSyncExecution is not supported by this endpoint")
	}
	var in struct {
		StateMachineArn string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
		TraceHeader     string  `json:"traceHeader"`
		IncludedData    string  `json:"includedData"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	withData, err := includedData(in.IncludedData)
	if err != nil {
		return nil, err
	}
	name, input, err := checkStart(in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, err
	}
	exec, err := ss.StartSync(r.Context(), in.StateMachineArn, name, input)
	if err != nil {
		return nil, err
	}
	out := describeOutput(exec, withData)
	return struct {
		describeExecutionOutput
		BillingDetails struct {
			BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
			BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
		} `json:"billingDetails"`
	}{describeExecutionOutput: out}, nil
}

type inspectionData struct {
	Input               string `json:"input,omitempty"`
	AfterInputPath      string `json:"afterInputPath,omitempty"`
	AfterParameters     string `json:"afterParameters,omitempty"`
	Result              string `json:"result,omitempty"`
	AfterResultSelector string `json:"afterResultSelector,omitempty"`
	AfterResultPath     string `json:"afterResultPath,omitempty"`
}

func (h *Handler) testState(r *http.Request, body []byte) (any, error) {
	st, ok := h.backend.(StateTester)
	if !ok {
		return nil, clientError("UnknownOperationException", "TestState is not supported by this endpoint")
	}
	var in struct {
		Definition      *string `json:"definition"`
		RoleArn         string  `json:"roleArn"`
		Input           *string `json:"input"`
		InspectionLevel string  `json:"inspectionLevel"`
		RevealSecrets   bool    `json:"revealSecrets"`
		StateName       string  `json:"stateName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, clientError("ValidationException", "1 validation error detected: value null at 'definition' failed to satisfy constraint: member must not be null")
	}
	switch in.InspectionLevel {
	case "", "INFO", "DEBUG", "TRACE":
	default:
		return nil, clientError("ValidationException", "inspectionLevel %q must be INFO, DEBUG or TRACE", in.InspectionLevel)
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if len(input) > maxInputBytes {
		return nil, clientError("InvalidExecutionInput", "input is %d bytes; the limit is %d", len(input), maxInputBytes)
	}
	if !json.Valid([]byte(input)) {
		return nil, clientError("InvalidExecutionInput", "input is not valid JSON")
	}
	res, err := st.TestState(r.Context(), *in.Definition, in.StateName, input)
	var ve *engine.ValidationError
	if errors.As(err, &ve) {
		return nil, clientError("InvalidDefinition", "%s", strings.Join(ve.Problems, "; "))
	}
	if err != nil {
		return nil, err
	}
	out := struct {
		Output         *string         `json:"output,omitempty"`
		Error          string          `json:"error,omitempty"`
		Cause          string          `json:"cause,omitempty"`
		InspectionData *inspectionData `json:"inspectionData,omitempty"`
		NextState      string          `json:"nextState,omitempty"`
		Status         string          `json:"status"`
	}{Error: res.Error, Cause: res.Cause, NextState: res.NextState, Status: res.Status}
	if len(res.Output) > 0 {
		o := string(res.Output)
		out.Output = &o
	}
	if in.InspectionLevel == "DEBUG" || in.InspectionLevel == "TRACE" {
		i := res.Inspection
		out.InspectionData = &inspectionData{i.Input, i.AfterInputPath, i.AfterParameters, i.Result, i.AfterResultSelector, i.AfterResultPath}
	}
	return out, nil
}
