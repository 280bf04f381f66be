package target

import (
	"reflect"
	"testing"
)

func TestTLSDefaults(t *testing.T) {
	const file = `
defaults:
  tls: {caSecret: INTERNAL_CA, certSecret: CLIENT_CERT, keySecret: CLIENT_KEY}
targets:
  - {name: api, url: 'https://api.internal/healthz'}
  - {name: own, url: 'https://own.internal/', tls: {serverName: own.example}}
  - {name: plain, url: 'http://plain.internal/'}
`
	f, err := ParseFile("config/targets.yaml", []byte(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 || len(f.Targets) != 3 {
		t.Fatalf("targets %v problems %v", f.Targets, f.Problems)
	}
	inherited := &TLS{CASecret: "INTERNAL_CA", CertSecret: "CLIENT_CERT", KeySecret: "CLIENT_KEY"}
	if got := f.Targets[0].TLS; !reflect.DeepEqual(got, inherited) {
		t.Errorf("api tls = %+v, want the defaults' %+v", got, inherited)
	}
	merged := &TLS{CASecret: "INTERNAL_CA", CertSecret: "CLIENT_CERT", KeySecret: "CLIENT_KEY", ServerName: "own.example"}
	if got := f.Targets[1].TLS; !reflect.DeepEqual(got, merged) {
		t.Errorf("own tls = %+v, want the defaults merged key by key: %+v", got, merged)
	}
	if got := f.Targets[2].TLS; got != nil {
		t.Errorf("plain http target got tls %+v from the defaults", got)
	}
	if got, want := f.Targets[0].SecretNames(), []string{"CLIENT_CERT", "CLIENT_KEY", "INTERNAL_CA"}; !reflect.DeepEqual(got, want) {
		t.Errorf("secret names = %q, want %q", got, want)
	}

	// Whoever writes pulse/ picks the URL: no client certificate for it.
	pulse, err := ParsePulse("pulse/web.json", []byte(`{"url": "https://web.example/ping", "body": "pong"}`), f.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	if pulse.TLS != nil {
		t.Errorf("pulse target got the defaults' tls %+v", pulse.TLS)
	}
}

func TestTLSKind(t *testing.T) {
	const file = `
defaults:
  tls: {caSecret: INTERNAL_CA}
  expect: {certValidFor: 336h, status: [200]}
targets:
  - {name: ldaps, tcp: 'ldap.internal:636', tls: {}}
  - {name: smtp, tcp: 'mail.internal:587', tls: {startTLS: SMTP, serverName: mail.example.com}}
  - {name: pg, tcp: 'db.internal:5432'}
`
	f, err := ParseFile("config/targets.yaml", []byte(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 || len(f.Targets) != 3 {
		t.Fatalf("targets %v problems %v", f.Targets, f.Problems)
	}
	ldaps, smtp, pg := f.Targets[0], f.Targets[1], f.Targets[2]
	if ldaps.Kind != KindTLS || ldaps.Address != "ldap.internal:636" || !reflect.DeepEqual(ldaps.TLS, &TLS{CASecret: "INTERNAL_CA"}) ||
		ldaps.Expect.CertValidFor.D().Hours() != 336 || ldaps.Expect.Status != nil {
		t.Errorf("ldaps = %+v (tls %+v)", ldaps, ldaps.TLS)
	}
	if smtp.Kind != KindTLS || !reflect.DeepEqual(smtp.TLS, &TLS{CASecret: "INTERNAL_CA", StartTLS: "smtp", ServerName: "mail.example.com"}) {
		t.Errorf("smtp = %+v (tls %+v)", smtp, smtp.TLS)
	}
	if pg.Kind != KindTCP || pg.TLS != nil || pg.Expect.CertValidFor != 0 {
		t.Errorf("a tcp target took the defaults' TLS settings: %+v", pg)
	}
}

func TestDNSKindTarget(t *testing.T) {
	const file = `
defaults:
  expect: {status: [200], maxLatency: 1s}
targets:
  - name: resolver
    dns: {server: 10.0.0.2, name: app.example.com}
    expect: {answers: [192.0.2.10]}
  - name: zone
    dns: {server: '[2001:db8::53]:5353', name: example.com, type: mx, transport: TCP}
    expect: {rcode: nxdomain}
`
	f, err := ParseFile("config/targets.yaml", []byte(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 || len(f.Targets) != 2 {
		t.Fatalf("targets %v problems %v", f.Targets, f.Problems)
	}
	r, z := f.Targets[0], f.Targets[1]
	if r.Kind != KindDNS || !reflect.DeepEqual(r.DNS, &DNSQuery{Server: "10.0.0.2:53", Name: "app.example.com", Type: "A", Transport: "udp"}) ||
		!reflect.DeepEqual(r.Expect.Answers, []string{"192.0.2.10"}) || r.Expect.Status != nil || r.Expect.MaxLatency.D().Seconds() != 1 {
		t.Errorf("resolver = %+v (dns %+v)", r, r.DNS)
	}
	if !reflect.DeepEqual(z.DNS, &DNSQuery{Server: "[2001:db8::53]:5353", Name: "example.com", Type: "MX", Transport: "tcp"}) || z.Expect.RCode != "NXDOMAIN" {
		t.Errorf("zone = %+v (dns %+v)", z, z.DNS)
	}
}

func TestGRPCKindTarget(t *testing.T) {
	const file = `
defaults:
  tls: {caSecret: INTERNAL_CA}
  expect: {maxLatency: 1s}
targets:
  - {name: orders, grpc: {address: 'orders.internal:50051', service: orders.v1.Orders}}
  - {name: billing, grpc: {address: 'billing.internal:443'}, tls: {serverName: billing.example.com}, expect: {certValidFor: 168h}}
`
	f, err := ParseFile("config/targets.yaml", []byte(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 || len(f.Targets) != 2 {
		t.Fatalf("targets %v problems %v", f.Targets, f.Problems)
	}
	o, b := f.Targets[0], f.Targets[1]
	if o.Kind != KindGRPC || !reflect.DeepEqual(o.GRPC, &GRPCCheck{Address: "orders.internal:50051", Service: "orders.v1.Orders"}) || o.TLS != nil {
		t.Errorf("orders = %+v (grpc %+v, tls %+v): plaintext unless its own tls block says otherwise", o, o.GRPC, o.TLS)
	}
	if b.Kind != KindGRPC || !reflect.DeepEqual(b.TLS, &TLS{ServerName: "billing.example.com"}) || b.Expect.CertValidFor.D().Hours() != 168 {
		t.Errorf("billing = %+v (tls %+v)", b, b.TLS)
	}
}
