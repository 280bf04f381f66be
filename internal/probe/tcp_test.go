package probe_test

import (
	"context"
	"github.com/medic-dev/medic/internal/loopback"
	"net"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func TestTCP(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = open.Close() })
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	closedAddr, err := loopback.RefusingAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, openPort, _ := net.SplitHostPort(open.Addr().String())

	tests := []struct {
		name    string
		p       *probe.Prober
		address string
		expect  target.Expect
		want    []string
	}{
		{name: "open port", p: local(), address: open.Addr().String()},
		{name: "open port by name", p: local(), address: "localhost:" + openPort},
		{name: "closed port", p: local(), address: closedAddr, want: []string{"connection refused"}},
		{name: "refused by policy", p: &probe.Prober{}, address: open.Addr().String(),
			want: []string{"address 127.0.0.1 is loopback; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"}},
		{name: "not host:port", p: local(), address: "127.0.0.1", want: []string{`address "127.0.0.1": address 127.0.0.1: missing port in address`}},
		{name: "http expectations do not apply", p: local(), address: open.Addr().String(),
			expect: target.Expect{Status: []int{200}}, want: []string{"expect.status cannot be checked on a tcp target"}},
		{name: "latency bound", p: local(), address: open.Addr().String(), expect: target.Expect{MaxLatency: target.Duration(time.Nanosecond)},
			want: []string{`~latency .* over 1ns`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.p.Probe(context.Background(), target.Target{Name: "db", Kind: target.KindTCP, Address: tc.address,
				Timeout: target.Duration(2 * time.Second), Expect: tc.expect})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.Phases == nil || res.LatencyMS <= 0 {
				t.Fatalf("no latency or phases: %+v", res)
			}
			if res.Up && res.Phases.ConnectMS <= 0 {
				t.Fatalf("connect phase not measured: %+v", res.Phases)
			}
		})
	}
}

func TestTCPTimeout(t *testing.T) {
	// A listener with a full backlog never completes new handshakes on
	// Linux only sometimes; a blackholed address is not available offline.
	// Use a resolver that never answers instead: the timeout covers DNS.
	hang := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	p := &probe.Prober{Allow: probe.All, Resolver: hang}
	start := time.Now()
	res := p.Probe(context.Background(), target.Target{Name: "db", Kind: target.KindTCP, Address: "db.internal.example:5432",
		Timeout: target.Duration(150 * time.Millisecond)})
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %s with a 150ms timeout", took)
	}
	checkFailures(t, res.Failures, []string{"timeout after 150ms while resolving db.internal.example:5432"})
}

func TestHTTPConnectionRefused(t *testing.T) {
	addr, err := loopback.RefusingAddr()
	if err != nil {
		t.Fatal(err)
	}
	res := local().Probe(context.Background(), target.Target{Name: "gone", Kind: target.KindHTTP, URL: "http://" + addr + "/"})
	checkFailures(t, res.Failures, []string{"connection refused"})
	if res.StatusCode != 0 || res.Phases == nil || res.Phases.ConnectMS <= 0 {
		t.Fatalf("result = %+v, want no status and a measured connect phase", res)
	}
}
