package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// ConnectionAttemptDelay is how long a connection attempt has to succeed
// before the next address is tried alongside it (RFC 8305, section 5).
const ConnectionAttemptDelay = 250 * time.Millisecond

// attempt is one address dialled and how it failed.
type attempt struct {
	addr string // ip:port
	err  error
}

// dialError is a failed dial of a host name: every address tried, in
// order. It unwraps to the first attempt's error (or the deadline's), so
// errors.Is sees a refusal or a timeout as before.
type dialError struct {
	host     string
	attempts []attempt
	timedOut bool // the check's deadline ended the dial
}

func (e *dialError) Error() string {
	parts := make([]string, len(e.attempts))
	for i, a := range e.attempts {
		parts[i] = a.addr + ": " + a.err.Error()
	}
	return fmt.Sprintf("dial %s: %s", e.host, strings.Join(parts, "; "))
}

func (e *dialError) Unwrap() error {
	if e.timedOut {
		return context.DeadlineExceeded
	}
	return e.attempts[0].err
}

// describe words the dial's failure: what went wrong (as for one
// address), then each address and what happened to it.
func (e *dialError) describe(stage string, timeout time.Duration) string {
	what := func(err error) string {
		if isTimeout(err) || errors.Is(err, context.Canceled) {
			return "no answer"
		}
		return describe(err, stage, timeout)
	}
	if len(e.attempts) == 1 {
		a := e.attempts[0]
		if e.timedOut {
			return fmt.Sprintf("timeout after %s while %s to %s (%s)", humanDuration(timeout), stage, a.addr, e.host)
		}
		return fmt.Sprintf("%s at %s (%s)", what(a.err), a.addr, e.host)
	}
	parts := make([]string, len(e.attempts))
	for i, a := range e.attempts {
		parts[i] = a.addr + " " + what(a.err)
	}
	head := fmt.Sprintf("no address of %s accepted a connection", e.host)
	if e.timedOut {
		head = fmt.Sprintf("timeout after %s while %s to %s", humanDuration(timeout), stage, e.host)
	}
	return head + ": " + strings.Join(parts, "; ")
}

// dialAddresses connects to one of ips on port, racing them as RFC 8305
// (Happy Eyeballs) describes: the addresses are interleaved by family
// (keeping the first family first), each attempt starts when the one
// before it fails or after ConnectionAttemptDelay, whichever is first, and
// the first connection made wins; the others are cancelled or closed.
// host names what was resolved, for the error; an IP literal (host ==
// ips[0]) fails with the attempt's own error, as a plain dial would.
func dialAddresses(ctx context.Context, network, host string, ips []netip.Addr, port string) (net.Conn, error) {
	var dialer net.Dialer
	if len(ips) == 1 {
		addr := net.JoinHostPort(ips[0].String(), port)
		conn, err := dialer.DialContext(ctx, network, addr)
		if err == nil || isLiteral(host) {
			return conn, err
		}
		return nil, &dialError{host: host, attempts: []attempt{{addr, err}}, timedOut: ctx.Err() != nil || isTimeout(err)}
	}
	ips = interleave(ips)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		i    int
		conn net.Conn
		err  error
	}
	results := make(chan outcome, len(ips))
	errs := make([]error, len(ips))
	started, pending := 0, 0
	start := func() {
		i := started
		started++
		pending++
		go func() {
			conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ips[i].String(), port))
			results <- outcome{i, conn, err}
		}()
	}
	start()
	timer := time.NewTimer(ConnectionAttemptDelay)
	defer timer.Stop()
	var won net.Conn
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			switch {
			case r.err != nil:
				errs[r.i] = r.err
				if won == nil && started < len(ips) && ctx.Err() == nil {
					start()
					timer.Reset(ConnectionAttemptDelay)
				}
			case won == nil:
				won = r.conn
				cancel() // the other attempts
			default:
				_ = r.conn.Close() // a later winner of a race already decided
			}
		case <-timer.C:
			if won == nil && started < len(ips) {
				start()
				timer.Reset(ConnectionAttemptDelay)
			}
		}
	}
	if won != nil {
		return won, nil
	}
	e := &dialError{host: host}
	for i := range started {
		e.attempts = append(e.attempts, attempt{net.JoinHostPort(ips[i].String(), port), errs[i]})
	}
	// An attempt times out only at the check's deadline (there is no
	// deadline per attempt), possibly just before ctx reports it.
	e.timedOut = ctx.Err() != nil || slices.ContainsFunc(errs, isTimeout)
	return nil, e
}

// isLiteral reports whether host is an IP address rather than a name.
func isLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// interleave orders ips by alternating families, starting with the family
// of the first (RFC 8305, section 4), and keeping the order within each.
func interleave(ips []netip.Addr) []netip.Addr {
	first := ips[0].Is4()
	var same, other []netip.Addr
	for _, ip := range ips {
		if ip.Is4() == first {
			same = append(same, ip)
		} else {
			other = append(other, ip)
		}
	}
	out := make([]netip.Addr, 0, len(ips))
	for i := 0; i < len(same) || i < len(other); i++ {
		if i < len(same) {
			out = append(out, same[i])
		}
		if i < len(other) {
			out = append(out, other[i])
		}
	}
	return out
}

// familyError is a host with no address of the family ipVersion asks for.
type familyError struct {
	host    string
	version int
	has     []netip.Addr
}

func (e *familyError) Error() string {
	if isLiteral(e.host) {
		return fmt.Sprintf("address %s is not IPv%d (ipVersion: %d)", e.host, e.version, e.version)
	}
	has := make([]string, len(e.has))
	for i, ip := range e.has {
		has[i] = ip.String()
	}
	return fmt.Sprintf("host %s has no IPv%d address (ipVersion: %d); it resolves to %s", e.host, e.version, e.version, strings.Join(has, ", "))
}

// onlyFamily keeps the addresses of IP version v (4 or 6; 0 keeps all).
func onlyFamily(host string, ips []netip.Addr, v int) ([]netip.Addr, error) {
	if v == 0 {
		return ips, nil
	}
	var kept []netip.Addr
	for _, ip := range ips {
		if ip.Unmap().Is4() == (v == 4) {
			kept = append(kept, ip)
		}
	}
	if len(kept) == 0 {
		return nil, &familyError{host: host, version: v, has: ips}
	}
	return kept, nil
}
