package probe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/medic-dev/medic/internal/target"
)

// SkipVerifyWarning is the warning on every result of a target whose TLS
// certificate is not verified (tls.insecureSkipVerify).
const SkipVerifyWarning = "TLS certificate not verified (tls.insecureSkipVerify is set): this check cannot tell the server from an impostor"

// targetTLS is a target's TLS settings, their secrets read, for the
// connections to addr (the URL's host:port) only.
type targetTLS struct {
	addr       string
	roots      *x509.CertPool // nil: the Prober's roots
	cert       *tls.Certificate
	serverName string
	skipVerify bool
	startTLS   string // tls targets: the clear-text prelude ("smtp")
}

// appliesTo reports whether the settings are for a connection to addr.
func (tt *targetTLS) appliesTo(addr string) bool {
	return tt != nil && strings.EqualFold(tt.addr, addr)
}

// targetTLSFor reads the secrets of t.TLS and builds its settings. On
// failure it returns a failure text naming the setting and the secret.
func (p *Prober) targetTLSFor(ctx context.Context, t target.Target) (*targetTLS, string) {
	if t.TLS == nil {
		return nil, ""
	}
	addr := t.Address
	if t.GRPC != nil {
		addr = t.GRPC.Address
	}
	tt := &targetTLS{addr: addr, serverName: t.TLS.ServerName, skipVerify: t.TLS.InsecureSkipVerify, startTLS: t.TLS.StartTLS}
	if t.URL != "" {
		u, err := url.Parse(t.URL)
		if err != nil {
			return nil, "" // newRequest words it
		}
		tt.addr = net.JoinHostPort(u.Hostname(), portOf(u))
	}
	read := func(field, name string) (string, string) {
		if p.Secrets == nil {
			return "", fmt.Sprintf("tls.%s needs secret %q, but this probe has no secret source", field, name)
		}
		v, err := p.Secrets.Secret(ctx, name)
		if err != nil {
			return "", "tls." + strings.TrimPrefix(describeSecretError(field, name, err), "header ")
		}
		return v, ""
	}
	if name := t.TLS.CASecret; name != "" {
		pem, f := read("caSecret", name)
		if f != "" {
			return nil, f
		}
		roots, f := p.rootsWith(name, pem)
		if f != "" {
			return nil, f
		}
		tt.roots = roots
	}
	if t.TLS.CertSecret != "" {
		certPEM, f := read("certSecret", t.TLS.CertSecret)
		if f != "" {
			return nil, f
		}
		keyPEM, f := read("keySecret", t.TLS.KeySecret)
		if f != "" {
			return nil, f
		}
		cert, f := p.clientCert(t.TLS, certPEM, keyPEM)
		if f != "" {
			return nil, f
		}
		tt.cert = cert
	}
	return tt, ""
}

// rootsWith returns the Prober's roots (the system's, or TLSConfig's
// RootCAs) with the certificates of pem added; pools are kept by content.
func (p *Prober) rootsWith(name, pem string) (*x509.CertPool, string) {
	key := sha256.Sum256([]byte(pem))
	if v, ok := p.pools.Load(key); ok {
		return v.(*x509.CertPool), ""
	}
	var base *x509.CertPool
	if p.TLSConfig != nil && p.TLSConfig.RootCAs != nil {
		base = p.TLSConfig.RootCAs.Clone()
	} else {
		sys, err := x509.SystemCertPool()
		if err != nil {
			sys = x509.NewCertPool()
		}
		base = sys
	}
	if !base.AppendCertsFromPEM([]byte(pem)) {
		return nil, fmt.Sprintf("tls.caSecret: secret %q holds no PEM certificate (want one or more -----BEGIN CERTIFICATE----- blocks)", name)
	}
	p.pools.Store(key, base)
	return base, ""
}

// clientCert parses a client certificate and key; pairs are kept by content.
func (p *Prober) clientCert(s *target.TLS, certPEM, keyPEM string) (*tls.Certificate, string) {
	h := sha256.New()
	h.Write([]byte(certPEM))
	h.Write([]byte{0})
	h.Write([]byte(keyPEM))
	var key [sha256.Size]byte
	copy(key[:], h.Sum(nil))
	if v, ok := p.pairs.Load(key); ok {
		return v.(*tls.Certificate), ""
	}
	cert, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return nil, fmt.Sprintf("tls.certSecret, tls.keySecret: secrets %q and %q are not a PEM certificate and its private key: %s",
			s.CertSecret, s.KeySecret, strings.TrimPrefix(err.Error(), "tls: "))
	}
	p.pairs.Store(key, &cert)
	return &cert, ""
}
