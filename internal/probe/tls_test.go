package probe_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

func TestHTTPSCertificates(t *testing.T) {
	ca := newCA(t)
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	trusting := &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{RootCAs: ca.pool}, Now: func() time.Time { return now }}
	tests := []struct {
		name      string
		cert      tls.Certificate
		p         *probe.Prober
		validFor  time.Duration
		want      []string
		wantCode  int
		wantNoTLS bool
	}{
		{name: "valid for 90 days", cert: ca.leaf(t, now.Add(-day), now.Add(90*day)), p: trusting,
			validFor: 7 * day, wantCode: 200},
		{name: "expires in 3 days, 7 wanted", cert: ca.leaf(t, now.Add(-day), now.Add(3*day)), p: trusting,
			validFor: 7 * day, wantCode: 200, want: []string{"certificate expires in 3d (" + now.Add(3*day).UTC().Format(time.RFC3339) + "), want at least 7d"}},
		{name: "expires in 3 days, nothing wanted", cert: ca.leaf(t, now.Add(-day), now.Add(3*day)), p: trusting,
			wantCode: 200},
		{name: "expired", cert: ca.leaf(t, now.Add(-30*day), now.Add(-2*day)), p: trusting, validFor: 7 * day,
			want: []string{"certificate expired 2d ago (" + now.Add(-2*day).UTC().Format(time.RFC3339) + ")"}},
		{name: "not yet valid", cert: ca.leaf(t, now.Add(day), now.Add(90*day)), p: trusting,
			want: []string{"certificate not valid before " + now.Add(day).UTC().Format(time.RFC3339)}},
		{name: "wrong host", cert: ca.leaf(t, now.Add(-day), now.Add(90*day), "other.example"), p: trusting,
			want: []string{"certificate is valid for other.example, not 127.0.0.1"}},
		{name: "unknown authority", cert: ca.leaf(t, now.Add(-day), now.Add(90*day)), p: &probe.Prober{Allow: probe.All},
			want: []string{`certificate signed by an unknown authority (issuer "CN=medic test CA")`}},
		{name: "verification turned off still records expiry", cert: ca.leaf(t, now.Add(-30*day), now.Add(-2*day)),
			p:        &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{InsecureSkipVerify: true}, Now: func() time.Time { return now }},
			validFor: day, wantCode: 200, want: []string{"certificate expired 2d ago (" + now.Add(-2*day).UTC().Format(time.RFC3339) + "), want at least 1d left"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := tlsServer(t, tc.cert, ok)
			res := tc.p.Probe(context.Background(), target.Target{Name: "secure", Kind: target.KindHTTP, URL: srv.URL,
				Expect: target.Expect{CertValidFor: target.Duration(tc.validFor)}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.StatusCode != tc.wantCode {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.wantCode)
			}
			if res.CertExpiresAt == nil || !res.CertExpiresAt.Equal(tc.cert.Leaf.NotAfter) {
				t.Fatalf("certExpiresAt = %v, want the leaf's NotAfter %v", res.CertExpiresAt, tc.cert.Leaf.NotAfter)
			}
			if res.Phases.TLSMS <= 0 {
				t.Fatalf("no TLS phase: %+v", res.Phases)
			}
		})
	}
}

func TestHTTPSPlainServer(t *testing.T) {
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := "https://" + srv.Listener.Addr().String()
	res := local().Probe(context.Background(), target.Target{Name: "mixed", Kind: target.KindHTTP, URL: url})
	checkFailures(t, res.Failures, []string{"the server did not answer TLS (is it plain HTTP?)"})
}

func TestHTTPSRedirectFromPlain(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	secure := tlsServer(t, ca.leaf(t, now.Add(-time.Hour), now.Add(40*24*time.Hour)),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	plain := server(t, http.RedirectHandler(secure.URL+"/", http.StatusMovedPermanently))
	p := &probe.Prober{Allow: probe.All, TLSConfig: &tls.Config{RootCAs: ca.pool}}
	res := p.Probe(context.Background(), target.Target{Name: "upgrade", Kind: target.KindHTTP, URL: plain.URL, FollowRedirects: true,
		Expect: target.Expect{CertValidFor: target.Duration(30 * 24 * time.Hour), Body: str("ok")}})
	checkFailures(t, res.Failures, nil)
	if res.CertExpiresAt == nil {
		t.Fatal("the final hop's certificate expiry was not recorded")
	}
}
