package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// clientPEM issues a client certificate signed by ca and returns it and
// its key as PEM.
func (ca *testCA) clientPEM(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func caPEM(ca *testCA) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))
}

// mtlsServer requires a client certificate signed by clients and answers
// with the client's common name.
func mtlsServer(t *testing.T, cert tls.Certificate, clients *testCA) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients.pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPSTargetTLS(t *testing.T) {
	now := time.Now()
	serverCA, clientCA, otherCA := newCA(t), newCA(t), newCA(t)
	certPEM, keyPEM := clientCA.clientPEM(t, "medic probe")
	otherCert, otherKey := otherCA.clientPEM(t, "someone else")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	private := tlsServer(t, serverCA.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour)), ok)
	named := tlsServer(t, serverCA.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), "api.internal"), ok)
	mtls := mtlsServer(t, serverCA.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour)), clientCA)
	secrets := envSecrets(map[string]string{
		"SERVER_CA": caPEM(serverCA), "CLIENT_CERT": certPEM, "CLIENT_KEY": keyPEM,
		"OTHER_CERT": otherCert, "OTHER_KEY": otherKey, "NOT_PEM": "hello", "CLIENT_CERT_AS_KEY": certPEM,
	})
	// No TLSConfig: the system's roots, which do not know the test CAs.
	p := &probe.Prober{Allow: probe.All, Secrets: secrets}
	tests := []struct {
		name        string
		url         string
		tls         *target.TLS
		body        string
		want        []string
		wantWarning bool
	}{
		{name: "a private CA is unknown to the system roots", url: private.URL,
			want: []string{`certificate signed by an unknown authority (issuer "CN=medic test CA")`}},
		{name: "caSecret adds the private CA", url: private.URL, tls: &target.TLS{CASecret: "SERVER_CA"}},
		{name: "caSecret holding no certificate", url: private.URL, tls: &target.TLS{CASecret: "NOT_PEM"},
			want: []string{`tls.caSecret: secret "NOT_PEM" holds no PEM certificate (want one or more -----BEGIN CERTIFICATE----- blocks)`}},
		{name: "caSecret not set", url: private.URL, tls: &target.TLS{CASecret: "NO_SUCH_CA"},
			want: []string{`tls.caSecret: secret "NO_SUCH_CA" is not set in the environment variable MEDIC_SECRET_NO_SUCH_CA`}},
		{name: "a certificate for another name", url: named.URL, tls: &target.TLS{CASecret: "SERVER_CA"},
			want: []string{"certificate is valid for api.internal, not 127.0.0.1"}},
		{name: "serverName checks it for that name", url: named.URL, tls: &target.TLS{CASecret: "SERVER_CA", ServerName: "api.internal"}},
		{name: "mTLS with the client certificate", url: mtls.URL, body: "hello medic probe",
			tls: &target.TLS{CASecret: "SERVER_CA", CertSecret: "CLIENT_CERT", KeySecret: "CLIENT_KEY"}},
		{name: "mTLS without a client certificate", url: mtls.URL, tls: &target.TLS{CASecret: "SERVER_CA"},
			want: []string{"~the server refused the TLS connection \\(remote error: tls: certificate required\\): it wants a client certificate it trusts \\(tls.certSecret, tls.keySecret\\)"}},
		{name: "mTLS with a certificate the server does not trust", url: mtls.URL,
			tls:  &target.TLS{CASecret: "SERVER_CA", CertSecret: "OTHER_CERT", KeySecret: "OTHER_KEY"},
			want: []string{"~the server refused the TLS connection \\(remote error: tls: (unknown certificate authority|bad certificate)\\): it wants a client certificate it trusts \\(tls.certSecret, tls.keySecret\\)"}},
		{name: "a certificate with the wrong key", url: mtls.URL,
			tls:  &target.TLS{CASecret: "SERVER_CA", CertSecret: "CLIENT_CERT", KeySecret: "CLIENT_CERT_AS_KEY"},
			want: []string{`~tls.certSecret, tls.keySecret: secrets "CLIENT_CERT" and "CLIENT_CERT_AS_KEY" are not a PEM certificate and its private key: .*`}},
		{name: "insecureSkipVerify passes and warns", url: private.URL, tls: &target.TLS{InsecureSkipVerify: true}, wantWarning: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := target.Target{Name: "tls", Kind: target.KindHTTP, URL: tc.url, TLS: tc.tls}
			if tc.body != "" {
				tg.Expect.Body = str(tc.body)
			}
			res := p.Probe(context.Background(), tg)
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if got := len(res.Warnings) == 1 && res.Warnings[0] == probe.SkipVerifyWarning; got != tc.wantWarning {
				t.Fatalf("warnings = %q, want the skip-verify warning: %v", res.Warnings, tc.wantWarning)
			}
			for _, f := range res.Failures {
				if strings.Contains(f, "PRIVATE KEY") {
					t.Fatalf("a failure shows the key: %q", f)
				}
			}
		})
	}
}

// TestHTTPSTargetTLSStaysOnItsHost: the target's TLS settings are for its
// own host and port; a redirect to another server gets the defaults, so a
// client certificate or a skipped verification does not follow it.
func TestHTTPSTargetTLSStaysOnItsHost(t *testing.T) {
	now := time.Now()
	ca := newCA(t)
	elsewhere := tlsServer(t, ca.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour)),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	first := tlsServer(t, ca.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour)), http.RedirectHandler(elsewhere.URL+"/", http.StatusFound))
	p := &probe.Prober{Allow: probe.All}
	res := p.Probe(context.Background(), target.Target{Name: "hop", Kind: target.KindHTTP, URL: first.URL, FollowRedirects: true,
		TLS: &target.TLS{InsecureSkipVerify: true}})
	checkFailures(t, res.Failures, []string{`certificate signed by an unknown authority (issuer "CN=medic test CA")`})
}
