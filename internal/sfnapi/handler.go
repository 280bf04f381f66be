package sfnapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

const (
	targetPrefix = "AWSStepFunctions."
	contentType  = "application/x-amz-json-1.0"
	// maxRequestBytes bounds a request body: an execution input is at most
	// 256 KiB, and a request carries little else.
	maxRequestBytes = 1 << 20
	// maxInputBytes is Step Functions' limit on an execution's input.
	maxInputBytes = 262144
)

// Handler serves the Step Functions API over a Backend.
type Handler struct {
	backend Backend
	log     *slog.Logger
}

// NewHandler returns a Handler for b. A nil logger discards internal errors.
func NewHandler(b Backend, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{backend: b, log: log}
}

// apiError is an error response: {"__type": Type, "message": Message}.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func clientError(typ, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typ, Message: fmt.Sprintf(format, args...)}
}

type action func(h *Handler, r *http.Request, body []byte) (any, error)

var actions = map[string]action{
	"StartExecution":       (*Handler).startExecution,
	"DescribeExecution":    (*Handler).describeExecution,
	"GetExecutionHistory":  (*Handler).getExecutionHistory,
	"ListExecutions":       (*Handler).listExecutions,
	"StopExecution":        (*Handler).stopExecution,
	"ListStateMachines":    (*Handler).listStateMachines,
	"DescribeStateMachine": (*Handler).describeStateMachine,

	"DescribeStateMachineForExecution": (*Handler).describeStateMachineForExecution,
	"ValidateStateMachineDefinition":   (*Handler).validateStateMachineDefinition,
	"StartSyncExecution":               (*Handler).startSyncExecution,
	"TestState":                        (*Handler).testState,
}

// ServeHTTP answers one API call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		h.writeError(w, &apiError{Status: http.StatusNotFound, Type: "UnknownOperationException",
			Message: "the Step Functions API is served at POST / with an X-Amz-Target header"})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	act := actions[name]
	if !ok || act == nil {
		h.writeError(w, clientError("UnknownOperationException", "unknown or unsupported operation %q", target))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		h.writeError(w, clientError("ValidationException", "read request body: %v", err))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	out, err := act(h, r, body)
	if err != nil {
		h.writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		h.log.Error("write response", "action", name, "error", err)
	}
}

func (h *Handler) writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = backendError(err)
	}
	if ae.Status >= 500 {
		h.log.Error("internal failure", "error", err)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", ae.Type)
	w.WriteHeader(ae.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Type, "message": ae.Message})
}

// backendError maps a Backend's error to the API error of the same meaning.
func backendError(err error) *apiError {
	for _, m := range []struct {
		sentinel error
		typ      string
	}{
		{ErrExecutionDoesNotExist, "ExecutionDoesNotExist"},
		{ErrStateMachineDoesNotExist, "StateMachineDoesNotExist"},
		{ErrExecutionAlreadyExists, "ExecutionAlreadyExists"},
		{ErrInvalidExecutionInput, "InvalidExecutionInput"},
	} {
		if errors.Is(err, m.sentinel) {
			return clientError(m.typ, "%v", err)
		}
	}
	return &apiError{Status: http.StatusInternalServerError, Type: "InternalFailure", Message: "internal failure: " + err.Error()}
}

// decode reads a request body strictly enough to report mistakes: it must be
// a JSON object whose fields have the right types.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return clientError("SerializationException", "request body: %v", err)
	}
	return nil
}

// decodeFor decodes a request that names one resource: body into in, then
// *arn (in's field, called field on the wire) must be an ARN of resource.
func decodeFor(body []byte, in any, field string, arn *string, resource string) error {
	if err := decode(body, in); err != nil {
		return err
	}
	_, err := requireArn(field, *arn, resource)
	return err
}

func requireArn(field, s, resource string) (Arn, error) {
	if s == "" {
		return Arn{}, clientError("ValidationException", "1 validation error detected: value null at '%s' failed to satisfy constraint: member must not be null", field)
	}
	a, err := ParseArn(s)
	if err != nil {
		return Arn{}, clientError("InvalidArn", "%s: %v", field, err)
	}
	if a.Resource != resource {
		return Arn{}, clientError("InvalidArn", "%s: %q is not a %s ARN", field, s, resource)
	}
	return a, nil
}

// newExecutionName returns a random name like Step Functions' UUIDs.
func newExecutionName() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
