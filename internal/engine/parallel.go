package engine

import (
	"context"
	"sync"
	"time"
)

// runParallel runs one attempt of a Parallel state: every branch gets the
// effective input; the result is the array of the branches' outputs. The
// first branch to fail fails the state and stops the others.
func (x *execution) runParallel(ctx context.Context, st *State, input any, entered time.Time, retries int, th *thread) (any, *Failure) {
	eff, f := x.effectiveInput(st, input, entered, retries, th)
	if f != nil {
		return nil, f
	}
	x.emit(th, Event{Type: "ParallelStateStarted"})
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(st.Branches))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first *Failure
	)
	for i, b := range st.Branches {
		wg.Add(1)
		bt := &thread{last: th.last}
		go func() {
			defer wg.Done()
			out, f := x.runMachine(bctx, b, eff, bt) // values are never changed in place
			if f != nil {
				mu.Lock()
				if first == nil || first.Name == errAborted {
					first = f
				}
				mu.Unlock()
				cancel()
				return
			}
			results[i] = out
		}()
	}
	wg.Wait()
	if first != nil {
		if ctx.Err() != nil {
			first = &Failure{Name: errAborted}
		}
		if first.Name != errAborted {
			x.emit(th, Event{Type: "ParallelStateFailed"})
		}
		return nil, first
	}
	x.emit(th, Event{Type: "ParallelStateSucceeded"})
	return x.processResult(st, input, results, entered, retries, th)
}
