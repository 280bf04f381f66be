package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/statemachines"
)

// scheduled counts the TaskScheduled events for task: one per attempt.
func scheduled(x *engine.Execution, task string) int {
	n := 0
	for _, e := range x.Events {
		if e.Type == "TaskScheduled" && e.TaskScheduledEventDetails != nil &&
			strings.Contains(e.TaskScheduledEventDetails.Parameters, statemachines.LocalFunctionArn(task)+`"`) {
			n++
		}
	}
	return n
}

// failures lists the error names of task's TaskFailed events, in order.
func failures(x *engine.Execution, task string) []string {
	var names []string
	for _, e := range failedEvents(x, task) {
		names = append(names, e.Error)
	}
	return names
}

// failureCauses lists the causes of task's TaskFailed events, in order.
func failureCauses(x *engine.Execution, task string) []string {
	var causes []string
	for _, e := range failedEvents(x, task) {
		causes = append(causes, e.Cause)
	}
	return causes
}

// failedEvents returns task's TaskFailed details. A TaskFailed event of
// arn:aws:states:::lambda:invoke names only "invoke"; its function is in
// the TaskScheduled event it follows (through previousEventId).
func failedEvents(x *engine.Execution, task string) []*engine.TaskErrorDetails {
	byID := map[int64]engine.Event{}
	for _, e := range x.Events {
		byID[e.ID] = e
	}
	var out []*engine.TaskErrorDetails
	for _, e := range x.Events {
		if e.Type != "TaskFailed" || e.TaskFailedEventDetails == nil {
			continue
		}
		p, ok := byID[e.PreviousEventID]
		for ok && p.Type != "TaskScheduled" {
			p, ok = byID[p.PreviousEventID]
		}
		if ok && strings.Contains(p.TaskScheduledEventDetails.Parameters, statemachines.LocalFunctionArn(task)+`"`) {
			out = append(out, e.TaskFailedEventDetails)
		}
	}
	return out
}

// entered lists the states entered, in order.
func entered(x *engine.Execution) []string {
	var names []string
	for _, e := range x.Events {
		if e.StateEnteredEventDetails != nil {
			names = append(names, e.StateEnteredEventDetails.Name)
		}
	}
	return names
}

// countEntered counts how many times a state was entered.
func countEntered(x *engine.Execution, state string) int {
	n := 0
	for _, s := range entered(x) {
		if s == state {
			n++
		}
	}
	return n
}

// historySummary is a readable history for failure messages.
func historySummary(x *engine.Execution) string {
	var b strings.Builder
	for _, e := range x.Events {
		fmt.Fprintf(&b, "%d %s", e.ID, e.Type)
		switch {
		case e.StateEnteredEventDetails != nil:
			fmt.Fprintf(&b, " %s", e.StateEnteredEventDetails.Name)
		case e.TaskFailedEventDetails != nil:
			fmt.Fprintf(&b, " %s: %.300s", e.TaskFailedEventDetails.Error, e.TaskFailedEventDetails.Cause)
		case e.ExecutionFailedEventDetails != nil:
			fmt.Fprintf(&b, " %s: %.300s", e.ExecutionFailedEventDetails.Error, e.ExecutionFailedEventDetails.Cause)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// checkBackoff asserts that sleeps are the retries of a Retrier with
// IntervalSeconds interval, BackoffRate 2 and JitterStrategy FULL: n
// sleeps, the i-th at most interval·2^i (capped at maxDelay when set).
func checkBackoff(t *testing.T, sleeps []time.Duration, n int, interval, maxDelay time.Duration) {
	t.Helper()
	if len(sleeps) != n {
		t.Fatalf("recorded %d retry sleeps %v, want %d", len(sleeps), sleeps, n)
	}
	for i, d := range sleeps {
		limit := interval << i
		if maxDelay > 0 && limit > maxDelay {
			limit = maxDelay
		}
		if d < 0 || d > limit {
			t.Errorf("retry sleep %d = %v, want within [0, %v] (full jitter)", i+1, d, limit)
		}
	}
}

// exitedOutput is the output of the first exit of state in x's history.
func exitedOutput(x *engine.Execution, state string) string {
	for _, e := range x.Events {
		if d := e.StateExitedEventDetails; d != nil && d.Name == state {
			return d.Output
		}
	}
	return ""
}
