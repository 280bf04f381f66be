package probe_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// nameServer runs a miekg/dns server on loopback, over UDP and TCP on the
// same port, answering from records (zone-file lines). Over UDP an answer
// of more than 3 records comes truncated, so the client must ask over TCP.
func nameServer(t testing.TB, records ...string) string {
	t.Helper()
	zone := map[string][]dns.RR{}
	for _, line := range records {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatal(err)
		}
		key := dns.CanonicalName(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
		zone[key] = append(zone[key], rr)
	}
	known := map[string]bool{}
	for k := range zone {
		known[k[:strings.LastIndex(k, "/")]] = true
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		name := dns.CanonicalName(q.Name)
		m.Answer = zone[name+"/"+dns.TypeToString[q.Qtype]]
		if !known[name] {
			m.Rcode = dns.RcodeNameError
		}
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp && len(m.Answer) > 3 {
			m.Answer, m.Truncated = nil, true
		}
		_ = w.WriteMsg(m)
	})
	pc, ln := udpAndTCPOnOnePort(t)
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: ln, Handler: handler}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
	return pc.LocalAddr().String()
}

// udpAndTCPOnOnePort listens on UDP and TCP on the same loopback port, as a
// name server does. The UDP port is picked by the kernel; another process may
// hold the TCP port of that number, so it tries again with a new port.
func udpAndTCPOnOnePort(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var lastErr error
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		lastErr = err
		_ = pc.Close()
	}
	t.Fatalf("no loopback port free for both UDP and TCP: %v", lastErr)
	return nil, nil
}

func TestDNSKind(t *testing.T) {
	server := nameServer(t,
		"app.test. 60 IN A 192.0.2.10", "app.test. 60 IN A 192.0.2.11",
		"app.test. 60 IN AAAA 2001:db8::10",
		"mail.test. 60 IN MX 10 mx1.mail.test.",
		"mail.test. 60 IN TXT \"v=spf1 -all\"",
		"www.test. 60 IN CNAME App.Test.",
		"pool.test. 60 IN A 192.0.2.1", "pool.test. 60 IN A 192.0.2.2", "pool.test. 60 IN A 192.0.2.3",
		"pool.test. 60 IN A 192.0.2.4", "pool.test. 60 IN A 192.0.2.5",
	)
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	p := &probe.Prober{Allow: probe.All}
	tests := []struct {
		name, server, qname, qtype, transport string
		rcode                                 string
		answers                               []string
		timeout                               time.Duration
		p                                     *probe.Prober
		want                                  []string
	}{
		{name: "an A record is there", qname: "app.test", qtype: "A", answers: []string{"192.0.2.11"}},
		{name: "an address is missing", qname: "app.test", qtype: "A", answers: []string{"192.0.2.99"},
			want: []string{`answer "192.0.2.99" missing: got 192.0.2.10, 192.0.2.11`}},
		{name: "AAAA compares by value", qname: "app.test", qtype: "AAAA", answers: []string{"2001:0db8::0010"}},
		{name: "MX", qname: "mail.test", qtype: "MX", answers: []string{"10 mx1.mail.test"}},
		{name: "TXT", qname: "mail.test", qtype: "TXT", answers: []string{"v=spf1 -all"}},
		{name: "CNAME names compare without case", qname: "www.test", qtype: "CNAME", answers: []string{"app.test."}},
		{name: "NXDOMAIN is a failure by default", qname: "gone.test", qtype: "A",
			want: []string{"rcode NXDOMAIN, want NOERROR (A gone.test from " + server + ")"}},
		{name: "NXDOMAIN when it is expected", qname: "gone.test", qtype: "A", rcode: "NXDOMAIN"},
		{name: "no record of the type", qname: "app.test", qtype: "MX", answers: []string{"10 mx.app.test"},
			want: []string{`answer "10 mx.app.test" missing: got no answer`}},
		{name: "a truncated UDP answer is asked again over TCP", qname: "pool.test", qtype: "A", answers: []string{"192.0.2.5"}},
		{name: "over TCP", qname: "app.test", qtype: "A", transport: "tcp", answers: []string{"192.0.2.10"}},
		{name: "a server that does not answer", server: silent.LocalAddr().String(), qname: "app.test", qtype: "A", timeout: 300 * time.Millisecond,
			want: []string{"timeout after 300ms while waiting for the DNS answer"}},
		{name: "the server's address is under the policy", qname: "app.test", qtype: "A", p: &probe.Prober{},
			want: []string{"address 127.0.0.1 is loopback; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, pr := server, p
			if tc.server != "" {
				srv = tc.server
			}
			if tc.p != nil {
				pr = tc.p
			}
			res := pr.Probe(context.Background(), target.Target{Name: "dns", Kind: target.KindDNS, Timeout: target.Duration(tc.timeout),
				DNS:    &target.DNSQuery{Server: srv, Name: tc.qname, Type: tc.qtype, Transport: tc.transport},
				Expect: target.Expect{RCode: tc.rcode, Answers: tc.answers}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
		})
	}
}

// BenchmarkProbeDNS: one dns-kind check (an A query over UDP to a
// loopback server, answers checked), next to a bare miekg/dns exchange.
func BenchmarkProbeDNS(b *testing.B) {
	server := nameServer(b, "app.test. 60 IN A 192.0.2.10")
	b.Run("medic", func(b *testing.B) {
		p := &probe.Prober{Allow: probe.All}
		tg := target.Target{Name: "dns", Kind: target.KindDNS, Timeout: target.Duration(5 * time.Second),
			DNS: &target.DNSQuery{Server: server, Name: "app.test", Type: "A"}, Expect: target.Expect{Answers: []string{"192.0.2.10"}}}
		measure(b, func() error {
			if r := p.Probe(context.Background(), tg); !r.Up {
				b.Fatalf("probe failed: %v", r.Failures)
			}
			return nil
		})
	})
	b.Run("bare-exchange", func(b *testing.B) {
		c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion("app.test.", dns.TypeA)
		measure(b, func() error {
			_, _, err := c.Exchange(m, server)
			return err
		})
	})
}
