package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// intermediate issues a CA certificate signed by ca, valid until notAfter.
func (ca *testCA) intermediate(t *testing.T, name string, notAfter time.Time) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-24 * time.Hour),
		NotAfter:              notAfter,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pool: ca.pool}
}

// withChain returns leaf as served with the intermediates after it.
func withChain(leaf tls.Certificate, inters ...*testCA) tls.Certificate {
	for _, c := range inters {
		leaf.Certificate = append(leaf.Certificate, c.cert.Raw)
	}
	return leaf
}

func TestHTTPSChainExpiry(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	root := newCA(t) // valid 365 days
	soon := root.intermediate(t, "medic test intermediate", now.Add(5*day))
	later := root.intermediate(t, "medic test intermediate 2", now.Add(200*day))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	p := &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{RootCAs: root.pool}, Now: func() time.Time { return now }}
	stamp := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }

	tests := []struct {
		name         string
		cert         tls.Certificate
		validFor     time.Duration
		wantExpiry   time.Time
		wantExpiring string
		want         []string
	}{
		{name: "intermediate expiring in 5 days fails 30d", cert: withChain(soon.leaf(t, now.Add(-day), now.Add(90*day)), soon),
			validFor: 30 * day, wantExpiry: now.Add(5 * day), wantExpiring: `intermediate "CN=medic test intermediate"`,
			want: []string{`intermediate certificate "CN=medic test intermediate" expires in 5d (` + stamp(5*day) + `), want at least 30d`}},
		{name: "intermediate expiring in 5 days is recorded without certValidFor", cert: withChain(soon.leaf(t, now.Add(-day), now.Add(90*day)), soon),
			wantExpiry: now.Add(5 * day), wantExpiring: `intermediate "CN=medic test intermediate"`},
		{name: "leaf and intermediate both short: one line each", cert: withChain(soon.leaf(t, now.Add(-day), now.Add(3*day)), soon),
			validFor: 30 * day, wantExpiry: now.Add(3 * day),
			want: []string{"certificate expires in 3d (" + stamp(3*day) + "), want at least 30d",
				`intermediate certificate "CN=medic test intermediate" expires in 5d (` + stamp(5*day) + `), want at least 30d`}},
		{name: "the root counts too", cert: withChain(later.leaf(t, now.Add(-day), now.Add(90*day)), later),
			validFor: 400 * day, wantExpiry: now.Add(90 * day),
			want: []string{"certificate expires in 90d (" + stamp(90*day) + "), want at least 400d",
				`intermediate certificate "CN=medic test intermediate 2" expires in 200d (` + stamp(200*day) + `), want at least 400d`,
				`root certificate "CN=medic test CA" expires in 365d (` + root.cert.NotAfter.UTC().Format(time.RFC3339) + `), want at least 400d`}},
		{name: "a long chain passes", cert: withChain(later.leaf(t, now.Add(-day), now.Add(90*day)), later),
			validFor: 30 * day, wantExpiry: now.Add(90 * day)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := tlsServer(t, tc.cert, ok)
			res := p.Probe(context.Background(), target.Target{Name: "chain", Kind: target.KindHTTP, URL: srv.URL,
				Expect: target.Expect{CertValidFor: target.Duration(tc.validFor)}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.CertExpiresAt == nil || !res.CertExpiresAt.Equal(tc.wantExpiry) {
				t.Fatalf("certExpiresAt = %v, want the earliest in the chain, %v", res.CertExpiresAt, tc.wantExpiry)
			}
			if res.CertExpiring != tc.wantExpiring {
				t.Fatalf("certExpiring = %q, want %q", res.CertExpiring, tc.wantExpiring)
			}
		})
	}
}
