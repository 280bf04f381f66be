package probe_test

import (
	"context"
	"crypto/tls"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs op b.N times and reports the process's CPU per op (the
// loopback server's included).
func measure(b *testing.B, op func() error) {
	start := cpuTime()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkProbeTLS: one tls-kind check (handshake, chain verified, expiry
// checked) of a loopback server, next to a bare crypto/tls dial of it.
func BenchmarkProbeTLS(b *testing.B) {
	ca := newCA(b)
	now := time.Now()
	cfg := &tls.Config{Certificates: []tls.Certificate{ca.leaf(b, now.Add(-time.Hour), now.Add(90*24*time.Hour))}}
	addr := tlsListener(b, handshakeThenWait(cfg))
	b.Run("medic", func(b *testing.B) {
		p := &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{RootCAs: ca.pool}}
		tg := target.Target{Name: "tls", Kind: target.KindTLS, Address: addr, TLS: &target.TLS{},
			Timeout: target.Duration(5 * time.Second), Expect: target.Expect{CertValidFor: target.Duration(24 * time.Hour)}}
		measure(b, func() error {
			if r := p.Probe(context.Background(), tg); !r.Up {
				b.Fatalf("probe failed: %v", r.Failures)
			}
			return nil
		})
	})
	b.Run("bare-tls-dial", func(b *testing.B) {
		d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{RootCAs: ca.pool, ServerName: "127.0.0.1"}}
		measure(b, func() error {
			c, err := d.DialContext(context.Background(), "tcp", addr)
			if err != nil {
				return err
			}
			return c.Close()
		})
	})
}
