package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// probeTLS checks that t.Address (host:port) completes a TLS handshake
// with a certificate chain that verifies (unless tls.insecureSkipVerify),
// after an SMTP STARTTLS exchange when tls.startTLS is "smtp". Nothing is
// sent after the handshake. It records the DNS, connect and TLS phases and
// the chain's earliest expiry, and checks maxLatency and certValidFor.
func (p *Prober) probeTLS(ctx context.Context, t target.Target, res *Result) {
	timeout := timeoutOf(t)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tt, failure := p.targetTLSFor(ctx, t)
	if failure != "" {
		res.Failures = append(res.Failures, failure)
		return
	}
	if tt.skipVerify {
		res.Warnings = append(res.Warnings, SkipVerifyWarning)
	}
	host, _, err := net.SplitHostPort(t.Address)
	if err != nil {
		res.Failures = append(res.Failures, fmt.Sprintf("invalid address %q: want host:port", t.Address))
		return
	}

	var times dialTimes
	d := &guardedDialer{allow: p.Allow, resolver: p.Resolver, ipVersion: t.IPVersion, onDial: func(dt dialTimes) { times = dt }}
	start := time.Now()
	var chain chainRecorder
	var tlsTime time.Duration
	stage, err := p.handshake(ctx, d, t, host, tt, &chain, &tlsTime)
	latency := time.Since(start)
	res.LatencyMS = ms(latency)
	res.Phases = &Phases{DNSMS: ms(times.dns), ConnectMS: ms(times.connect), TLSMS: ms(tlsTime)}
	recordChain(res, chain.get())
	if err != nil {
		if stage == "connecting" && times.connect == 0 {
			stage = "resolving " + t.Address
		}
		res.Failures = append(res.Failures, describe(err, stage, timeout))
		return
	}
	if f := checkLatency(t.Expect.MaxLatency.D(), latency); f != "" {
		res.Failures = append(res.Failures, f)
	}
	if t.Expect.CertValidFor > 0 {
		res.Failures = append(res.Failures, checkCert(t.Expect.CertValidFor.D(), chain.get(), p.now())...)
	}
}

// handshake connects, speaks the STARTTLS prelude if any, and does the TLS
// handshake. It returns the stage it stopped in.
func (p *Prober) handshake(ctx context.Context, d *guardedDialer, t target.Target, host string, tt *targetTLS,
	chain *chainRecorder, tlsTime *time.Duration) (stage string, err error) {
	defer p.recoverDial(&err)
	raw, err := d.DialContext(ctx, "tcp", t.Address)
	if err != nil {
		return "connecting", err
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	if tt.startTLS == "smtp" {
		if err := smtpStartTLS(raw); err != nil {
			return "in the SMTP exchange before STARTTLS", err
		}
	}
	cfg := p.tlsConfig(host, chain.set, tt)
	cfg.NextProtos = nil // no application protocol: the handshake is the check
	asked := false       // the server asked for a client certificate
	give := cfg.GetClientCertificate
	cfg.GetClientCertificate = func(req *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked = true
		if give != nil {
			return give(req)
		}
		return &tls.Certificate{}, nil
	}
	conn := tls.Client(raw, cfg)
	start := time.Now()
	err = conn.HandshakeContext(ctx)
	*tlsTime = time.Since(start)
	if err != nil {
		return "in the TLS handshake", err
	}
	// A TLS 1.3 server that refuses the client's certificate says so after
	// the client's side of the handshake is done: wait for it briefly.
	if asked && conn.ConnectionState().Version == tls.VersionTLS13 {
		_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 1)); err != nil && strings.Contains(err.Error(), "remote error: tls: ") {
			return "in the TLS handshake", err
		}
	}
	_ = conn.Close()
	return "", nil
}

// smtpError is an SMTP server's answer that is not the one STARTTLS needs.
type smtpError struct{ step, line string }

func (e *smtpError) Error() string {
	return fmt.Sprintf("SMTP server answered %s with %s", e.step, quote(e.line))
}

// smtpStartTLS reads the greeting, says EHLO and asks for STARTTLS
// (RFC 3207), leaving conn ready for the handshake.
func smtpStartTLS(conn net.Conn) error {
	// The prelude is a few short lines: a server sending more is not
	// allowed to fill the probe's memory before the deadline.
	r := bufio.NewReader(io.LimitReader(conn, 64<<10))
	expect := func(step, code string) error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			line = strings.TrimRight(line, "\r\n")
			if !strings.HasPrefix(line, code) {
				return &smtpError{step: step, line: line}
			}
			if len(line) < 4 || line[3] != '-' { // "250-..." continues, "250 ..." ends
				return nil
			}
		}
	}
	if err := expect("the connection", "220"); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "EHLO medic.invalid\r\n"); err != nil {
		return err
	}
	if err := expect("EHLO", "250"); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "STARTTLS\r\n"); err != nil {
		return err
	}
	return expect("STARTTLS", "220")
}

// chainRecorder keeps the last chain a handshake reported.
type chainRecorder struct {
	mu    sync.Mutex
	chain []*x509.Certificate
}

func (c *chainRecorder) set(chain []*x509.Certificate) {
	c.mu.Lock()
	c.chain = chain
	c.mu.Unlock()
}

func (c *chainRecorder) get() []*x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.chain
}
