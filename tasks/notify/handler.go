// Package notify is the Notify task: it delivers the alerts waiting in
// outbox/ to their channels, records each channel's outcome in the alert with
// conditional writes, so that nothing is sent twice and nothing is lost, and
// drops (loudly) alerts that missed their deadline.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// Defaults for the Handler's tuning fields.
const (
	// DefaultLease is how long a claimed delivery is reserved for the run
	// that claimed it; after that (the run crashed) another run may send.
	DefaultLease = 2 * time.Minute
	// DefaultSendTimeout bounds one send; it is well under the lease.
	DefaultSendTimeout = 30 * time.Second
	// DefaultParallel is how many alerts are delivered at once.
	DefaultParallel = 4
	// DefaultRetryWindow is how far ahead a delivery that must wait for a
	// channel's retry hint (Retry-After, Discord's retry_after) still makes
	// Handle fail with RetryableDeliveryError. The state machine retries
	// that error 3 times with IntervalSeconds 5, BackoffRate 2 and full
	// jitter, so its retries come at most 5, 15 and 35 seconds after the
	// first failure; 40 s leaves room for the invocations themselves. A
	// delivery that may not be sent before then cannot be helped by those
	// retries: Handle succeeds with it counted as pending, and the next
	// scheduled run sends it once its time has come.
	DefaultRetryWindow = 40 * time.Second
	// recordMargin is the time kept before the invocation's deadline to
	// record the last sends' outcomes: a send is cut short to end by then.
	recordMargin = 5 * time.Second
	// minSendWindow is the least time a send is started with; with less
	// left before recordMargin, Handle starts no more deliveries.
	minSendWindow = 5 * time.Second
)

// Handler delivers outbox alerts.
type Handler struct {
	Store *store.Store
	// Channels returns the channels declared in the targets file, by name.
	Channels func(ctx context.Context) (map[string]target.Channel, error)
	// Deps are the senders' dependencies (secrets, HTTP client, SNS).
	Deps  registry.Deps
	Clock clock.Clock
	// Logger gets one line per delivery and a loud one per dropped alert;
	// nil means slog.Default().
	Logger *slog.Logger

	// Lease, SendTimeout, Parallel and RetryWindow default to the
	// constants above.
	Lease       time.Duration
	SendTimeout time.Duration
	Parallel    int
	RetryWindow time.Duration
}

// In is the task's input from the state machine.
type In struct {
	Run string `json:"run"`
	// Pending is CheckStaleness' count of the alerts in outbox/. When it
	// is given and 0, Handle returns at once without reading anything:
	// the state machine enters Notify on every run (a Choice state in
	// front of it would cost more than this invocation).
	Pending *int `json:"pending,omitempty"`
}

// Out counts this run's work. Delivered and Rejected count deliveries (one
// alert on one channel) this run completed; Pending counts deliveries still
// waiting after it (including ones another run holds); Dropped counts
// alerts dropped at their deadline.
type Out struct {
	Delivered int `json:"delivered"`
	Rejected  int `json:"rejected"`
	Pending   int `json:"pending"`
	Dropped   int `json:"dropped"`
	// Collapsed counts the deliveries among Delivered that were told in
	// the summary line of a later alert of the same target (a channel
	// that missed several changes gets the net one, not a replay).
	Collapsed int `json:"collapsed,omitempty"`
}

// Handle delivers every pending delivery in the outbox. A target's alerts
// go to each channel in the order they were raised: an alert is not sent to
// a channel while an earlier alert of the same target is still undelivered
// there (it waits, pending, and counts as a transient failure).
// A delivery whose channel asked to be left alone (its NotBefore is still
// ahead) is not sent and counts as pending. If a delivery failed
// transiently, or waits for a channel's retry hint, and could be sent within
// the state machine's retries (RetryWindow), Handle returns a
// *RetryableDeliveryError after recording the failures in the outbox; when
// every such delivery must wait longer, it succeeds and they stay pending
// for the next run. Other errors mean the task could not do its job (the
// bucket or the targets file is unreadable).
func (h *Handler) Handle(ctx context.Context, in In) (Out, error) {
	log := h.logger().With("run", in.Run)
	if in.Pending != nil && *in.Pending == 0 {
		return Out{}, nil
	}
	channels, err := h.Channels(ctx)
	if err != nil {
		return Out{}, fmt.Errorf("load channels: %w", err)
	}
	entries, err := outbox.List(ctx, h.Store)
	if errors.Is(err, outbox.ErrCorrupt) {
		log.Error("outbox holds objects that are not alerts; they are skipped", "error", err.Error())
	} else if err != nil {
		return Out{}, err
	}
	r := &run{h: h, log: log, claim: claimID(in.Run), channels: channels, senders: map[string]senderOrErr{}, holds: map[string]time.Time{}}

	// One target's alerts are worked on in order by one goroutine, so a
	// channel gets them in the order they were raised; targets in parallel.
	sem := make(chan struct{}, h.parallel())
	var wg sync.WaitGroup
	groups := r.byTarget(ctx, entries)
	// Many alerts for one channel go first, as digests (digest.go).
	digested := r.digest(ctx, groups)
	for i, g := range groups {
		sem <- struct{}{}
		if !h.timeForOneMore(ctx) {
			// A backlog (a wide outage raises an alert per target): the
			// rest stay pending, and the state machine's retry goes on.
			<-sem
			r.unsent(g...)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r.deliverTarget(ctx, g, digested[i])
		})
	}
	wg.Wait()
	if r.notTried > 0 {
		log.Warn("out of time: alerts not tried in this invocation stay pending", "alerts", r.notTried)
	}

	if len(r.fatal) > 0 {
		return r.out, errors.Join(r.fatal...)
	}
	if err := r.retryable(); err != nil {
		return r.out, err
	}
	return r.out, nil
}

// RetryableDeliveryError says that, after every delivery was tried, at
// least one failed transiently (429, 5xx, a timeout, a connection error) or
// waits for a channel's retry hint, and may be sent within the state
// machine's retries. The failures are recorded in the outbox and the alerts
// stay pending. The state machine retries it with backoff; its name is the
// contract (ErrorEquals: ["RetryableDeliveryError"]).
type RetryableDeliveryError struct {
	// Failures are "alert <id> on channel <name>: <error>", secrets removed,
	// for the deliveries this run tried and that may be retried soon.
	Failures []string
	// Waiting are "alert <id> on channel <name>: waiting until <time> ...",
	// for deliveries not sent because their channel asked to wait, which
	// becomes possible within the retries.
	Waiting []string
	// NotTried counts alerts not tried because the invocation was running
	// out of time (a backlog); they stay pending.
	NotTried int
	// RetryAfter is the longest wait a channel asked for among the
	// deliveries above, 0 if none.
	RetryAfter time.Duration
}

func (e *RetryableDeliveryError) Error() string {
	var parts []string
	if len(e.Failures) > 0 {
		parts = append(parts, fmt.Sprintf("%d deliveries failed transiently and stay pending", len(e.Failures)))
	}
	if len(e.Waiting) > 0 {
		parts = append(parts, fmt.Sprintf("%d deliveries wait for a channel's retry hint and stay pending", len(e.Waiting)))
	}
	if e.NotTried > 0 {
		parts = append(parts, fmt.Sprintf("%d alerts were not tried before the function's time ran out and stay pending", e.NotTried))
	}
	s := strings.Join(parts, ", ")
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (a channel asked to retry after %s)", e.RetryAfter)
	}
	const show = 5
	all := append(slices.Clip(e.Failures), e.Waiting...)
	for i, f := range all {
		if i == show {
			s += fmt.Sprintf("; and %d more", len(all)-show)
			break
		}
		s += "; " + f
	}
	return s
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) parallel() int {
	if h.Parallel > 0 {
		return h.Parallel
	}
	return DefaultParallel
}

func (h *Handler) lease() time.Duration {
	if h.Lease > 0 {
		return h.Lease
	}
	return DefaultLease
}

func (h *Handler) sendTimeout() time.Duration {
	if h.SendTimeout > 0 {
		return h.SendTimeout
	}
	return DefaultSendTimeout
}

func (h *Handler) retryWindow() time.Duration {
	if h.RetryWindow > 0 {
		return h.RetryWindow
	}
	return DefaultRetryWindow
}

func (h *Handler) now() time.Time {
	if h.Clock == nil {
		return time.Now()
	}
	return h.Clock.Now()
}

// claimID names one invocation: the run plus random bits, so that a retry
// of the same run does not mistake an earlier attempt's claims for its own.
func claimID(run string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	if run == "" {
		run = "notify"
	}
	return run + "/" + hex.EncodeToString(b)
}

// senderOrErr caches what registry.New returned for a channel.
type senderOrErr struct {
	s   channel.Sender
	err error
}

// timeForOneMore reports whether ctx leaves time to start one more
// delivery. Without a deadline there is always time.
func (h *Handler) timeForOneMore(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > recordMargin+minSendWindow
}

// sendContext bounds one send by SendTimeout and so that it ends
// recordMargin before ctx's deadline, leaving time to record its outcome
// (a send cut short is a timeout: the delivery stays pending).
func (h *Handler) sendContext(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := h.sendTimeout()
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline)-recordMargin)
	}
	return context.WithTimeout(ctx, timeout)
}
