package probe_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// tlsListener accepts connections on loopback and runs serve on each.
func tlsListener(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// handshakeThenWait completes a TLS handshake as the server and waits
// for the client to go.
func handshakeThenWait(cfg *tls.Config) func(net.Conn) {
	return func(c net.Conn) {
		s := tls.Server(c, cfg)
		if s.Handshake() != nil {
			return
		}
		_, _ = s.Read(make([]byte, 1))
	}
}

// smtpServer speaks SMTP up to STARTTLS, then TLS; with noStartTLS it
// refuses STARTTLS as a server without it does.
func smtpServer(cfg *tls.Config, noStartTLS bool) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		_, _ = c.Write([]byte("220 mail.test ESMTP ready\r\n"))
		if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "EHLO ") {
			return
		}
		_, _ = c.Write([]byte("250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"))
		if line, _ := r.ReadString('\n'); line != "STARTTLS\r\n" {
			return
		}
		if noStartTLS {
			_, _ = c.Write([]byte("502 5.5.1 command not implemented\r\n"))
			return
		}
		_, _ = c.Write([]byte("220 2.0.0 go ahead\r\n"))
		handshakeThenWait(cfg)(c)
	}
}

func TestTLSKind(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	ca := newCA(t)
	inter := ca.intermediate(t, "medic test intermediate", now.Add(5*day))
	clients := newCA(t)
	good := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, now.Add(-day), now.Add(90*day))}}
	short := &tls.Config{Certificates: []tls.Certificate{withChain(inter.leaf(t, now.Add(-day), now.Add(90*day)), inter)}}
	mtls := &tls.Config{Certificates: good.Certificates, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients.pool}
	addrs := map[string]string{
		"good":      tlsListener(t, handshakeThenWait(good)),
		"short":     tlsListener(t, handshakeThenWait(short)),
		"mtls":      tlsListener(t, handshakeThenWait(mtls)),
		"silent":    tlsListener(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }),
		"smtp":      tlsListener(t, smtpServer(good, false)),
		"smtp-nots": tlsListener(t, smtpServer(good, true)),
	}
	certPEM, keyPEM := clients.clientPEM(t, "medic probe")
	p := &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{RootCAs: ca.pool}, Now: func() time.Time { return now },
		Secrets: envSecrets(map[string]string{"CLIENT_CERT": certPEM, "CLIENT_KEY": keyPEM})}
	tests := []struct {
		name       string
		server     string
		tls        target.TLS
		validFor   time.Duration
		timeout    time.Duration
		want       []string
		wantExpiry time.Time
	}{
		{name: "a handshake with a good chain", server: "good", validFor: 30 * day, wantExpiry: now.Add(90 * day)},
		{name: "an intermediate expiring soon", server: "short", validFor: 30 * day, wantExpiry: now.Add(5 * day),
			want: []string{`intermediate certificate "CN=medic test intermediate" expires in 5d (` + now.Add(5*day).UTC().Format(time.RFC3339) + `), want at least 30d`}},
		{name: "the wrong name", server: "good", tls: target.TLS{ServerName: "ldap.example.com"}, wantExpiry: now.Add(90 * day),
			want: []string{"certificate is valid for localhost, 127.0.0.1, ::1, not ldap.example.com"}},
		{name: "mutual TLS", server: "mtls", tls: target.TLS{CertSecret: "CLIENT_CERT", KeySecret: "CLIENT_KEY"}, wantExpiry: now.Add(90 * day)},
		{name: "mutual TLS without a certificate", server: "mtls", wantExpiry: now.Add(90 * day),
			want: []string{"the server refused the TLS connection (remote error: tls: certificate required): it wants a client certificate it trusts (tls.certSecret, tls.keySecret)"}},
		{name: "a server that never answers TLS", server: "silent", timeout: 300 * time.Millisecond,
			want: []string{"timeout after 300ms while in the TLS handshake"}},
		{name: "SMTP STARTTLS", server: "smtp", tls: target.TLS{StartTLS: "smtp"}, validFor: 30 * day, wantExpiry: now.Add(90 * day)},
		{name: "SMTP without STARTTLS", server: "smtp-nots", tls: target.TLS{StartTLS: "smtp"},
			want: []string{`SMTP server answered STARTTLS with "502 5.5.1 command not implemented"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tlsSettings := tc.tls
			res := p.Probe(context.Background(), target.Target{Name: "tls", Kind: target.KindTLS, Address: addrs[tc.server],
				TLS: &tlsSettings, Timeout: target.Duration(tc.timeout), Expect: target.Expect{CertValidFor: target.Duration(tc.validFor)}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if tc.wantExpiry.IsZero() != (res.CertExpiresAt == nil) || (res.CertExpiresAt != nil && !res.CertExpiresAt.Equal(tc.wantExpiry)) {
				t.Fatalf("certExpiresAt = %v, want %v", res.CertExpiresAt, tc.wantExpiry)
			}
			if res.Up && (res.Phases == nil || res.Phases.TLSMS <= 0 || res.Phases.ConnectMS <= 0) {
				t.Fatalf("phases = %+v, want connect and TLS times", res.Phases)
			}
		})
	}
}
