package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/medic-dev/medic/internal/target"
)

// probeGRPC asks t.GRPC.Address the standard gRPC health check
// (grpc.health.v1.Health/Check) for t.GRPC.Service, in plaintext or, when
// the target has a tls block, over TLS with its settings; the answer must
// be SERVING. The connection goes through the guarded dialer, so the
// address policy applies. Phases: dnsMs, connectMs, firstByteMs (until the
// answer), tlsMs with TLS.
func (p *Prober) probeGRPC(ctx context.Context, t target.Target, res *Result) {
	timeout := timeoutOf(t)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	g := t.GRPC
	if g == nil {
		res.Failures = append(res.Failures, "grpc target without a check (grpc.address)")
		return
	}
	host, _, err := net.SplitHostPort(g.Address)
	if err != nil {
		res.Failures = append(res.Failures, fmt.Sprintf("invalid address %q: want host:port", g.Address))
		return
	}

	creds := insecure.NewCredentials()
	var chain chainRecorder
	if t.TLS != nil {
		tt, failure := p.targetTLSFor(ctx, t)
		if failure != "" {
			res.Failures = append(res.Failures, failure)
			return
		}
		if tt.skipVerify {
			res.Warnings = append(res.Warnings, SkipVerifyWarning)
		}
		cfg := p.tlsConfig(host, chain.set, tt)
		cfg.NextProtos = []string{"h2"}
		creds = &recordingCreds{TransportCredentials: credentials.NewTLS(cfg)}
	}

	var (
		mu      sync.Mutex
		times   dialTimes
		dialErr error
	)
	d := &guardedDialer{allow: p.Allow, resolver: p.Resolver, ipVersion: t.IPVersion, onDial: func(dt dialTimes) {
		mu.Lock()
		times = dt
		mu.Unlock()
	}}
	dial := func(ctx context.Context, addr string) (conn net.Conn, err error) {
		defer p.recoverDial(&err)
		conn, err = d.DialContext(ctx, "tcp", addr)
		if err != nil {
			mu.Lock()
			dialErr = err
			mu.Unlock()
		}
		return conn, err
	}
	start := time.Now()
	conn, err := grpc.NewClient("passthrough:///"+g.Address, grpc.WithTransportCredentials(creds),
		grpc.WithContextDialer(dial), grpc.WithUserAgent(UserAgent))
	if err != nil {
		res.Failures = append(res.Failures, "invalid gRPC target: "+err.Error())
		return
	}
	defer conn.Close()
	answer, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: g.Service})
	latency := time.Since(start)
	mu.Lock()
	res.Phases = &Phases{DNSMS: ms(times.dns), ConnectMS: ms(times.connect), FirstByteMS: ms(latency)}
	derr := dialErr
	mu.Unlock()
	if rc, ok := creds.(*recordingCreds); ok {
		res.Phases.TLSMS = ms(rc.handshakeTime())
		if derr == nil {
			derr = rc.failure()
		}
	}
	res.LatencyMS = ms(latency)
	recordChain(res, chain.get())
	if err != nil {
		res.Failures = append(res.Failures, describeGRPC(err, derr, g, timeout))
		return
	}
	if answer.Status != healthpb.HealthCheckResponse_SERVING {
		res.Failures = append(res.Failures, fmt.Sprintf("health status %s, want SERVING%s", answer.Status, serviceOf(g)))
	}
	if f := checkLatency(t.Expect.MaxLatency.D(), latency); f != "" {
		res.Failures = append(res.Failures, f)
	}
	if t.Expect.CertValidFor > 0 {
		res.Failures = append(res.Failures, checkCert(t.Expect.CertValidFor.D(), chain.get(), p.now())...)
	}
}

// recordingCreds keeps the error of the last failed TLS handshake, which
// gRPC reports only inside a status message.
type recordingCreds struct {
	credentials.TransportCredentials
	mu   sync.Mutex
	err  error
	took time.Duration // the last handshake
}

// handshakeTime is how long the last handshake took.
func (c *recordingCreds) handshakeTime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.took
}

func (c *recordingCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	start := time.Now()
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	c.mu.Lock()
	c.took = time.Since(start)
	if err != nil {
		c.err = &stagedError{stage: "in the TLS handshake", err: err}
	}
	c.mu.Unlock()
	return conn, info, err
}

func (c *recordingCreds) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// stagedError is an error of a known stage of the check.
type stagedError struct {
	stage string
	err   error
}

func (e *stagedError) Error() string { return e.err.Error() }
func (e *stagedError) Unwrap() error { return e.err }

// serviceOf names the service asked about, for a failure text.
func serviceOf(g *target.GRPCCheck) string {
	if g.Service == "" {
		return " (the server as a whole)"
	}
	return fmt.Sprintf(" (service %q)", g.Service)
}

// describeGRPC words a failed health check: the dial's own error when the
// connection could not be made, the TLS refusal, or the RPC's status.
func describeGRPC(err, dialErr error, g *target.GRPCCheck, timeout time.Duration) string {
	st := status.Convert(err)
	msg := st.Message()
	switch {
	case st.Code() == codes.DeadlineExceeded:
		if dialErr != nil {
			return describe(dialErr, "connecting", timeout)
		}
		return fmt.Sprintf("timeout after %s while waiting for the health check", humanDuration(timeout))
	case st.Code() == codes.Unavailable && dialErr != nil:
		stage := "connecting"
		var staged *stagedError
		if errors.As(dialErr, &staged) {
			stage = staged.stage
		}
		return describe(dialErr, stage, timeout)
	case st.Code() == codes.Unimplemented:
		return fmt.Sprintf("the server does not implement the gRPC health check (grpc.health.v1.Health): %s: %s", st.Code(), msg)
	case st.Code() == codes.NotFound:
		return fmt.Sprintf("the server's health check does not know service %q (NotFound)", g.Service)
	}
	return fmt.Sprintf("health check failed: %s: %s", st.Code(), msg)
}
