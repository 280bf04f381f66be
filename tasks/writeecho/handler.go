// Package writeecho is the WriteEcho task: it stores each probe result of
// a batch as echo/<target>.json, the object CheckStaleness reads. In the
// batch layout (the scale definition) it stores the whole batch as one
// object, echo/batch/<first target>--<last target>.json. Writes are plain
// puts of the latest results, so a retried batch writes the same objects
// again and nothing is lost or doubled.
package writeecho

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
)

// DefaultConcurrency bounds the writes in flight.
const DefaultConcurrency = 16

// Handler is the WriteEcho task.
type Handler struct {
	Store *store.Store
	// Concurrency bounds the writes in flight; 0 means DefaultConcurrency.
	Concurrency int
	// Logger receives one line per batch; nil means slog.Default().
	Logger *slog.Logger
}

// In is the task's input: the Probe task's output, and in the scale
// definition the layout.
type In struct {
	Batch   int            `json:"batch"`
	Run     string         `json:"run"`
	Results []probe.Result `json:"results"`
	// Layout is LayoutTarget (or empty): one object per result; or
	// LayoutBatch: one object for the batch.
	Layout string `json:"layout,omitempty"`
}

// Layouts.
const (
	LayoutTarget = "target"
	LayoutBatch  = "batch"
)

// PrefixBatchEcho holds the batch layout's echo objects.
const PrefixBatchEcho = store.PrefixEcho + "batch/"

// Out is the task's output.
type Out struct {
	// Written counts the echoes stored; skipped results are not.
	Written int `json:"written"`
}

// EchoWriteError says which echoes could not be written after every write
// was tried. The state machine retries the task; the writes are idempotent.
type EchoWriteError struct {
	Keys []string
	// Err is the first failure.
	Err error
}

func (e *EchoWriteError) Error() string {
	return fmt.Sprintf("write echoes: %d failed (%s): %v", len(e.Keys), strings.Join(e.Keys, ", "), e.Err)
}

func (e *EchoWriteError) Unwrap() error { return e.Err }

// EchoKey is the object a target's latest result is stored at.
func EchoKey(target string) string { return store.PrefixEcho + target + ".json" }

// BatchEchoKey is the batch layout's object for a batch whose first and
// last written results are for these targets.
func BatchEchoKey(first, last string) string {
	return PrefixBatchEcho + first + "--" + last + ".json"
}

// Handle writes every result that is not skipped: in the target layout
// concurrently, one object each (when any write fails it still tries all
// the others, then returns an *EchoWriteError naming the keys that
// failed); in the batch layout as one object holding them as a JSON array.
func (h *Handler) Handle(ctx context.Context, in In) (Out, error) {
	switch in.Layout {
	case "", LayoutTarget:
		return h.writeEach(ctx, in)
	case LayoutBatch:
		return h.writeBatch(ctx, in)
	}
	return Out{}, fmt.Errorf("write echoes of batch %d: unknown layout %q (want %q or %q)", in.Batch, in.Layout, LayoutTarget, LayoutBatch)
}

func (h *Handler) writeEach(ctx context.Context, in In) (Out, error) {
	concurrency := h.Concurrency
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	var (
		mu      sync.Mutex
		failed  []string
		first   error
		written int
		wg      sync.WaitGroup
		sem     = make(chan struct{}, concurrency)
	)
	fail := func(key string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, key)
		if first == nil {
			first = err
		}
	}
	for i, res := range in.Results {
		if res.Skipped != "" {
			continue
		}
		if res.Target == "" {
			fail(fmt.Sprintf("results[%d]", i), fmt.Errorf("result %d of batch %d has no target name", i, in.Batch))
			continue
		}
		key := EchoKey(res.Target)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := h.Store.PutJSON(ctx, key, res, store.Condition{}); err != nil {
				fail(key, err)
				return
			}
			mu.Lock()
			written++
			mu.Unlock()
		})
	}
	wg.Wait()

	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		err := &EchoWriteError{Keys: failed, Err: first}
		log.Error("echoes not written", "run", in.Run, "batch", in.Batch, "written", written, "failed", failed, "error", first.Error())
		return Out{Written: written}, err
	}
	log.Info("echoes written", "run", in.Run, "batch", in.Batch, "written", written, "skipped", len(in.Results)-written)
	return Out{Written: written}, nil
}

// writeBatch writes the batch's results that are not skipped as one JSON
// array to BatchEchoKey(first, last). A batch with nothing to write writes
// nothing.
func (h *Handler) writeBatch(ctx context.Context, in In) (Out, error) {
	results := make([]probe.Result, 0, len(in.Results))
	for i, res := range in.Results {
		if res.Skipped != "" {
			continue
		}
		if res.Target == "" {
			return Out{}, fmt.Errorf("write the echo of batch %d: result %d has no target name", in.Batch, i)
		}
		results = append(results, res)
	}
	log := h.logger()
	if len(results) == 0 {
		log.Info("no echoes to write", "run", in.Run, "batch", in.Batch, "skipped", len(in.Results))
		return Out{}, nil
	}
	key := BatchEchoKey(results[0].Target, results[len(results)-1].Target)
	if _, err := h.Store.PutJSON(ctx, key, results, store.Condition{}); err != nil {
		log.Error("batch echo not written", "run", in.Run, "key", key, "error", err.Error())
		return Out{}, &EchoWriteError{Keys: []string{key}, Err: err}
	}
	log.Info("batch echo written", "run", in.Run, "key", key, "written", len(results), "skipped", len(in.Results)-len(results))
	return Out{Written: len(results)}, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}
