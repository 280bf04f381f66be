package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/sfnapi"
)

// Record is one execution as kept in StateDir/executions/<name>.json.
type Record struct {
	Arn             string          `json:"executionArn"`
	Name            string          `json:"name"`
	StateMachineArn string          `json:"stateMachineArn"`
	Status          string          `json:"status"`
	Input           json.RawMessage `json:"input"`
	Output          json.RawMessage `json:"output,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	StartDate       time.Time       `json:"startDate"`
	StopDate        time.Time       `json:"stopDate,omitzero"`
	Transitions     int             `json:"transitions"`
	Events          []engine.Event  `json:"events"`
	// PID is the process that ran the execution; a RUNNING record whose
	// process is gone is reported as ABORTED.
	PID int `json:"pid,omitempty"`
	// HistoryLost, when set, says why the execution's record holds its
	// outcome but not its events: the full record could not be saved (a
	// full disk), and this smaller one was.
	HistoryLost string `json:"historyLost,omitempty"`
}

// RecordError is an execution whose final record could not be saved in
// the state directory (a full disk, most often). The execution itself
// ended as its record says: this process keeps that record in memory.
type RecordError struct {
	Execution string
	// Status is how the execution ended.
	Status string
	// Saved says what is on disk instead: the outcome without the
	// history, or nothing newer than the RUNNING record.
	Saved string
	Err   error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("execution %s %s, but its record could not be saved (%v); %s", e.Execution, e.Status, e.Err, e.Saved)
}

// Unwrap returns the write error.
func (e *RecordError) Unwrap() error { return e.Err }

// running is an execution in progress in this process.
type running struct {
	mu     sync.Mutex
	rec    Record
	cancel context.CancelCauseFunc
	done   chan struct{}
}

func (r *running) snapshot() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.rec
	rec.Events = slices.Clone(r.rec.Events)
	return rec
}

// stopCause is the error and cause StopExecution asked for.
type stopCause struct{ errorCode, cause string }

func (s *stopCause) Error() string { return "stopped: " + s.errorCode + ": " + s.cause }

// Start starts an execution in the background (sfnapi.Backend).
func (e *Env) Start(ctx context.Context, smArn, name, input string) (sfnapi.Execution, error) {
	r, err := e.start(ctx, smArn, name, input)
	if err != nil {
		return sfnapi.Execution{}, err
	}
	return toAPI(r.snapshot()), nil
}

// Run runs an execution to its end and returns its record. Cancelling ctx
// aborts the execution.
func (e *Env) Run(ctx context.Context, name, input string) (Record, error) {
	r, err := e.start(ctx, e.smArn, name, input)
	if err != nil {
		return Record{}, err
	}
	stop := context.AfterFunc(ctx, func() { r.cancel(&stopCause{"Interrupted", "the run was interrupted"}) })
	defer stop()
	<-r.done
	return r.snapshot(), e.RecordError(r.rec.Arn)
}

// RecordError returns the *RecordError of an execution of this Env whose
// final record could not be saved, or nil.
func (e *Env) RecordError(arn string) error {
	e.memMu.Lock()
	defer e.memMu.Unlock()
	if err, ok := e.saveErrs[arn]; ok {
		return err
	}
	return nil
}

func (e *Env) start(ctx context.Context, smArn, name, input string) (*running, error) {
	if smArn != e.smArn {
		return nil, fmt.Errorf("start %s: %w (the local state machine is %s)", smArn, sfnapi.ErrStateMachineDoesNotExist, e.smArn)
	}
	if !json.Valid([]byte(input)) {
		return nil, fmt.Errorf("start %s: %w: not JSON", name, sfnapi.ErrInvalidExecutionInput)
	}
	if _, err := e.Store(ctx); err != nil {
		return nil, err
	}
	arn := sfnapi.ExecutionArn(smArn, name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errors.New("the local environment is closed")
	}
	if _, ok := e.running[arn]; ok {
		return nil, fmt.Errorf("start %s: %w", name, sfnapi.ErrExecutionAlreadyExists)
	}
	if e.recordedLocked(arn, name) {
		return nil, fmt.Errorf("start %s: %w", name, sfnapi.ErrExecutionAlreadyExists)
	}
	runCtx, cancel := context.WithCancelCause(context.Background())
	r := &running{
		rec: Record{
			Arn: arn, Name: name, StateMachineArn: smArn, Status: sfnapi.StatusRunning,
			Input: json.RawMessage(input), StartDate: e.opts.EngineClock.Now(), PID: os.Getpid(),
		},
		cancel: cancel,
		done:   make(chan struct{}),
	}
	// Registered before its RUNNING record is written, so a reader that
	// finds that record can always tell this live execution from one left
	// behind (see readRecord).
	e.running[arn] = r
	live.add(e.recordPath(name), r)
	if err := e.writeRecord(r.rec); err != nil {
		delete(e.running, arn)
		live.remove(e.recordPath(name))
		cancel(nil)
		return nil, err
	}
	e.wg.Add(1)
	go e.execute(runCtx, r)
	return r, nil
}

func (e *Env) execute(ctx context.Context, r *running) {
	defer e.wg.Done()
	defer close(r.done)
	res := e.machine.Run(ctx, r.rec.Input, engine.Options{
		Resources:        e.resources,
		Clock:            e.opts.EngineClock,
		ExecutionName:    r.rec.Name,
		StateMachineName: DefaultStateMachineName,
		Region:           sfnapi.Region,
		AccountID:        sfnapi.Account,
		ItemReaderFunc:   e.readItems,
		OnEvent: func(ev engine.Event) {
			r.mu.Lock()
			r.rec.Events = append(r.rec.Events, ev)
			r.mu.Unlock()
		},
	})
	r.mu.Lock()
	r.rec.Status = res.Status
	r.rec.Output = res.Output
	r.rec.Error, r.rec.Cause = res.Error, res.Cause
	if sc := (*stopCause)(nil); errors.As(context.Cause(ctx), &sc) && res.Status == engine.StatusAborted {
		r.rec.Error, r.rec.Cause = sc.errorCode, sc.cause
	}
	r.rec.StartDate, r.rec.StopDate = res.StartDate, res.StopDate
	if r.rec.StopDate.IsZero() {
		r.rec.StopDate = e.opts.EngineClock.Now()
	}
	r.rec.Transitions = res.Transitions
	r.rec.Events = res.Events
	rec := r.rec
	r.mu.Unlock()
	e.saveFinal(rec)
	// Unregistered only once the final record is in place (on disk, or in
	// memory when it cannot be saved): a reader that no longer finds it
	// running reads the final record.
	e.mu.Lock()
	delete(e.running, rec.Arn)
	e.mu.Unlock()
	live.remove(e.recordPath(rec.Name))
}

// saveFinal writes an execution's final record. When that fails (a full
// disk), it writes the outcome without the history instead, and when that
// fails too the RUNNING record stays on disk; either way this process
// keeps the full record in memory, so that it reports how the execution
// really ended, and RecordError says what could not be saved and why.
func (e *Env) saveFinal(rec Record) {
	err := e.writeRecord(rec)
	if err == nil {
		return
	}
	rerr := &RecordError{Execution: rec.Name, Status: rec.Status, Err: err}
	small := rec
	small.Events = nil
	small.HistoryLost = fmt.Sprintf("the history could not be saved: %v", err)
	if err2 := e.writeRecord(small); err2 == nil {
		rerr.Saved = "only its outcome was saved, without the history"
	} else {
		rerr.Saved = fmt.Sprintf("its outcome could not be saved either (%v): other processes will list it as ABORTED", err2)
	}
	e.opts.Log.Error("record execution", "execution", rec.Name, "error", rerr.Error())
	e.memMu.Lock()
	if e.unsaved == nil {
		e.unsaved = map[string]Record{}
		e.saveErrs = map[string]error{}
	}
	e.unsaved[rec.Arn] = rec
	e.saveErrs[rec.Arn] = rerr
	e.memMu.Unlock()
}

// unsavedRecord returns the final record of an execution of this Env that
// could not be saved.
func (e *Env) unsavedRecord(arn string) (Record, bool) {
	e.memMu.Lock()
	defer e.memMu.Unlock()
	rec, ok := e.unsaved[arn]
	return rec, ok
}

// Describe returns an execution (sfnapi.Backend).
func (e *Env) Describe(_ context.Context, arn string) (sfnapi.Execution, error) {
	rec, err := e.record(arn)
	if err != nil {
		return sfnapi.Execution{}, err
	}
	return toAPI(rec), nil
}

// History returns an execution's events (sfnapi.Backend).
func (e *Env) History(_ context.Context, arn string) ([]sfnapi.HistoryEvent, error) {
	rec, err := e.record(arn)
	if err != nil {
		return nil, err
	}
	out := make([]sfnapi.HistoryEvent, 0, len(rec.Events))
	for _, ev := range rec.Events {
		he, err := historyEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", rec.Name, err)
		}
		out = append(out, he)
	}
	return out, nil
}

// List returns the executions, newest first (sfnapi.Backend).
func (e *Env) List(_ context.Context, smArn string) ([]sfnapi.Execution, error) {
	if smArn != e.smArn {
		return nil, fmt.Errorf("list %s: %w", smArn, sfnapi.ErrStateMachineDoesNotExist)
	}
	recs, err := e.Records()
	if err != nil {
		return nil, err
	}
	out := make([]sfnapi.Execution, 0, len(recs))
	for _, r := range recs {
		out = append(out, toAPI(r))
	}
	return out, nil
}

// Stop aborts a running execution (sfnapi.Backend).
func (e *Env) Stop(_ context.Context, arn, errorCode, cause string) (sfnapi.Execution, error) {
	e.mu.Lock()
	r, ok := e.running[arn]
	e.mu.Unlock()
	if ok {
		r.cancel(&stopCause{errorCode, cause})
		<-r.done
		return toAPI(r.snapshot()), nil
	}
	rec, err := e.record(arn)
	if err != nil {
		return sfnapi.Execution{}, err
	}
	return toAPI(rec), nil // already ended: StopExecution does nothing
}

// StateMachines lists the one local state machine (sfnapi.Backend).
func (e *Env) StateMachines() []sfnapi.StateMachine {
	return []sfnapi.StateMachine{{
		Arn: e.smArn, Name: DefaultStateMachineName, Definition: e.definition,
		RoleArn: "arn:aws:iam::" + sfnapi.Account + ":role/medic-local", Created: e.created,
	}}
}

var _ sfnapi.Backend = (*Env)(nil)

// Records lists the recorded executions, newest first.
func (e *Env) Records() ([]Record, error) {
	byArn := map[string]Record{}
	if e.opts.StateDir != "" {
		entries, err := os.ReadDir(e.executionsDir())
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		for _, de := range entries {
			name, ok := strings.CutSuffix(de.Name(), ".json")
			if !ok || de.IsDir() {
				continue
			}
			rec, err := e.readRecord(name)
			if errors.Is(err, sfnapi.ErrExecutionDoesNotExist) {
				continue // removed since the listing
			}
			if err != nil {
				return nil, err
			}
			byArn[rec.Arn] = rec
		}
	} else {
		e.memMu.Lock()
		names := make([]string, 0, len(e.memory))
		for _, rec := range e.memory {
			names = append(names, rec.Name)
		}
		e.memMu.Unlock()
		for _, name := range names {
			rec, err := e.readRecord(name)
			if err != nil {
				return nil, err
			}
			byArn[rec.Arn] = rec
		}
	}
	// Started since the listing: their records may not have been seen.
	e.mu.Lock()
	for arn, r := range e.running {
		if _, ok := byArn[arn]; !ok {
			byArn[arn] = r.snapshot()
		}
	}
	e.mu.Unlock()
	out := make([]Record, 0, len(byArn))
	for _, r := range byArn {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := b.StartDate.Compare(a.StartDate); c != 0 {
			return c
		}
		return strings.Compare(b.Name, a.Name)
	})
	return out, nil
}

func (e *Env) record(arn string) (Record, error) {
	a, err := sfnapi.ParseArn(arn)
	if err != nil || a.Resource != "execution" {
		return Record{}, fmt.Errorf("%s: %w", arn, sfnapi.ErrExecutionDoesNotExist)
	}
	if sfnapi.ExecutionArn(e.smArn, a.Execution) != arn {
		return Record{}, fmt.Errorf("%s: %w", arn, sfnapi.ErrExecutionDoesNotExist)
	}
	return e.readRecord(a.Execution)
}

// recordedLocked reports whether an execution is recorded; e.mu is held.
func (e *Env) recordedLocked(arn, name string) bool {
	if e.opts.StateDir == "" {
		e.memMu.Lock()
		defer e.memMu.Unlock()
		_, ok := e.memory[arn]
		return ok
	}
	_, err := os.Stat(filepath.Join(e.executionsDir(), name+".json"))
	return err == nil
}

// readRecord reads an execution by name: a live one of this process from
// memory, any other from its record.
//
// An execution of this process is registered (e.running, and the
// process-wide live set) before its RUNNING record is written and
// unregistered only after its final record has replaced it. So a RUNNING
// record of this process whose execution is not registered is either one
// that finished a moment ago (its final record is now in place: read it
// again) or one that an earlier Env of this process left behind; only the
// latter is reported ABORTED. A RUNNING record of another process is
// ABORTED when that process is gone.
func (e *Env) readRecord(name string) (Record, error) {
	arn := sfnapi.ExecutionArn(e.smArn, name)
	if r := e.runningExecution(arn); r != nil {
		return r.snapshot(), nil
	}
	if rec, ok := e.unsavedRecord(arn); ok {
		return rec, nil
	}
	rec, err := e.loadRecord(name)
	if err != nil || rec.Status != sfnapi.StatusRunning {
		return rec, err
	}
	if rec.PID != os.Getpid() {
		if !processAlive(rec.PID) {
			rec.Status, rec.Error, rec.Cause = sfnapi.StatusAborted, "medic.Interrupted", "the process running it stopped"
		}
		return rec, nil
	}
	if r := e.runningExecution(arn); r != nil {
		return r.snapshot(), nil
	}
	if r := live.get(e.recordPath(name)); r != nil {
		return r.snapshot(), nil // another Env of this process runs it
	}
	if rec, ok := e.unsavedRecord(arn); ok {
		return rec, nil // it ended a moment ago and could not be saved
	}
	if rec, err = e.loadRecord(name); err != nil || rec.Status != sfnapi.StatusRunning {
		return rec, err
	}
	rec.Status, rec.Error, rec.Cause = sfnapi.StatusAborted, "medic.Interrupted", "the process running it stopped"
	return rec, nil
}

func (e *Env) runningExecution(arn string) *running {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running[arn]
}

// loadRecord reads an execution's stored record as it is.
func (e *Env) loadRecord(name string) (Record, error) {
	if e.opts.StateDir == "" {
		e.memMu.Lock()
		defer e.memMu.Unlock()
		if rec, ok := e.memory[sfnapi.ExecutionArn(e.smArn, name)]; ok {
			return rec, nil
		}
		return Record{}, fmt.Errorf("execution %s: %w", name, sfnapi.ErrExecutionDoesNotExist)
	}
	path := e.recordPath(name)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, fmt.Errorf("execution %s: %w", name, sfnapi.ErrExecutionDoesNotExist)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read %s: %w", path, err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, fmt.Errorf("read %s: %w", path, err)
	}
	return rec, nil
}

// recordPath is where an execution's record is kept ("" with no StateDir).
func (e *Env) recordPath(name string) string {
	if e.opts.StateDir == "" {
		return ""
	}
	return filepath.Join(e.executionsDir(), name+".json")
}

// liveSet is the executions running in this process, by record path, across
// every Env of the process.
type liveSet struct {
	mu sync.Mutex
	m  map[string]*running
}

var live = &liveSet{m: map[string]*running{}}

func (l *liveSet) add(path string, r *running) {
	if path == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[path] = r
}

func (l *liveSet) remove(path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, path)
}

func (l *liveSet) get(path string) *running {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[path]
}

func (e *Env) writeRecord(rec Record) error {
	if e.opts.StateDir == "" {
		e.memMu.Lock()
		if e.memory == nil {
			e.memory = map[string]Record{}
		}
		e.memory[rec.Arn] = rec
		e.memMu.Unlock()
		return nil
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("record execution %s: %w", rec.Name, err)
	}
	if err := e.replaceFile(e.recordPath(rec.Name), b); err != nil {
		return fmt.Errorf("record execution %s: %w", rec.Name, err)
	}
	return nil
}

// replaceFile replaces path with b, whole or not at all: b goes to a new
// temporary file in the same directory, which is synced and renamed over
// path. On any failure the temporary file is removed and path is left as
// it was. The error names the file and the cause (ENOSPC: "no space left
// on device").
func (e *Env) replaceFile(path string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	write := e.writeFile
	if write == nil {
		write = (*os.File).Write
	}
	if _, err := write(f, b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	return os.Rename(tmp, path)
}

func toAPI(r Record) sfnapi.Execution {
	return sfnapi.Execution{
		Arn: r.Arn, Name: r.Name, StateMachineArn: r.StateMachineArn, Status: r.Status,
		Input: string(r.Input), Output: string(r.Output), Error: r.Error, Cause: r.Cause,
		StartDate: r.StartDate, StopDate: r.StopDate,
	}
}

// historyEvent converts an engine event to the API's shape: the engine
// marshals its events as GetExecutionHistory does, so the details object is
// taken from there.
func historyEvent(ev engine.Event) (sfnapi.HistoryEvent, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return sfnapi.HistoryEvent{}, fmt.Errorf("encode event %d: %w", ev.ID, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return sfnapi.HistoryEvent{}, fmt.Errorf("decode event %d: %w", ev.ID, err)
	}
	return sfnapi.HistoryEvent{
		ID: ev.ID, PreviousEventID: ev.PreviousEventID, Timestamp: ev.Timestamp, Type: ev.Type,
		Details: m[sfnapi.DetailsKey(ev.Type)],
	}, nil
}
