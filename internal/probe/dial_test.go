package probe_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func TestDialSeveralAddresses(t *testing.T) {
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	ip := netip.MustParseAddr
	// 127.0.0.3 drops connections on the server's port; 127.0.0.2 and
	// 127.0.0.4 refuse them; 127.0.0.1 is the server; nothing listens on ::1.
	blackhole(t, "127.0.0.3", port)
	resolver := dnsServer(t, map[string][]netip.Addr{
		"refused-first.test":  {ip("127.0.0.2"), ip("127.0.0.1")},
		"silent-first.test":   {ip("127.0.0.3"), ip("127.0.0.1")},
		"all-refuse.test":     {ip("127.0.0.2"), ip("127.0.0.4")},
		"one-refuses.test":    {ip("127.0.0.2")},
		"silent.test":         {ip("127.0.0.3")},
		"silent-refused.test": {ip("127.0.0.3"), ip("127.0.0.2")},
		"dual.test":           {ip("127.0.0.1"), ip("::1")},
		"v4only.test":         {ip("127.0.0.1")},
	})
	p := &probe.Prober{Allow: probe.All, Resolver: resolver}
	at := func(host string) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
	tests := []struct {
		name, host string
		ipVersion  int
		timeout    time.Duration
		want       []string
	}{
		{name: "a refusing address then a good one", host: "refused-first.test"},
		{name: "a silent address does not take the whole timeout", host: "silent-first.test", timeout: 3 * time.Second},
		{name: "every address refuses: each is named", host: "all-refuse.test",
			want: []string{fmt.Sprintf("no address of all-refuse.test accepted a connection: %s connection refused; %s connection refused", at("127.0.0.2"), at("127.0.0.4"))}},
		{name: "the one address refuses: it is named", host: "one-refuses.test",
			want: []string{fmt.Sprintf("connection refused at %s (one-refuses.test)", at("127.0.0.2"))}},
		{name: "the one address is silent", host: "silent.test", timeout: 400 * time.Millisecond,
			want: []string{fmt.Sprintf("timeout after 400ms while connecting to %s (silent.test)", at("127.0.0.3"))}},
		{name: "silent then refused, until the timeout", host: "silent-refused.test", timeout: 600 * time.Millisecond,
			want: []string{fmt.Sprintf("timeout after 600ms while connecting to silent-refused.test: %s no answer; %s connection refused", at("127.0.0.3"), at("127.0.0.2"))}},
		{name: "ipVersion 4 of a dual-stack name", host: "dual.test", ipVersion: 4},
		{name: "ipVersion 6 of a dual-stack name dials ::1 only", host: "dual.test", ipVersion: 6,
			want: []string{fmt.Sprintf("connection refused at %s (dual.test)", at("::1"))}},
		{name: "ipVersion 6 of an IPv4-only name", host: "v4only.test", ipVersion: 6,
			want: []string{"host v4only.test has no IPv6 address (ipVersion: 6); it resolves to 127.0.0.1"}},
		{name: "ipVersion 6 of an IPv4 literal", host: "127.0.0.1", ipVersion: 6,
			want: []string{"address 127.0.0.1 is not IPv6 (ipVersion: 6)"}},
	}
	for _, tc := range tests {
		for _, kind := range []string{target.KindHTTP, target.KindTCP} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				tg := target.Target{Name: "multi", Kind: kind, IPVersion: tc.ipVersion, Timeout: target.Duration(tc.timeout)}
				if kind == target.KindHTTP {
					tg.URL = "http://" + at(tc.host) + "/"
				} else {
					tg.Address = at(tc.host)
				}
				res := p.Probe(context.Background(), tg)
				checkFailures(t, res.Failures, tc.want)
				checkUp(t, res)
			})
		}
	}
}
