package probe

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/medic-dev/medic/internal/target"
)

// probeDNS asks t.DNS.Server for t.DNS.Name and t.DNS.Type, through the
// guarded dialer (the server's address is under the address policy like
// any target's), and checks the answer's response code (NOERROR unless
// expect.rcode says otherwise), expect.answers and maxLatency. A UDP
// answer that comes truncated is asked again over TCP. Phases: dnsMs (the
// server's own name), connectMs, firstByteMs (until the answer).
func (p *Prober) probeDNS(ctx context.Context, t target.Target, res *Result) {
	timeout := timeoutOf(t)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q := t.DNS
	if q == nil {
		res.Failures = append(res.Failures, "dns target without a query (dns.server, dns.name)")
		return
	}
	qtype, ok := dns.StringToType[q.Type]
	if !ok {
		res.Failures = append(res.Failures, fmt.Sprintf("unknown DNS record type %s", quote(q.Type)))
		return
	}
	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(q.Name), qtype)
	msg.RecursionDesired = true

	var times dialTimes
	d := &guardedDialer{allow: p.Allow, resolver: p.Resolver, ipVersion: t.IPVersion, onDial: func(dt dialTimes) { times = dt }}
	start := time.Now()
	transport := q.Transport
	if transport == "" {
		transport = "udp"
	}
	answer, stage, err := exchange(ctx, d, transport, q.Server, msg)
	if err == nil && answer.Truncated && transport == "udp" {
		answer, stage, err = exchange(ctx, d, "tcp", q.Server, msg)
	}
	latency := time.Since(start)
	res.LatencyMS = ms(latency)
	res.Phases = &Phases{DNSMS: ms(times.dns), ConnectMS: ms(times.connect), FirstByteMS: ms(latency)}
	if err != nil {
		if stage == "connecting" && times.connect == 0 {
			stage = "resolving " + q.Server
		}
		res.Failures = append(res.Failures, describe(err, stage, timeout))
		return
	}
	wantCode := t.Expect.RCode
	if wantCode == "" {
		wantCode = "NOERROR"
	}
	if got := dns.RcodeToString[answer.Rcode]; got != wantCode {
		res.Failures = append(res.Failures, fmt.Sprintf("rcode %s, want %s (%s %s from %s)", got, wantCode, q.Type, q.Name, q.Server))
	}
	res.Failures = append(res.Failures, checkAnswers(t.Expect.Answers, answer.Answer, qtype)...)
	if f := checkLatency(t.Expect.MaxLatency.D(), latency); f != "" {
		res.Failures = append(res.Failures, f)
	}
}

// exchange sends msg to server over network and reads the answer, within
// ctx. It returns the stage it stopped in.
func exchange(ctx context.Context, d *guardedDialer, network, server string, msg *dns.Msg) (*dns.Msg, string, error) {
	raw, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, "connecting", err
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	conn := &dns.Conn{Conn: raw}
	if err := conn.WriteMsg(msg); err != nil {
		return nil, "sending the DNS query", err
	}
	for {
		answer, err := conn.ReadMsg()
		if err != nil {
			return nil, "waiting for the DNS answer", err
		}
		if answer.Id == msg.Id { // a stray datagram is not the answer
			return answer, "", nil
		}
	}
}

// checkAnswers returns a failure for each wanted answer that is not among
// the records of type qtype in got.
func checkAnswers(want []string, got []dns.RR, qtype uint16) []string {
	if len(want) == 0 {
		return nil
	}
	var have []string
	for _, rr := range got {
		if rr.Header().Rrtype == qtype || qtype == dns.TypeANY {
			have = append(have, rdata(rr))
		}
	}
	var failures []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return sameAnswer(h, w) }) {
			shown := "no answer"
			if len(have) > 0 {
				shown = strings.Join(have, ", ")
			}
			failures = append(failures, fmt.Sprintf("answer %s missing: got %s", quote(w), shown))
		}
	}
	return failures
}

// rdata is a record's data as text: an address, a name, "10 mx.example.com.".
func rdata(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.A:
		return r.A.String()
	case *dns.AAAA:
		return r.AAAA.String()
	case *dns.TXT:
		return strings.Join(r.Txt, "")
	}
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
}

// sameAnswer compares answer texts: names case-insensitively and with or
// without their final dot, addresses by value.
func sameAnswer(got, want string) bool {
	if a, b := net.ParseIP(got), net.ParseIP(want); a != nil && b != nil {
		return a.Equal(b)
	}
	norm := func(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }
	return norm(got) == norm(want)
}
