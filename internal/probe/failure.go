package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errTooManyRedirects stops a redirect chain longer than MaxRedirects.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", MaxRedirects)

// describe turns an error from dialing, requesting or reading into the
// words a failure shows. stage says where the check was ("connecting",
// "waiting for the response", ...); timeout is the target's.
func describe(err error, stage string, timeout time.Duration) string {
	var refused *RefusedError
	var cert *certError
	var dnsErr *net.DNSError
	var recordErr tls.RecordHeaderError
	var panicked *panicError
	var dialed *dialError
	var family *familyError
	switch {
	case errors.As(err, &panicked):
		return panicked.Error()
	case errors.As(err, &dialed):
		return dialed.describe(stage, timeout)
	case errors.As(err, &family):
		return family.Error()
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &cert):
		return cert.Error()
	case errors.Is(err, errTooManyRedirects):
		return errTooManyRedirects.Error()
	case isTimeout(err):
		return fmt.Sprintf("timeout after %s while %s", humanDuration(timeout), stage)
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("host %s not found (DNS)", dnsErr.Name)
		}
		return fmt.Sprintf("DNS lookup of %s failed: %s", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server while " + stage
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server did not answer TLS (is it plain HTTP?)"
	case strings.Contains(err.Error(), "remote error: tls: "):
		return describeTLSAlert(err.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server while " + stage
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return strings.TrimPrefix(err.Error(), "net/http: ")
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readBody reads at most max bytes of r. truncated says there was more.
func readBody(r io.Reader, max int64) (body []byte, truncated bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(body)) > max {
		return body[:max], true, err
	}
	return body, false, err
}

// humanDuration formats d for people: "3d4h", "5h12m", "2.3s", "120ms".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 24*time.Hour:
		days := d / (24 * time.Hour)
		hours := (d % (24 * time.Hour)) / time.Hour
		if hours == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, hours)
	case d >= time.Minute:
		s := d.Round(time.Second).String() // "1h0m0s", "1h30m0s", "2m5s"
		if rest, ok := strings.CutSuffix(s, "m0s"); ok {
			s = rest + "m"
		}
		if rest, ok := strings.CutSuffix(s, "h0m"); ok {
			s = rest + "h"
		}
		return s
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.String()
}

// humanBytes formats n bytes: "1 MiB", "512 KiB", "100 bytes".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// quote quotes s for a failure text, shortened to a readable length.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// describeTLSAlert words a TLS alert the server sent: during or just after
// the handshake, which in TLS 1.3 is when a server refuses the client's
// certificate.
func describeTLSAlert(msg string) string {
	alert := msg[strings.Index(msg, "remote error: tls: "):]
	switch {
	case strings.Contains(alert, "certificate required"), strings.Contains(alert, "bad certificate"),
		strings.Contains(alert, "unknown certificate authority"), strings.Contains(alert, "certificate unknown"),
		strings.Contains(alert, "expired certificate"), strings.Contains(alert, "revoked certificate"):
		return fmt.Sprintf("the server refused the TLS connection (%s): it wants a client certificate it trusts (tls.certSecret, tls.keySecret)", alert)
	}
	return fmt.Sprintf("the server refused the TLS connection (%s)", alert)
}
