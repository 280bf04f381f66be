package engine

import (
	"context"
	"fmt"
)

const s3GetObject = "arn:aws:states:::s3:getObject"

func (p *parser) itemReader(f *fields, st *State, where string) {
	m, ok := f.object("ItemReader")
	if !ok {
		return
	}
	w := where + ": ItemReader"
	rf := p.fields(m, w)
	r := &itemReader{MaxItems: -1}
	if res, _ := rf.str("Resource"); res != s3GetObject {
		p.addf("%s: field Resource must be %q (the only reader this engine supports), got %q", w, s3GetObject, res)
	}
	if cfg, ok := rf.object("ReaderConfig"); ok {
		cf := p.fields(cfg, w+".ReaderConfig")
		if it, _ := cf.str("InputType"); it != "JSON" {
			p.addf("%s.ReaderConfig: field InputType must be \"JSON\" (the only input type this engine supports), got %q", w, it)
		}
		if n, ok := cf.integer("MaxItems", 1); ok {
			r.MaxItems = n
		}
		cf.done([]string{"InputType", "MaxItems"})
	} else {
		p.addf("%s: field ReaderConfig with InputType \"JSON\" is required", w)
	}
	r.params = rf.templateField("Parameters")
	if r.params == nil || r.params.object == nil || r.params.object["Bucket"] == nil || r.params.object["Key"] == nil {
		p.addf("%s: field Parameters must give Bucket and Key", w)
	}
	rf.done([]string{"Resource", "ReaderConfig", "Parameters"})
	st.ItemReader = r
}

func (p *parser) itemBatcher(f *fields, st *State, where string) {
	m, ok := f.object("ItemBatcher")
	if !ok {
		return
	}
	w := where + ": ItemBatcher"
	bf := p.fields(m, w)
	b := &itemBatcher{}
	b.MaxItems, _ = bf.integer("MaxItemsPerBatch", 1)
	b.MaxBytes, _ = bf.integer("MaxInputBytesPerBatch", 1)
	if b.MaxBytes > MaxPayloadBytes {
		p.addf("%s: field MaxInputBytesPerBatch must be at most %d, got %d", w, MaxPayloadBytes, b.MaxBytes)
	}
	if b.MaxItems == 0 && b.MaxBytes == 0 {
		p.addf("%s: MaxItemsPerBatch or MaxInputBytesPerBatch is required", w)
	}
	b.BatchInput = bf.templateField("BatchInput")
	bf.done([]string{"MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"})
	st.ItemBatcher = b
}

// readItems reads a distributed Map's items through Options.ItemReaderFunc.
func (x *execution) readItems(ctx context.Context, st *State, eff any, ctxObj map[string]any) ([]any, *Failure) {
	r := st.ItemReader
	pv, err := r.params.apply(eff, ctxObj)
	if err != nil {
		return nil, asFailure(err)
	}
	params := pv.(map[string]any)
	bucket, ok1 := params["Bucket"].(string)
	key, ok2 := params["Key"].(string)
	if !ok1 || !ok2 {
		return nil, failf(ErrItemReaderFailed, "the ItemReader of state %s needs a string Bucket and Key", quote(st.Name))
	}
	if x.opts.ItemReaderFunc == nil {
		return nil, failf(ErrItemReaderFailed, "the ItemReader of state %s cannot read s3://%s/%s: no ItemReaderFunc is set", quote(st.Name), bucket, key)
	}
	b, err := x.opts.ItemReaderFunc(ctx, bucket, key)
	if err != nil {
		return nil, failf(ErrItemReaderFailed, "the ItemReader of state %s could not read s3://%s/%s: %v", quote(st.Name), bucket, key, err)
	}
	v, err := decodeJSON(b, x.memo)
	if err != nil {
		return nil, failf(ErrItemReaderFailed, "the ItemReader of state %s: s3://%s/%s is not JSON: %v", quote(st.Name), bucket, key, err)
	}
	items, ok := v.([]any)
	if !ok {
		return nil, failf(ErrItemReaderFailed, "the ItemReader of state %s: s3://%s/%s must hold a JSON array, got %s", quote(st.Name), bucket, key, typeName(v))
	}
	if r.MaxItems > 0 && int64(len(items)) > r.MaxItems {
		items = items[:r.MaxItems]
	}
	return items, nil
}

// batch groups the items per ItemBatcher: each batch is
// {"BatchInput": ..., "Items": [...]}, as Step Functions passes it.
func (st *State) batch(inputs []any, eff any, ctxObj map[string]any) ([]any, *Failure) {
	b := st.ItemBatcher
	if b == nil {
		return inputs, nil
	}
	var batchInput any
	if b.BatchInput != nil {
		v, err := b.BatchInput.apply(eff, ctxObj)
		if err != nil {
			return nil, asFailure(err)
		}
		batchInput = v
	}
	maxBytes := b.MaxBytes
	if maxBytes == 0 {
		maxBytes = MaxPayloadBytes
	}
	wrap := func(items []any) map[string]any {
		m := map[string]any{"Items": items}
		if batchInput != nil {
			m["BatchInput"] = batchInput
		}
		return m
	}
	var batches []any
	var cur []any
	for _, in := range inputs {
		next := append(append([]any{}, cur...), in)
		tooMany := b.MaxItems > 0 && int64(len(next)) > b.MaxItems
		tooBig := int64(len(encodeValue(wrap(next)))) > maxBytes
		if len(cur) > 0 && (tooMany || tooBig) {
			batches = append(batches, wrap(cur))
			cur = []any{in}
			continue
		}
		if len(cur) == 0 && tooBig {
			return nil, failf(ErrDataLimitExceeded, "an item of Map state %s is larger than MaxInputBytesPerBatch (%d)", quote(st.Name), maxBytes)
		}
		cur = next
	}
	if len(cur) > 0 {
		batches = append(batches, wrap(cur))
	}
	return batches, nil
}

// runDistributed runs each item (or batch) as a child workflow execution.
// The children's events are not in the parent's history (as on AWS, where
// they are separate executions); a STANDARD child's transitions are billed
// and counted, an EXPRESS child's are not.
func (x *execution) runDistributed(ctx context.Context, st *State, inputs []any, limits mapLimits, th *thread) ([]any, *Failure) {
	label := st.Label
	if label == "" {
		label = st.Name
	}
	mapRunArn := fmt.Sprintf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", x.opts.Region, x.opts.AccountID, x.opts.StateMachineName, label, newUUID())
	x.emit(th, Event{Type: "MapRunStarted", MapRunStartedEventDetails: &MapRunStartedDetails{MapRunArn: mapRunArn}})
	concurrency := limits.concurrency
	if concurrency == 0 {
		concurrency = 10000
	}
	results := make([]any, len(inputs))
	fails, first := iterate(ctx, len(inputs), concurrency, limits, func(ictx context.Context, i int) *Failure {
		// A child has its own memo, so that what it encoded is freed when it
		// ends rather than when the whole Map run does.
		child := &execution{m: st.Processor, opts: x.opts, clock: x.clock, ctxObj: x.ctxObj, record: false, memo: newEncodeMemo(0),
			deadline: x.deadline, execArn: x.execArn, smArn: x.smArn}
		out, f := child.runMachine(ictx, st.Processor, inputs[i], &thread{})
		if st.ExecutionType == "STANDARD" {
			x.mu.Lock()
			x.transitions += child.transitions
			x.mu.Unlock()
		}
		if f != nil {
			results[i] = map[string]any{"Error": f.Name, "Cause": f.Cause}
			return f
		}
		results[i] = out
		return nil
	})
	return x.mapOutcome(ctx, st, results, fails, first, limits, th, "MapRun")
}
