package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// runWithRetry runs a Task, Parallel or Map state, retrying per its Retry
// and handing a final failure to its Catch.
func (x *execution) runWithRetry(ctx context.Context, st *State, input any, entered time.Time, th *thread) (any, string, *Failure) {
	attempts := make([]int64, len(st.Retry))
	retries := 0
	for {
		var out any
		var f *Failure
		switch st.Type {
		case "Task":
			out, f = x.runTask(ctx, st, input, entered, retries, th)
		case "Parallel":
			out, f = x.runParallel(ctx, st, input, entered, retries, th)
		case "Map":
			out, f = x.runMap(ctx, st, input, entered, retries, th)
		}
		if f == nil {
			return out, st.Next, nil
		}
		if f.Name == errAborted || x.timedOut.Load() {
			return nil, "", f
		}
		if x.inspect != nil && x.inspect.st == st {
			if _, ok := st.retryDelay(f.Name, attempts); ok {
				x.inspect.retriable = true
				return nil, "", f
			}
			out, next, cf := x.catch(st, input, f, th)
			if cf == nil {
				x.inspect.caught = f
			}
			return out, next, cf
		}
		if d, ok := st.retryDelay(f.Name, attempts); ok {
			if sf := x.sleep(ctx, d); sf != nil {
				return nil, "", sf
			}
			retries++
			x.countTransition()
			continue
		}
		return x.catch(st, input, f, th)
	}
}

// retryDelay finds the first Retrier that matches the error and, when it
// has attempts left, returns the delay before the next attempt.
func (st *State) retryDelay(name string, attempts []int64) (time.Duration, bool) {
	for i, r := range st.Retry {
		if !matches(r.ErrorEquals, name) {
			continue
		}
		if attempts[i] >= r.MaxAttempts {
			return 0, false
		}
		secs := r.IntervalSeconds * math.Pow(r.BackoffRate, float64(attempts[i]))
		if r.MaxDelaySeconds > 0 && secs > r.MaxDelaySeconds {
			secs = r.MaxDelaySeconds
		}
		if r.JitterFull {
			secs *= rand.Float64()
		}
		attempts[i]++
		return time.Duration(secs * float64(time.Second)), true
	}
	return 0, false
}

// catch hands a failure to the first Catcher that matches it: the state's
// output is its raw input with {"Error", "Cause"} placed at the Catcher's
// ResultPath.
func (x *execution) catch(st *State, input any, f *Failure, th *thread) (any, string, *Failure) {
	for _, c := range st.Catch {
		if !matches(c.ErrorEquals, f.Name) {
			continue
		}
		errOut := map[string]any{"Error": f.Name, "Cause": f.Cause}
		out, rf := applyResultPath(c.ResultPath, input, errOut, st.Name)
		if rf != nil {
			return nil, "", rf
		}
		return out, c.Next, nil
	}
	return nil, "", f
}
