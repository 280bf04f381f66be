package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// probeTCP checks that t.Address (host:port) accepts a connection within
// the timeout, and fills res with the latency and its DNS and connect
// phases. The connection is closed at once; nothing is sent.
func (p *Prober) probeTCP(ctx context.Context, t target.Target, res *Result) {
	timeout := timeoutOf(t)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if f := tcpInapplicable(t.Expect); f != "" {
		res.Failures = append(res.Failures, f)
	}
	var times dialTimes
	d := &guardedDialer{allow: p.Allow, resolver: p.Resolver, ipVersion: t.IPVersion, onDial: func(dt dialTimes) { times = dt }}
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", t.Address)
	latency := time.Since(start)
	res.LatencyMS = ms(latency)
	res.Phases = &Phases{DNSMS: ms(times.dns), ConnectMS: ms(times.connect)}
	if err != nil {
		stage := "connecting"
		if times.connect == 0 {
			stage = "resolving " + t.Address
		}
		res.Failures = append(res.Failures, describe(err, stage, timeout))
		return
	}
	_ = conn.Close()
	if f := checkLatency(t.Expect.MaxLatency.D(), latency); f != "" {
		res.Failures = append(res.Failures, f)
	}
}

// tcpInapplicable names the first expectation a TCP connect cannot check.
func tcpInapplicable(e target.Expect) string {
	var field string
	switch {
	case len(e.Status) > 0:
		field = "status"
	case e.Body != nil:
		field = "body"
	case e.BodyContains != "":
		field = "bodyContains"
	case e.BodyRegex != "":
		field = "bodyRegex"
	case len(e.JSON) > 0:
		field = "json"
	case e.CertValidFor > 0:
		field = "certValidFor"
	case e.HTTPVersion != "":
		field = "httpVersion"
	case e.BodyNotContains != "":
		field = "bodyNotContains"
	case e.BodyNotRegex != "":
		field = "bodyNotRegex"
	case len(e.Headers) > 0:
		field = "headers"
	case len(e.HeadersContain) > 0:
		field = "headersContain"
	case len(e.HeadersRegex) > 0:
		field = "headersRegex"
	case e.FinalURL != "":
		field = "finalURL"
	case e.Redirects != nil:
		field = "redirects"
	default:
		return ""
	}
	return fmt.Sprintf("expect.%s cannot be checked on a tcp target", field)
}
