package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// certError is a certificate the probe does not trust, said in words.
type certError struct{ msg string }

func (e *certError) Error() string { return e.msg }

// dialTLS connects through dial and does the TLS handshake itself, so
// that the name the certificate is checked against is the one dialled
// (crypto/tls leaves ConnectionState.ServerName empty for IP addresses),
// the leaf's expiry is recorded even when the certificate is refused, and
// a refusal reads well. It verifies with the Prober's roots and clock.
func (p *Prober) dialTLS(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error),
	network, addr string, chk *httpCheck) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	raw, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	var tt *targetTLS
	if chk.tls.appliesTo(addr) {
		tt = chk.tls
	}
	cfg := p.tlsConfig(host, chk.setChain, tt)
	conn := tls.Client(raw, cfg)
	chk.setStage("in the TLS handshake")
	start := time.Now()
	err = conn.HandshakeContext(ctx)
	chk.addTLS(time.Since(start))
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	return conn, nil
}

// tlsConfig returns the client configuration for a handshake with host.
// onChain receives the certificates the server sent, and then, when they
// are verified, the verified chain (leaf first, root last).
// tt, when not nil, is the target's own settings for this connection.
func (p *Prober) tlsConfig(host string, onChain func([]*x509.Certificate), tt *targetTLS) *tls.Config {
	var cfg *tls.Config
	if p.TLSConfig != nil {
		cfg = p.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if tt != nil {
		if tt.roots != nil {
			cfg.RootCAs = tt.roots
		}
		if tt.cert != nil {
			cert := tt.cert
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		if tt.serverName != "" {
			cfg.ServerName = tt.serverName
		}
		cfg.InsecureSkipVerify = cfg.InsecureSkipVerify || tt.skipVerify
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	serverName := cfg.ServerName
	skipVerify := cfg.InsecureSkipVerify
	roots := cfg.RootCAs
	// HTTP/2 when the server offers it, as browsers do; a server that
	// speaks HTTP/2 only would refuse a client that offers http/1.1 alone.
	cfg.NextProtos = []string{"h2", "http/1.1"}
	cfg.InsecureSkipVerify = true // verification happens below
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &certError{msg: "server sent no certificate"}
		}
		onChain(cs.PeerCertificates)
		if skipVerify {
			return nil
		}
		verified, err := verifyChain(cs.PeerCertificates, serverName, roots, p.now())
		if err == nil {
			onChain(verified)
		}
		return err
	}
	return cfg
}

// verifyChain checks the peer's chain against roots (nil: the system's)
// for serverName at now, as crypto/tls would, and words any failure. It
// returns the verified chain, leaf first and root last.
func verifyChain(chain []*x509.Certificate, serverName string, roots *x509.CertPool, now time.Time) ([]*x509.Certificate, error) {
	leaf := chain[0]
	if now.After(leaf.NotAfter) {
		return nil, &certError{msg: fmt.Sprintf("certificate expired %s ago (%s)",
			humanDuration(now.Sub(leaf.NotAfter)), leaf.NotAfter.UTC().Format(time.RFC3339))}
	}
	if now.Before(leaf.NotBefore) {
		return nil, &certError{msg: fmt.Sprintf("certificate not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       serverName,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
	})
	if err == nil {
		return bestChain(chains), nil
	}
	return nil, wordCertError(err, leaf, serverName)
}

// bestChain picks, of the chains that verify, the one that stays valid
// longest (its earliest expiry is the latest): a client may take any of
// them, so the best one is what the certificate's life is.
func bestChain(chains [][]*x509.Certificate) []*x509.Certificate {
	var best []*x509.Certificate
	var bestEnd time.Time
	for _, c := range chains {
		if end := chainExpiry(c).NotAfter; best == nil || end.After(bestEnd) {
			best, bestEnd = c, end
		}
	}
	return best
}

// chainExpiry returns the certificate of chain that expires first.
func chainExpiry(chain []*x509.Certificate) *x509.Certificate {
	var first *x509.Certificate
	for _, c := range chain {
		if first == nil || c.NotAfter.Before(first.NotAfter) {
			first = c
		}
	}
	return first
}

// certRole names the place of chain[i]: "" for the leaf (the
// certificate), "root" for a self-signed CA, "intermediate" otherwise.
func certRole(chain []*x509.Certificate, i int) string {
	c := chain[i]
	switch {
	case i == 0:
		return ""
	case bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil:
		return "root"
	}
	return "intermediate"
}

// wordCertError words a verification error of leaf for serverName.
func wordCertError(err error, leaf *x509.Certificate, serverName string) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return &certError{msg: fmt.Sprintf("certificate signed by an unknown authority (issuer %q)", leaf.Issuer.String())}
	case errors.As(err, &host):
		names := slices.Clone(leaf.DNSNames)
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			return &certError{msg: fmt.Sprintf("certificate names no host, not %s", serverName)}
		}
		return &certError{msg: fmt.Sprintf("certificate is valid for %s, not %s", strings.Join(names, ", "), serverName)}
	case errors.As(err, &invalid):
		return &certError{msg: "certificate not valid: " + strings.TrimPrefix(invalid.Error(), "x509: ")}
	}
	return &certError{msg: "certificate not valid: " + strings.TrimPrefix(err.Error(), "x509: ")}
}
