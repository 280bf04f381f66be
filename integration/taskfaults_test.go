package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
)

// lambdaFailure is how Lambda reports a failure of the function itself
// (not an error the handler returned).
func lambdaFailure(name string) *engine.TaskError {
	cause, _ := json.Marshal(map[string]string{"errorMessage": "injected by the test", "errorType": name})
	return &engine.TaskError{Name: name, Cause: string(cause)}
}

// failFirstCalls makes the bound function fail its first n calls with a
// Lambda-level error called name, then run the real handler.
func failFirstCalls(n int64, name string, calls *atomic.Int64) func(engine.Func) engine.Func {
	return func(real engine.Func) engine.Func {
		return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
			if calls.Add(1) <= n {
				return nil, lambdaFailure(name)
			}
			return real(ctx, payload)
		}
	}
}

// twoTargets writes a targets file with two good targets, a and b.
func twoTargets(t *testing.T, h *harness) {
	t.Helper()
	srv := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf("targets:\n  - {name: a, url: %q}\n  - {name: b, url: %q}\n", srv.URL, srv.URL))
}

func TestProbeLambdaServiceExceptionIsRetriedWithBackoff(t *testing.T) {
	var calls atomic.Int64
	h := newHarness(t, setup{wrap: map[string]func(engine.Func) engine.Func{
		taskProbe: failFirstCalls(2, "Lambda.ServiceException", &calls),
	}})
	twoTargets(t, h)
	h.mustSucceed(schedule)
	// The batch runs in an Express child, whose events are not in the
	// run's history: the attempts are counted at the function.
	if n := calls.Load(); n != 3 {
		t.Errorf("Probe attempted %d times, want 3 (2 failures, then success)", n)
	}
	// IntervalSeconds 2, BackoffRate 2, FULL jitter.
	checkBackoff(t, h.engine.takeSleeps(), 2, 2*time.Second, 0)
	if !h.mustEcho("a").Up || !h.mustEcho("b").Up {
		t.Error("echoes not written after the retried probe")
	}
}

// TestWriteEchoExceedingItsLambdaTimeoutIsRetried binds WriteEcho as
// Lambda runs it, with a deadline: the first invocation hangs past it and
// fails as Lambda reports a timeout inside the function (Lambda.Unknown),
// which the definition retries as States.TaskFailed.
func TestWriteEchoExceedingItsLambdaTimeoutIsRetried(t *testing.T) {
	const lambdaTimeout = time.Second // well above two loopback writes under -race
	var calls atomic.Int64
	h := newHarness(t, setup{wrap: map[string]func(engine.Func) engine.Func{
		taskWriteEcho: func(real engine.Func) engine.Func {
			return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
				ctx, cancel := context.WithTimeout(ctx, lambdaTimeout)
				defer cancel()
				if calls.Add(1) == 1 {
					<-ctx.Done() // the function hangs
				}
				out, err := real(ctx, payload)
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return nil, lambdaFailure("Lambda.Unknown")
				}
				return out, err
			}
		},
	}})
	twoTargets(t, h)
	x := h.mustSucceed(schedule)
	if n := calls.Load(); n != 2 {
		t.Errorf("WriteEcho attempted %d times, want 2", n)
	}
	checkBackoff(t, h.engine.takeSleeps(), 1, 2*time.Second, 0)
	if !h.mustEcho("a").Up || !h.mustEcho("b").Up {
		t.Error("echoes not written by the retry")
	}
	if out := exitedOutput(x, "ProbeTargets"); bytes.Contains([]byte(out), []byte("probeError")) {
		t.Errorf("the retried batch failed the Map: %s", out)
	}
}

// TestProbeFailingEveryAttemptIsCaughtAndTheRunGoesOn fails the Probe of
// the batch holding target a on every attempt: after the definition's
// retries (States.TaskFailed, MaxAttempts 2) a's child execution fails.
// With 11 batches that is within the 10% the Map tolerates: the other
// batches are unaffected and the Map succeeds. With 2 batches it is over
// it: the Map fails, its Catch goes on, CheckStaleness runs and the run
// succeeds with probeError in its output.
func TestProbeFailingEveryAttemptIsCaughtAndTheRunGoesOn(t *testing.T) {
	for _, tc := range []struct {
		targets   int
		overLimit bool
	}{{11, false}, {2, true}} {
		t.Run(fmt.Sprintf("%d batches", tc.targets), func(t *testing.T) {
			var calls atomic.Int64
			h := newHarness(t, setup{batchSize: 1, wrap: map[string]func(engine.Func) engine.Func{
				taskProbe: func(real engine.Func) engine.Func {
					return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
						if bytes.Contains(payload, []byte(`"name":"a"`)) {
							calls.Add(1)
							return nil, errors.New("probe crashed")
						}
						return real(ctx, payload)
					}
				},
			}})
			srv := newBodyServer(t, http.StatusOK, "ok")
			yaml := fmt.Sprintf("targets:\n  - {name: a, url: %q}\n", srv.URL)
			for i := 1; i < tc.targets; i++ {
				yaml += fmt.Sprintf("  - {name: b%02d, url: %q}\n", i, srv.URL)
			}
			h.putTargets(yaml)
			x := h.mustSucceed(schedule)
			if n := calls.Load(); n != 3 {
				t.Errorf("a's batch was probed %d times, want 3 (1 + MaxAttempts 2)", n)
			}
			out := exitedOutput(x, "ProbeTargets")
			caught := bytes.Contains([]byte(out), []byte(`"probeError":{"Cause"`)) && bytes.Contains([]byte(out), []byte("States.ExceedToleratedFailureThreshold"))
			if caught != tc.overLimit {
				t.Errorf("ProbeTargets output %s: tolerated-failure error caught = %v, want %v", out, caught, tc.overLimit)
			}
			if countEntered(x, "CheckStaleness") != 1 {
				t.Error("CheckStaleness did not run after the failed batch")
			}
			if _, ok := h.echo("a"); ok {
				t.Error("an echo of a written although its batch was never probed")
			}
			if !tc.overLimit {
				for i := 1; i < tc.targets; i++ {
					if !h.mustEcho(fmt.Sprintf("b%02d", i)).Up {
						t.Errorf("b%02d's batch was affected by a's", i)
					}
				}
			}
		})
	}
}

func TestLoadTargetsFailingEveryAttemptFailsTheRunAfterItsRetries(t *testing.T) {
	var calls atomic.Int64
	h := newHarness(t, setup{wrap: map[string]func(engine.Func) engine.Func{
		taskLoadTargets: failFirstCalls(100, "Lambda.Unknown", &calls),
	}})
	twoTargets(t, h)
	x := h.run(schedule)
	if x.Status != engine.StatusFailed || x.Error != "Lambda.Unknown" {
		t.Fatalf("execution %s %s, want FAILED with Lambda.Unknown", x.Status, x.Error)
	}
	if n := scheduled(x, taskLoadTargets); n != 4 {
		t.Errorf("LoadTargets attempted %d times, want 4 (States.TaskFailed, MaxAttempts 3)", n)
	}
	checkBackoff(t, h.engine.takeSleeps(), 3, 2*time.Second, 0)
}

func TestNotifyThrottledByLambdaIsRetried(t *testing.T) {
	var calls atomic.Int64
	h := newHarness(t, setup{wrap: map[string]func(engine.Func) engine.Func{
		taskNotify: failFirstCalls(3, "Lambda.TooManyRequestsException", &calls),
	}})
	down := newBodyServer(t, http.StatusInternalServerError, "")
	api := newReceiver(t, ok)
	h.putTargets(fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
targets:
  - {name: web, url: %q, failureThreshold: 1, channels: [api]}
`, api.URL, down.URL))
	x := h.mustSucceed(schedule)
	if n := scheduled(x, taskNotify); n != 4 {
		t.Errorf("Notify attempted %d times, want 4", n)
	}
	checkBackoff(t, h.engine.takeSleeps(), 3, 2*time.Second, 0)
	if n := len(api.requests()); n != 1 {
		t.Errorf("API channel got %d requests, want 1", n)
	}
}
