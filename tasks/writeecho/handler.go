// Package writeecho is the WriteEcho task: it stores a batch's probe
// results as one object, echo/batch/<first target>--<last target>.json
// (package echo), the object CheckStaleness reads. The write is a plain
// put of the latest results, so a retried batch writes the same object
// again and nothing is lost or doubled.
package writeecho

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
)

// Handler is the WriteEcho task.
type Handler struct {
	Store *store.Store
	// Logger receives one line per batch; nil means slog.Default().
	Logger *slog.Logger
}

// In is the task's input: the Probe task's output.
type In struct {
	Batch   int            `json:"batch"`
	Run     string         `json:"run"`
	Results []probe.Result `json:"results"`
}

// Out is the task's output, which is the batch's child execution's
// output: the Map Run in the Step Functions console shows it for each
// batch.
type Out struct {
	// Echo is the object written; empty when the batch had nothing to write.
	Echo string `json:"echo"`
	// Written counts the results stored; skipped results are not.
	Written int `json:"written"`
}

// EchoWriteError says which echo objects could not be written. The state
// machine retries the task; the write is idempotent.
type EchoWriteError struct {
	Keys []string
	// Err is the first failure.
	Err error
}

func (e *EchoWriteError) Error() string {
	return fmt.Sprintf("write echoes: %d failed (%v): %v", len(e.Keys), e.Keys, e.Err)
}

func (e *EchoWriteError) Unwrap() error { return e.Err }

// Handle writes the batch's results that are not skipped as one JSON
// array to echo.Key(first, last), first and last being the least and
// greatest target names among them. A batch with nothing to write writes
// nothing.
func (h *Handler) Handle(ctx context.Context, in In) (Out, error) {
	results := make([]probe.Result, 0, len(in.Results))
	first, last := "", ""
	for i, res := range in.Results {
		if res.Skipped != "" {
			continue
		}
		if res.Target == "" {
			return Out{}, fmt.Errorf("write the echo of batch %d: result %d has no target name", in.Batch, i)
		}
		if first == "" || res.Target < first {
			first = res.Target
		}
		if res.Target > last {
			last = res.Target
		}
		results = append(results, res)
	}
	log := h.logger()
	if len(results) == 0 {
		log.Info("no echoes to write", "run", in.Run, "batch", in.Batch, "skipped", len(in.Results))
		return Out{}, nil
	}
	key := echo.Key(first, last)
	if _, err := h.Store.PutJSON(ctx, key, results, store.Condition{}); err != nil {
		log.Error("batch echo not written", "run", in.Run, "key", key, "error", err.Error())
		return Out{}, &EchoWriteError{Keys: []string{key}, Err: err}
	}
	log.Info("batch echo written", "run", in.Run, "key", key, "written", len(results), "skipped", len(in.Results)-len(results))
	return Out{Echo: key, Written: len(results)}, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}
