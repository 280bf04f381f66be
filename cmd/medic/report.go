package main

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/target"
)

// report is what one execution found, read from its history. It is also
// the --json output.
type report struct {
	Execution    string         `json:"execution"`
	ExecutionArn string         `json:"executionArn"`
	ConsoleURL   string         `json:"consoleUrl,omitempty"`
	Status       string         `json:"status"`
	Error        string         `json:"error,omitempty"`
	Cause        string         `json:"cause,omitempty"`
	StartDate    time.Time      `json:"startDate"`
	StopDate     time.Time      `json:"stopDate,omitzero"`
	Trigger      string         `json:"trigger,omitempty"`
	Requested    []string       `json:"requested,omitempty"`
	Targets      []targetReport `json:"targets"`
	// Problems are targets or pulse files LoadTargets skipped.
	Problems     []target.Problem `json:"problems,omitempty"`
	ProblemCount int              `json:"problemCount,omitempty"`
	// ProbeError is the ProbeTargets Map's error when more batches
	// failed than it tolerates (the run still decides every target).
	ProbeError string         `json:"probeError,omitempty"`
	Statuses   map[string]int `json:"statuses,omitempty"`
	Changes    []change       `json:"changes"`
	// ChangeCount is the number of status changes, including those left
	// out of Changes (CheckStaleness lists at most 50).
	ChangeCount int           `json:"changeCount"`
	Notify      *notifyResult `json:"notify,omitempty"`
	NotifyError string        `json:"notifyError,omitempty"`
	// ResultsIn is set when the targets' results are not in the report
	// (they are not in the run's history, and the CLI could not read them
	// from the bucket): where they are, as s3://<bucket>/echo/batch/.
	ResultsIn string `json:"resultsIn,omitempty"`

	// targetList is where the run's LoadTargets wrote the targets (nil
	// when LoadTargets did not succeed).
	targetList *targetListRef
	// replaced is set when the bucket was read but holds none of the
	// run's results: each echo object keeps its targets' latest results,
	// and a later run has rewritten them.
	replaced bool
	// wide prints the latency's phases in the table.
	wide bool
	// stateIn is where every target's status is kept (s3://bucket/...),
	// when known; named when the changes are cut.
	stateIn string
}

// targetListRef is LoadTargets' targetList.
type targetListRef struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// targetReport is one target's line.
type targetReport struct {
	Name string `json:"name"`
	// Group is the target's group in the targets file, if it has one.
	Group string `json:"group,omitempty"`
	// Status is UP, DOWN, STALE or UNKNOWN after the run, when known
	// (locally, from state/status.json); empty otherwise.
	Status string `json:"status,omitempty"`
	// Checked tells whether this run probed the target.
	Checked bool `json:"checked"`
	// Skipped says why the target was not probed (a push target is checked
	// by its heartbeat's age only).
	Skipped    string   `json:"skipped,omitempty"`
	Up         bool     `json:"up"`
	LatencyMS  float64  `json:"latencyMs,omitempty"`
	StatusCode int      `json:"statusCode,omitempty"`
	Failures   []string `json:"failures,omitempty"`
	// Phases split the latency: DNS, connect, TLS and first byte.
	Phases *probe.Phases `json:"phases,omitempty"`
}

type change struct {
	Target string `json:"target"`
	From   string `json:"from"`
	To     string `json:"to"`
	Since  string `json:"since,omitempty"`
}

type notifyResult struct {
	Delivered int `json:"delivered"`
	Rejected  int `json:"rejected"`
	Pending   int `json:"pending"`
	Dropped   int `json:"dropped"`
}

// State outputs, as the definition shapes them (see statemachines/).
type (
	loadOutput struct {
		Trigger    string         `json:"trigger"`
		Requested  []string       `json:"requested"`
		TargetList *targetListRef `json:"targetList"`
		Summary    struct {
			Targets      int              `json:"targets"`
			Batches      int              `json:"batches"`
			Problems     []target.Problem `json:"problems"`
			ProblemCount int              `json:"problemCount"`
		} `json:"summary"`
	}
	probeTargetsOutput struct {
		ProbeError *struct {
			Error string `json:"Error"`
			Cause string `json:"Cause"`
		} `json:"probeError"`
	}
	staleOutput struct {
		Statuses    map[string]int `json:"statuses"`
		Changes     []change       `json:"changes"`
		ChangeCount *int           `json:"changeCount"`
		Pending     int            `json:"pending"`
	}
	doneOutput struct {
		Notify      *notifyResult `json:"notify"`
		NotifyError *struct {
			Error string `json:"Error"`
			Cause string `json:"Cause"`
		} `json:"notifyError"`
	}
)

// changeCount is the number of changes, listed or not.
func (so *staleOutput) changeCount() int {
	if so.ChangeCount != nil {
		return *so.ChangeCount
	}
	return len(so.Changes)
}

// buildReport reads an execution's history into a report.
func buildReport(x *execution) *report {
	d := x.desc
	r := &report{
		Execution:    aws.ToString(d.Name),
		ExecutionArn: aws.ToString(d.ExecutionArn),
		Status:       string(d.Status),
		Error:        aws.ToString(d.Error),
		Cause:        aws.ToString(d.Cause),
		Changes:      []change{},
		Targets:      []targetReport{},
	}
	if d.StartDate != nil {
		r.StartDate = *d.StartDate
	}
	if d.StopDate != nil {
		r.StopDate = *d.StopDate
	}
	for _, ev := range x.events {
		exited := ev.StateExitedEventDetails
		if exited == nil {
			continue
		}
		out := []byte(aws.ToString(exited.Output))
		switch aws.ToString(exited.Name) {
		case "LoadTargets":
			var lo loadOutput
			if json.Unmarshal(out, &lo) == nil {
				r.Trigger, r.Requested = lo.Trigger, lo.Requested
				r.Problems, r.ProblemCount = lo.Summary.Problems, lo.Summary.ProblemCount
				r.targetList = lo.TargetList
			}
		case "ProbeTargets":
			var pt probeTargetsOutput
			if json.Unmarshal(out, &pt) == nil && pt.ProbeError != nil {
				r.ProbeError = pt.ProbeError.Error + ": " + pt.ProbeError.Cause
			}
		case "CheckStaleness":
			var so staleOutput
			if json.Unmarshal(out, &so) == nil {
				r.Statuses = so.Statuses
				if so.Changes != nil {
					r.Changes = so.Changes
				}
				r.ChangeCount = so.changeCount()
			}
		}
	}
	var do doneOutput
	if json.Unmarshal([]byte(aws.ToString(d.Output)), &do) == nil {
		r.Notify = do.Notify
		if do.NotifyError != nil {
			r.NotifyError = do.NotifyError.Error + ": " + do.NotifyError.Cause
		}
	}
	if r.resultsMissing() {
		r.ResultsIn = batchEchoURL(r.targetList.Bucket)
	}
	return r
}

// resultsMissing reports whether the run's targets' results are still to
// be read: they are not in its history but in the echo objects, written
// by Express child executions.
func (r *report) resultsMissing() bool {
	return r.targetList != nil && len(r.Targets) == 0
}

// setResult records one probe result on t.
func (t *targetReport) setResult(res probe.Result) {
	if res.Skipped != "" {
		t.Skipped = res.Skipped
		return
	}
	t.Checked, t.Up, t.LatencyMS, t.StatusCode, t.Failures, t.Phases = true, res.Up, res.LatencyMS, res.StatusCode, res.Failures, res.Phases
}

// applyStatuses sets each target's status (and group, when the run did not
// say) from the stored state.
func (r *report) applyStatuses(states map[string]status.TargetState) {
	for i := range r.Targets {
		st := states[r.Targets[i].Name]
		r.Targets[i].Status = st.Shown() // PAUSED, MAINTENANCE or the status
		if r.Targets[i].Group == "" {
			r.Targets[i].Group = st.Group
		}
	}
	names := make([]string, 0, len(states))
	for name := range states {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.ContainsFunc(r.Targets, func(t targetReport) bool { return t.Name == name }) && r.Trigger == "schedule" {
			r.Targets = append(r.Targets, targetReport{Name: name, Status: states[name].Shown(), Group: states[name].Group})
		}
	}
}

// grouped reports whether a target of the report has a group: the tables
// then have a GROUP column.
func (r *report) grouped() bool {
	return slices.ContainsFunc(r.Targets, func(t targetReport) bool { return t.Group != "" })
}

// anyDown reports whether a target is DOWN or STALE, or (when statuses are
// not known) failed its check.
func (r *report) anyDown() bool {
	for _, t := range r.Targets {
		switch {
		case t.Status == "DOWN" || t.Status == "STALE":
			return true
		case t.Status == "" && t.Checked && !t.Up:
			return true
		}
	}
	return false
}

// anyFailing reports whether a target checked in this run failed its check.
func (r *report) anyFailing() bool {
	for _, t := range r.Targets {
		if t.Checked && !t.Up {
			return true
		}
	}
	return false
}
