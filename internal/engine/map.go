package engine

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// maxInlineConcurrency is how many iterations an inline Map runs at once
// when MaxConcurrency is 0 (AWS runs up to 40).
const maxInlineConcurrency = 40

// mapParse reads the Map-specific fields.
func (p *parser) mapState(f *fields, st *State, where string) {
	if f.has("ItemProcessor") && f.has("Iterator") {
		p.addf("%s: fields ItemProcessor and Iterator must not both be set", where)
	}
	if f.has("ItemSelector") && f.has("Parameters") {
		p.addf("%s: fields ItemSelector and Parameters must not both be set", where)
	}
	procField := "ItemProcessor"
	if !f.has(procField) {
		procField = "Iterator"
	}
	proc, ok := f.object(procField)
	if !ok {
		p.addf("%s: field ItemProcessor (or Iterator) is required", where)
	} else {
		st.Processor = p.machine(proc, fmt.Sprintf("%s %s", where, procField), false)
		p.processorConfig(proc, st, where)
	}
	// Parameters is the legacy name of ItemSelector.
	st.ItemSelector = f.templateField("ItemSelector")
	if st.Parameters != nil {
		st.ItemSelector, st.Parameters = st.Parameters, nil
	}
	st.ItemsPath = f.ioPathField("ItemsPath", false)
	if st.ItemsPath != nil && st.ItemsPath.null {
		p.addf("%s: field ItemsPath must be a path", where)
	}
	st.MaxConcurrency, _ = f.integer("MaxConcurrency", 0)
	st.MaxConcurrencyPath = f.pathField("MaxConcurrencyPath", true)
	if pc, ok := f.number("ToleratedFailurePercentage", 0); ok {
		// Over 100 is accepted here and fails the Map when it runs, as on AWS.
		st.ToleratedPercent = pc
	} else {
		st.ToleratedPercent = -1
	}
	st.ToleratedPercentPath = f.pathField("ToleratedFailurePercentagePath", true)
	if n, ok := f.integer("ToleratedFailureCount", 0); ok {
		st.ToleratedCount = n
	} else {
		st.ToleratedCount = -1
	}
	st.ToleratedCountPath = f.pathField("ToleratedFailureCountPath", true)
	st.Label, _ = f.str("Label")
	f.raw("ResultWriter") // accepted and ignored: results are returned, not written to S3
	p.itemReader(f, st, where)
	p.itemBatcher(f, st, where)
	if !st.Distributed && (st.ItemReader != nil || st.ItemBatcher != nil) {
		p.addf("%s: ItemReader and ItemBatcher need ProcessorConfig.Mode DISTRIBUTED", where)
	}
}

func (p *parser) processorConfig(proc map[string]any, st *State, where string) {
	pcv, ok := proc["ProcessorConfig"]
	if !ok {
		return
	}
	pc, isObj := pcv.(map[string]any)
	if !isObj {
		p.addf("%s: ItemProcessor.ProcessorConfig must be an object", where)
		return
	}
	cf := p.fields(pc, where+": ItemProcessor.ProcessorConfig")
	mode, _ := cf.str("Mode")
	switch mode {
	case "", "INLINE":
	case "DISTRIBUTED":
		st.Distributed = true
		st.ExecutionType, _ = cf.str("ExecutionType")
		if st.ExecutionType != "STANDARD" && st.ExecutionType != "EXPRESS" {
			p.addf("%s: ItemProcessor.ProcessorConfig.ExecutionType must be STANDARD or EXPRESS for a distributed Map", where)
		}
	default:
		p.addf("%s: ItemProcessor.ProcessorConfig.Mode must be INLINE or DISTRIBUTED, got %q", where, mode)
	}
	cf.done([]string{"Mode", "ExecutionType"})
}

// runMap runs one attempt of a Map state.
func (x *execution) runMap(ctx context.Context, st *State, input any, entered time.Time, retries int, th *thread) (any, *Failure) {
	sr := stateRun{x, st, entered, retries, th}
	eff, f := applyInputPath(sr, input)
	if f != nil {
		return nil, f
	}
	ctxObj := x.contextObject(st, entered, retries, th)
	var items []any
	if st.ItemReader != nil {
		items, f = x.readItems(ctx, st, eff, ctxObj)
	} else {
		items, f = mapItems(sr, eff)
	}
	if f != nil {
		return nil, f
	}
	limits, f := st.mapLimits(eff)
	if f != nil {
		return nil, f
	}
	inputs, f := x.itemInputs(st, eff, items, ctxObj)
	if f != nil {
		return nil, f
	}
	var results []any
	if st.Distributed {
		inputs, f = st.batch(inputs, eff, ctxObj)
		if f != nil {
			return nil, f
		}
		results, f = x.runDistributed(ctx, st, inputs, limits, th)
	} else {
		results, f = x.runInline(ctx, st, inputs, limits, th)
	}
	if f != nil {
		return nil, f
	}
	if _, f := x.checkSize(results, "the output of Map state %s", st.Name); f != nil {
		return nil, f
	}
	return x.processResult(st, input, results, entered, retries, th)
}

// itemInputs gives each iteration its input: the item itself (values are
// never changed in place, so it is not copied), or the ItemSelector applied
// with $$.Map.Item set.
func (x *execution) itemInputs(st *State, eff any, items []any, ctxObj map[string]any) ([]any, *Failure) {
	if st.ItemSelector == nil {
		return items, nil
	}
	inputs := make([]any, len(items))
	for i, item := range items {
		var c any
		if st.ItemSelector.readsContext {
			// The Map state's context object (contextObject's fields) with
			// this item's $$.Map.Item.
			c = &itemContext{state: ctxObj, index: i, value: item}
		}
		v, err := st.ItemSelector.apply(eff, c)
		if err != nil {
			return nil, asFailure(err)
		}
		inputs[i] = v
	}
	return inputs, nil
}

func mapItems(sr stateRun, eff any) ([]any, *Failure) {
	st := sr.st
	v := eff
	if st.ItemsPath != nil {
		var err error
		v, err = st.ItemsPath.p.eval(sr.root(st.ItemsPath.p, eff))
		if err != nil {
			return nil, failf(ErrRuntime, "an error occurred while executing the state %s: invalid path %s in ItemsPath: no results for the path", quote(st.Name), quote(st.ItemsPath.p.src))
		}
	}
	items, ok := norm(v).([]any)
	if !ok {
		return nil, failf(ErrRuntime, "an error occurred while executing the state %s: ItemsPath must select an array, got %s", quote(st.Name), typeName(v))
	}
	return items, nil
}

type mapLimits struct {
	concurrency    int
	toleratedPct   float64 // -1: none
	toleratedCount int64   // -1: none
}

func (st *State) mapLimits(eff any) (mapLimits, *Failure) {
	l := mapLimits{concurrency: int(st.MaxConcurrency), toleratedPct: st.ToleratedPercent, toleratedCount: st.ToleratedCount}
	readInt := func(p *path, field string) (float64, *Failure) {
		v, err := p.eval(eff)
		n, ok := toFloat(v)
		if err != nil || !ok || n < 0 {
			return 0, failf(ErrRuntime, "an error occurred while executing the state %s: %s %s does not select a non-negative number", quote(st.Name), field, quote(p.src))
		}
		return n, nil
	}
	if st.MaxConcurrencyPath != nil {
		n, f := readInt(st.MaxConcurrencyPath, "MaxConcurrencyPath")
		if f != nil {
			return l, f
		}
		l.concurrency = int(n)
	}
	if st.ToleratedPercentPath != nil {
		n, f := readInt(st.ToleratedPercentPath, "ToleratedFailurePercentagePath")
		if f != nil {
			return l, f
		}
		l.toleratedPct = n
	}
	if l.toleratedPct > 100 {
		return l, failf(ErrRuntime, "an error occurred while executing the state %s: ToleratedFailurePercentage must be between 0 and 100, got %v", quote(st.Name), l.toleratedPct)
	}
	if st.ToleratedCountPath != nil {
		n, f := readInt(st.ToleratedCountPath, "ToleratedFailureCountPath")
		if f != nil {
			return l, f
		}
		l.toleratedCount = int64(n)
	}
	return l, nil
}

// tolerates reports whether failed failures out of total stay within the
// tolerated thresholds (with none set, no failure is tolerated).
func (l mapLimits) tolerates(failed, total int) bool {
	if failed == 0 {
		return true
	}
	if l.toleratedCount < 0 && l.toleratedPct < 0 {
		return false
	}
	okCount := l.toleratedCount >= 0 && int64(failed) <= l.toleratedCount
	okPct := l.toleratedPct >= 0 && float64(failed)*100 <= l.toleratedPct*float64(total)
	return okCount || okPct
}

// iterate runs fn for each index with bounded concurrency, starting them in
// index order. When fn fails and the failures are no longer tolerated, the
// remaining iterations are stopped and that failure is returned.
//
// It runs concurrency workers that each take the next index when they are
// free, rather than a goroutine per index: a worker's stack, once grown by
// the first iteration, serves the following ones.
func iterate(ctx context.Context, n, concurrency int, limits mapLimits, fn func(ctx context.Context, i int) *Failure) ([]*Failure, *Failure) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if concurrency <= 0 || concurrency > n {
		concurrency = max(n, 1)
	}
	fails := make([]*Failure, n)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		next   int
		failed int
		first  *Failure
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || ctx.Err() != nil {
			return 0, false
		}
		next++
		return next - 1, true
	}
	work := func() {
		defer wg.Done()
		for {
			i, ok := take()
			if !ok {
				return
			}
			f := fn(ctx, i)
			if f == nil {
				continue
			}
			mu.Lock()
			fails[i] = f
			if f.Name != errAborted {
				failed++
				if !limits.tolerates(failed, n) && first == nil {
					first = f
					cancel()
				}
			}
			mu.Unlock()
		}
	}
	wg.Add(concurrency)
	for range concurrency - 1 {
		go work()
	}
	work() // the calling goroutine is one of the workers
	wg.Wait()
	return fails, first
}

func (x *execution) runInline(ctx context.Context, st *State, inputs []any, limits mapLimits, th *thread) ([]any, *Failure) {
	x.emit(th, Event{Type: "MapStateStarted", MapStateStartedEventDetails: &MapStateStartedDetails{Length: len(inputs)}})
	concurrency := limits.concurrency
	if concurrency == 0 || concurrency > maxInlineConcurrency {
		concurrency = maxInlineConcurrency
	}
	results := make([]any, len(inputs))
	fails, first := iterate(ctx, len(inputs), concurrency, limits, func(ictx context.Context, i int) *Failure {
		it := &thread{last: th.last}
		det := &MapIterationDetails{Name: st.Name, Index: i}
		x.emit(it, Event{Type: "MapIterationStarted", MapIterationStartedEventDetails: det})
		out, f := x.runMachine(ictx, st.Processor, inputs[i], it)
		switch {
		case f == nil:
			results[i] = out
			x.emit(it, Event{Type: "MapIterationSucceeded", MapIterationSucceededEventDetails: det})
		case f.Name == errAborted:
			x.emit(it, Event{Type: "MapIterationAborted", MapIterationAbortedEventDetails: det})
		default:
			results[i] = map[string]any{"Error": f.Name, "Cause": f.Cause}
			x.emit(it, Event{Type: "MapIterationFailed", MapIterationFailedEventDetails: det})
		}
		return f
	})
	return x.mapOutcome(ctx, st, results, fails, first, limits, th, "MapState")
}

// mapOutcome turns the iterations' results into the Map's result or failure.
func (x *execution) mapOutcome(ctx context.Context, st *State, results []any, fails []*Failure, first *Failure, limits mapLimits, th *thread, prefix string) ([]any, *Failure) {
	if ctx.Err() != nil {
		return nil, &Failure{Name: errAborted}
	}
	if first != nil {
		if limits.toleratedCount >= 0 || limits.toleratedPct >= 0 {
			failed := 0
			for _, f := range fails {
				if f != nil && f.Name != errAborted {
					failed++
				}
			}
			first = failf(ErrExceedToleratedFailure, "the Map state %s failed because %d of %d iterations failed, more than it tolerates", quote(st.Name), failed, len(results))
		}
		if prefix == "MapRun" {
			x.emit(th, Event{Type: "MapRunFailed", MapRunFailedEventDetails: &ErrorDetails{Error: first.Name, Cause: first.Cause}})
		} else {
			x.emit(th, Event{Type: "MapStateFailed"})
		}
		return nil, first
	}
	x.emit(th, Event{Type: prefix + "Succeeded"})
	return results, nil
}

// itemContext is the context object an ItemSelector sees: the Map state's
// (Execution, StateMachine, State) with this item's Map.Item. A simple
// path ($$.Map.Item.Value.a, $$.Execution.Name) reads it in place; any
// other use gets the object itself, built once.
type itemContext struct {
	state map[string]any
	index int
	value any
	obj   map[string]any
}

// object is the context object as JSON values.
func (c *itemContext) object() map[string]any {
	if c.obj == nil {
		c.obj = map[string]any{"Execution": c.state["Execution"], "StateMachine": c.state["StateMachine"], "State": c.state["State"],
			"Map": map[string]any{"Item": map[string]any{"Index": intValue(int64(c.index)), "Value": c.value}}}
	}
	return c.obj
}

// lookup evaluates a simple path without building the object; ok is false
// when the path is not one it reads in place.
func (c *itemContext) lookup(p *path) (v any, err error, ok bool) {
	if !p.simple || len(p.segs) == 0 || p.segs[0].kind != segName {
		return nil, nil, false
	}
	segs := p.segs
	switch segs[0].name {
	case "Execution", "StateMachine", "State":
		v, err = p.evalSegs(c.state, segs)
		return v, err, true
	case "Map":
		if len(segs) >= 3 && segs[1].kind == segName && segs[1].name == "Item" && segs[2].kind == segName {
			switch segs[2].name {
			case "Value":
				v, err = p.evalSegs(c.value, segs[3:])
				return v, err, true
			case "Index":
				v, err = p.evalSegs(intValue(int64(c.index)), segs[3:])
				return v, err, true
			}
		}
	}
	return nil, nil, false
}
