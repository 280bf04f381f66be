package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// Defaults for a Prober's zero fields.
const (
	// DefaultMaxBodyBytes caps how much of a response body is read when
	// neither the target (maxBodyBytes) nor the Prober sets it.
	DefaultMaxBodyBytes = int64(target.DefaultMaxBodyBytes)
	// DefaultConcurrency bounds ProbeAll.
	DefaultConcurrency = 128
	// MaxRedirects is how many redirects a target that follows them may take.
	MaxRedirects = 10
	// UserAgent is sent with every HTTP probe unless the target sets its own.
	UserAgent = "medic/1 (+health check)"
)

// Skip reasons.
const (
	SkippedPush = "push target: heartbeat only"
	// SkippedCutShort starts the reason of a check the caller's context ended.
	SkippedCutShort = "cut short"
)

// Prober checks targets. Its zero value probes public addresses with the
// system's roots of trust and resolver; it is safe for concurrent use.
type Prober struct {
	// TLSConfig is the base TLS configuration (RootCAs for a private CA or
	// a test's CA); nil means the system roots.
	TLSConfig *tls.Config
	// Resolver looks host names up; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Allow is the address policy (see Networks); the zero value is Public.
	Allow Networks
	// Now is the clock for CheckedAt and certificate expiry; nil means time.Now.
	Now func() time.Time
	// Sleep waits out the pause before a re-check (see ProbeConfirmed); nil
	// means a timer. A controlled clock's Sleep moves its time instead of
	// waiting, and the time left before the caller's deadline is then
	// counted on that clock too.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxBodyBytes caps how much of a response body is read for a target
	// that sets no maxBodyBytes of its own; 0 means 1 MiB.
	MaxBodyBytes int64
	// Secrets reads the values of targets' HeaderSecrets, per probe; nil
	// means a target with HeaderSecrets fails its check (and one without
	// them is probed as usual).
	Secrets SecretSource
	// Logger receives the stack of a check that panicked (see Probe); nil
	// means slog.Default().
	Logger *slog.Logger

	// pools and pairs keep the CA pools and client certificates of
	// targets' TLS settings, by the hash of their PEM.
	pools, pairs sync.Map
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Prober) maxBody(t target.Target) int64 {
	if t.MaxBodyBytes > 0 {
		return int64(t.MaxBodyBytes)
	}
	if p.MaxBodyBytes > 0 {
		return p.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// Probe checks t once and reports what it found. It never returns a Go
// error: a target that cannot be reached or does not meet its expectations
// is a Result with Up false and the reasons in Failures. A push target is
// not probed, and a check that ctx ends before it finishes (the run's
// deadline, as opposed to the target's own timeout) is no verdict: both
// return a Result with Skipped set (see Result.Skipped).
//
// The check is bounded by t.Timeout (DefaultTimeout when zero) and by ctx.
//
// A check that panics (a bug in medic or in a library it uses, reached by
// this target) fails this target only: its Result has Up false and a
// failure that starts with InternalErrorPrefix, the stack goes to the
// Prober's Logger, and the other checks of ProbeAll go on.
func (p *Prober) Probe(ctx context.Context, t target.Target) (res Result) {
	res = Result{Target: t.Name, CheckedAt: p.now()}
	defer p.recoverCheck(t, &res)
	kind := t.Kind
	if kind == "" {
		switch {
		case t.URL != "":
			kind = target.KindHTTP
		case t.Address != "":
			kind = target.KindTCP
		}
	}
	start := time.Now()
	if kind == target.KindPush {
		res.Skipped = SkippedPush
		return res
	}
	if check, ok := checkers[kind]; ok {
		check(p, ctx, t, &res)
	} else {
		res.Failures = []string{"unknown kind " + quote(kind) + ", want http, tcp, tls, dns, grpc or push"}
	}
	if ctx.Err() != nil {
		// The caller's deadline (the run's, not the target's timeout) cut
		// the check short: that says nothing about the target.
		return Result{Target: t.Name, CheckedAt: res.CheckedAt,
			Skipped: fmt.Sprintf("%s after %s: the probe task ran out of time before the check finished", SkippedCutShort, humanDuration(time.Since(start)))}
	}
	res.Up = len(res.Failures) == 0
	return res
}

// checker checks one target of its kind and fills res (Failures, latency,
// phases, certificate), bounded by the target's timeout and by ctx.
type checker func(p *Prober, ctx context.Context, t target.Target, res *Result)

// checkers is the table of probe kinds: one row per kind, each in its own
// file (http.go, tcp.go, tlsprobe.go, dnsprobe.go, grpcprobe.go).
var checkers = map[string]checker{
	target.KindHTTP: (*Prober).probeHTTP,
	target.KindTCP:  (*Prober).probeTCP,
	target.KindTLS:  (*Prober).probeTLS,
	target.KindDNS:  (*Prober).probeDNS,
	target.KindGRPC: (*Prober).probeGRPC,
}

// ProbeAll probes targets concurrently, at most concurrency at a time
// (DefaultConcurrency when concurrency < 1), confirming failures as each
// target asks (ProbeConfirmed), and returns the results in the targets'
// order.
func (p *Prober) ProbeAll(ctx context.Context, targets []target.Target, concurrency int) []Result {
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	results := make([]Result, len(targets))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = p.ProbeConfirmed(ctx, t)
		})
	}
	wg.Wait()
	return results
}

// InternalErrorPrefix starts the failure of a check that panicked.
const InternalErrorPrefix = "internal error while probing"

// recoverCheck, deferred, turns a panic of t's check into a failure of
// res (see panicText). The stack goes to the log.
func (p *Prober) recoverCheck(t target.Target, res *Result) {
	v := recover()
	if v == nil {
		return
	}
	p.logger().Error("probe panicked", "target", t.Name, "panic", panicText(v), "stack", string(debug.Stack()))
	res.Up = false
	res.Skipped = ""
	res.Failures = append(res.Failures, panicFailure(v))
}

func (p *Prober) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// panicText words a recovered panic value. A Go runtime error ("runtime
// error: index out of range [3] with length 3") is shown as it is: it
// carries no data. Any other value is named by its type only, since it may
// hold what the check was handling (a secret, a piece of a response); the
// stack in the log says where it happened.
func panicText(v any) string {
	if re, ok := v.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("a %T value (not shown: it may hold data of the check)", v)
}

// panicFailure is the failure of a check that panicked with v.
func panicFailure(v any) string {
	return fmt.Sprintf("%s: panic: %s; this is a bug in medic (the probe's log has the stack); the other targets were checked as usual",
		InternalErrorPrefix, panicText(v))
}

// panicError is a panic recovered on a goroutine of the HTTP transport
// (dialing, the TLS handshake), returned as the dial's error so that the
// check fails instead of the process.
type panicError struct{ value any }

func (e *panicError) Error() string { return panicFailure(e.value) }

// recoverDial, deferred in a function the transport calls on its own
// goroutine, turns a panic into *err (a *panicError), which the check
// reports as its failure. Such a panic cannot reach Probe's recover.
func (p *Prober) recoverDial(err *error) {
	v := recover()
	if v == nil {
		return
	}
	p.logger().Error("probe panicked while connecting", "panic", panicText(v), "stack", string(debug.Stack()))
	*err = &panicError{value: v}
}

// timeoutOf returns t's timeout, or the default.
func timeoutOf(t target.Target) time.Duration {
	if t.Timeout > 0 {
		return t.Timeout.D()
	}
	return target.DefaultTimeout
}

// ms converts d to fractional milliseconds, rounded to microseconds.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}
