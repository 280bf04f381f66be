// Package writeecho is the WriteEcho task: it stores each probe result of
// a batch as echo/<target>.json, the object CheckStaleness reads. Writes
// are plain puts of the latest result, so a retried batch writes the same
// objects again and nothing is lost or doubled.
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

// In is the task's input: the Probe task's output.
type In struct {
	Batch   int            `json:"batch"`
	Run     string         `json:"run"`
	Results []probe.Result `json:"results"`
}

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

// Handle writes every result that is not skipped, concurrently. When any
// write fails it still tries all the others, then returns an
// *EchoWriteError naming the keys that failed.
func (h *Handler) Handle(ctx context.Context, in In) (Out, error) {
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
