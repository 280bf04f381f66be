// Package probe is the Probe task: it checks one batch of targets
// concurrently and returns one result per target, in the targets' order.
// A target that fails its check is a result, never an error.
package probe

import (
	"context"
	"log/slog"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// Handler is the Probe task.
type Handler struct {
	// Prober does the checks; nil means a Prober with the default (public)
	// address policy.
	Prober *probe.Prober
	// Concurrency bounds the checks in flight; 0 means probe.DefaultConcurrency.
	Concurrency int
	// Now, when set, stamps every result's CheckedAt with the batch's start
	// (the local engine's clock); nil keeps the Prober's own times.
	Now func() time.Time
	// Logger receives one summary line per batch; nil means slog.Default().
	Logger *slog.Logger
}

// In is the task's input: one batch of LoadTargets' output.
type In struct {
	Batch   int             `json:"batch"`
	Targets []target.Target `json:"targets"`
	Run     string          `json:"run"`
}

// Out is the task's output, which WriteEcho takes as its input.
type Out struct {
	Batch   int            `json:"batch"`
	Run     string         `json:"run"`
	Results []probe.Result `json:"results"`
}

// Headroom bounds: the batch stops this long before the function's own
// deadline, so that its results come back instead of a Lambda timeout.
const (
	MinHeadroom = 500 * time.Millisecond
	MaxHeadroom = 3 * time.Second
)

// Handle probes the batch. It returns an error only when it cannot do its
// job; it has none today: every problem with a target is in its result.
func (h *Handler) Handle(ctx context.Context, in In) (Out, error) {
	ctx, cancel := withHeadroom(ctx)
	defer cancel()
	var started time.Time
	if h.Now != nil {
		started = h.Now()
	}
	p := h.Prober
	if p == nil {
		p = &probe.Prober{}
	}
	results := p.ProbeAll(ctx, in.Targets, h.Concurrency)
	for i := range results {
		results[i].Run = in.Run
		if h.Now != nil {
			results[i].CheckedAt = started
		}
	}
	h.logSummary(in, results)
	return Out{Batch: in.Batch, Run: in.Run, Results: results}, nil
}

// withHeadroom shortens ctx's deadline by a tenth of the time left,
// between MinHeadroom and MaxHeadroom (half the time left when that is
// less than twice MinHeadroom). A check still running then is cut short
// and reported as skipped. Without a deadline (local runs) ctx is kept.
func withHeadroom(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	headroom := min(max(left/10, MinHeadroom), MaxHeadroom)
	if left < 2*MinHeadroom {
		headroom = left / 2
	}
	return context.WithDeadline(ctx, deadline.Add(-headroom))
}

func (h *Handler) logSummary(in In, results []probe.Result) {
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	var up, down, skipped, blips int
	for _, r := range results {
		switch {
		case r.Skipped != "":
			skipped++
		case r.Up:
			up++
			if r.Confirm != nil && r.Confirm.Blip {
				blips++
				log.Info("target check failed once, then passed its re-check (a blip)", "run", in.Run, "batch", in.Batch, "target", r.Target, "firstFailures", r.Confirm.FirstFailures)
			}
		default:
			down++
			log.Info("target check failed", "run", in.Run, "batch", in.Batch, "target", r.Target, "failures", r.Failures)
		}
	}
	log.Info("batch probed", "run", in.Run, "batch", in.Batch, "targets", len(results), "up", up, "down", down, "skipped", skipped, "blips", blips)
}
