package probe

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// certError is a certificate the probe does not trust, said in words.
type certError struct{ msg string }

func (e *certError) Error() string { return e.msg }

// tlsConfig returns the TLS configuration for one check. It verifies the
// server's certificate itself (in VerifyConnection, with the Prober's roots
// and clock) so that the leaf's expiry is recorded even when the
// certificate is refused, and so that the refusal reads well.
func (p *Prober) tlsConfig(onLeaf func(notAfter time.Time)) *tls.Config {
	var cfg *tls.Config
	if p.TLSConfig != nil {
		cfg = p.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	skipVerify := cfg.InsecureSkipVerify
	roots := cfg.RootCAs
	cfg.InsecureSkipVerify = true // verification happens below
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &certError{msg: "server sent no certificate"}
		}
		leaf := cs.PeerCertificates[0]
		onLeaf(leaf.NotAfter)
		if skipVerify {
			return nil
		}
		return verifyChain(cs, roots, p.now())
	}
	return cfg
}

// verifyChain checks the peer's chain against roots (nil: the system's)
// for cs.ServerName at now, as crypto/tls would, and words any failure.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool, now time.Time) error {
	leaf := cs.PeerCertificates[0]
	if now.After(leaf.NotAfter) {
		return &certError{msg: fmt.Sprintf("certificate expired %s ago (%s)",
			humanDuration(now.Sub(leaf.NotAfter)), leaf.NotAfter.UTC().Format(time.RFC3339))}
	}
	if now.Before(leaf.NotBefore) {
		return &certError{msg: fmt.Sprintf("certificate not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))}
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       cs.ServerName,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
	})
	if err == nil {
		return nil
	}
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return &certError{msg: fmt.Sprintf("certificate signed by an unknown authority (issuer %q)", leaf.Issuer.String())}
	case errors.As(err, &host):
		return &certError{msg: "certificate " + strings.TrimPrefix(host.Error(), "x509: certificate ")}
	case errors.As(err, &invalid):
		return &certError{msg: "certificate not valid: " + strings.TrimPrefix(invalid.Error(), "x509: ")}
	}
	return &certError{msg: "certificate not valid: " + strings.TrimPrefix(err.Error(), "x509: ")}
}
