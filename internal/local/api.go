package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/sfnapi"
)

// StopDetails gives the engine StopExecution's error and cause, which it
// records in the ExecutionAborted event (engine.StopDetails).
func (s *stopCause) StopDetails() (string, string) { return s.errorCode, s.cause }

// StartSync runs an execution to its end (sfnapi.SyncStarter, for
// StartSyncExecution). The execution is recorded like any other. If ctx
// ends first (the caller went away), the execution goes on and ctx's
// error is returned.
func (e *Env) StartSync(ctx context.Context, smArn, name, input string) (sfnapi.Execution, error) {
	r, err := e.start(ctx, smArn, name, input)
	if err != nil {
		return sfnapi.Execution{}, err
	}
	select {
	case <-r.done:
		return toAPI(r.snapshot()), nil
	case <-ctx.Done():
		return sfnapi.Execution{}, fmt.Errorf("start %s synchronously: %w", name, ctx.Err())
	}
}

// TestState runs one state with the local task handlers (sfnapi.StateTester).
// Wait states and retry intervals take no real time.
func (e *Env) TestState(ctx context.Context, definition, stateName, input string) (*engine.TestStateResult, error) {
	if _, err := e.Store(ctx); err != nil {
		return nil, err
	}
	e.mu.Lock()
	res := e.resources
	e.mu.Unlock()
	return engine.TestState(ctx, []byte(definition), stateName, json.RawMessage(input), engine.Options{
		Resources:        res,
		Clock:            engine.NewInstantClock(e.opts.EngineClock.Now()),
		ExecutionName:    "TestState",
		StateMachineName: DefaultStateMachineName,
		Region:           sfnapi.Region,
		AccountID:        sfnapi.Account,
		ItemReaderFunc:   e.readItems,
	})
}

var (
	_ sfnapi.SyncStarter = (*Env)(nil)
	_ sfnapi.StateTester = (*Env)(nil)
)

// stateMachineFile records when the local state machine was first set up
// in a state directory: its creationDate.
const stateMachineFile = "state-machine.json"

// stateMachineCreated is the local state machine's creation date: when the
// state directory first held it (recorded there on first use), or now
// without a state directory.
func stateMachineCreated(dir string, now time.Time) (time.Time, error) {
	if dir == "" {
		return now.UTC().Truncate(time.Millisecond), nil
	}
	path := filepath.Join(dir, stateMachineFile)
	var rec struct {
		CreationDate time.Time `json:"creationDate"`
	}
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &rec); err != nil || rec.CreationDate.IsZero() {
			return time.Time{}, fmt.Errorf("read %s: not a state machine record (%v)", path, err)
		}
		return rec.CreationDate, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return time.Time{}, fmt.Errorf("read %s: %w", path, err)
	}
	rec.CreationDate = now.UTC().Truncate(time.Millisecond)
	b, _ = json.Marshal(rec)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return time.Time{}, fmt.Errorf("create state directory: %w", err)
	}
	// Written aside, then linked into place: a reader never sees a part of
	// it, and of two processes that start at once the first one wins.
	tmp, err := os.CreateTemp(dir, stateMachineFile+".*")
	if err != nil {
		return time.Time{}, fmt.Errorf("record the state machine: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return time.Time{}, fmt.Errorf("record the state machine: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return time.Time{}, fmt.Errorf("record the state machine: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return stateMachineCreated(dir, now)
	} else if err != nil {
		return time.Time{}, fmt.Errorf("record the state machine in %s: %w", path, err)
	}
	return rec.CreationDate, nil
}

// recordFields is Record without its JSON methods.
type recordFields Record

// recordJSON is a Record as stored: the input and output are also kept as
// text (inputText, outputText), because encoding/json re-indents and
// re-escapes a json.RawMessage, while DescribeExecution must return them
// exactly as given (AWS does).
type recordJSON struct {
	recordFields
	InputText  *string `json:"inputText,omitempty"`
	OutputText *string `json:"outputText,omitempty"`
}

// MarshalJSON writes the record with its input and output text.
func (r Record) MarshalJSON() ([]byte, error) {
	w := recordJSON{recordFields: recordFields(r)}
	if len(r.Input) > 0 {
		s := string(r.Input)
		w.InputText = &s
	}
	if len(r.Output) > 0 {
		s := string(r.Output)
		w.OutputText = &s
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a record; the text of the input and output wins over
// their JSON form (records written before the text was kept have only the
// JSON form).
func (r *Record) UnmarshalJSON(b []byte) error {
	var w recordJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Record(w.recordFields)
	if w.InputText != nil {
		r.Input = json.RawMessage(*w.InputText)
	}
	if w.OutputText != nil {
		r.Output = json.RawMessage(*w.OutputText)
	}
	return nil
}
