package probe_test

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// grpcServer runs a gRPC server on loopback with the standard health
// service (unless noHealth), "orders" SERVING and "billing" NOT_SERVING;
// over TLS when cfg is set.
func grpcServer(t testing.TB, cfg *tls.Config, noHealth bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if cfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	srv := grpc.NewServer(opts...)
	if !noHealth {
		h := health.NewServer()
		h.SetServingStatus("orders", healthpb.HealthCheckResponse_SERVING)
		h.SetServingStatus("billing", healthpb.HealthCheckResponse_NOT_SERVING)
		healthpb.RegisterHealthServer(srv, h)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func TestGRPCKind(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	ca := newCA(t)
	cert := ca.leaf(t, now.Add(-day), now.Add(20*day))
	plain := grpcServer(t, nil, false)
	secure := grpcServer(t, &tls.Config{Certificates: []tls.Certificate{cert}}, false)
	bare := grpcServer(t, nil, true)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	secrets := envSecrets(map[string]string{"GRPC_CA": caPEM(ca)})
	p := &probe.Prober{Allow: probe.All, Secrets: secrets, Now: func() time.Time { return now }}
	tests := []struct {
		name, addr, service string
		tls                 *target.TLS
		validFor            time.Duration
		p                   *probe.Prober
		want                []string
		wantExpiry          bool
	}{
		{name: "plaintext, the server as a whole", addr: plain},
		{name: "plaintext, a serving service", addr: plain, service: "orders"},
		{name: "a service not serving", addr: plain, service: "billing",
			want: []string{`health status NOT_SERVING, want SERVING (service "billing")`}},
		{name: "an unknown service", addr: plain, service: "nope",
			want: []string{`the server's health check does not know service "nope" (NotFound)`}},
		{name: "a server without the health service", addr: bare,
			want: []string{"~the server does not implement the gRPC health check \\(grpc.health.v1.Health\\): Unimplemented: .*"}},
		{name: "nothing listens", addr: refused, want: []string{"connection refused"}},
		{name: "TLS with the CA", addr: secure, service: "orders", tls: &target.TLS{CASecret: "GRPC_CA"}, wantExpiry: true},
		{name: "TLS certificate expiring", addr: secure, tls: &target.TLS{CASecret: "GRPC_CA"}, validFor: 30 * day, wantExpiry: true,
			want: []string{"certificate expires in 20d (" + now.Add(20*day).UTC().Format(time.RFC3339) + "), want at least 30d"}},
		{name: "TLS with an unknown CA", addr: secure, tls: &target.TLS{}, wantExpiry: true,
			want: []string{`certificate signed by an unknown authority (issuer "CN=medic test CA")`}},
		{name: "the address policy applies", addr: plain, p: &probe.Prober{},
			want: []string{"address 127.0.0.1 is loopback; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := p
			if tc.p != nil {
				pr = tc.p
			}
			res := pr.Probe(context.Background(), target.Target{Name: "grpc", Kind: target.KindGRPC, TLS: tc.tls,
				GRPC: &target.GRPCCheck{Address: tc.addr, Service: tc.service}, Timeout: target.Duration(5 * time.Second),
				Expect: target.Expect{CertValidFor: target.Duration(tc.validFor)}})
			checkFailures(t, res.Failures, tc.want)
			checkUp(t, res)
			if res.Up && (res.Phases == nil || res.Phases.FirstByteMS <= 0 || (tc.tls != nil) != (res.Phases.TLSMS > 0)) {
				t.Fatalf("phases = %+v, want the answer's time, and a TLS time with TLS only", res.Phases)
			}
			if tc.wantExpiry != (res.CertExpiresAt != nil) {
				t.Fatalf("certExpiresAt = %v, want one: %v", res.CertExpiresAt, tc.wantExpiry)
			}
		})
	}
}

// BenchmarkProbeGRPC: one grpc-kind check (a new plaintext connection and
// one health RPC to a loopback server), next to the same with a bare
// grpc client.
func BenchmarkProbeGRPC(b *testing.B) {
	addr := grpcServer(b, nil, false)
	b.Run("medic", func(b *testing.B) {
		p := &probe.Prober{Allow: probe.All}
		tg := target.Target{Name: "grpc", Kind: target.KindGRPC, GRPC: &target.GRPCCheck{Address: addr}, Timeout: target.Duration(5 * time.Second)}
		measure(b, func() error {
			if r := p.Probe(context.Background(), tg); !r.Up {
				b.Fatalf("probe failed: %v", r.Failures)
			}
			return nil
		})
	})
	b.Run("bare-new-conn", func(b *testing.B) {
		measure(b, func() error {
			conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecureCreds()))
			if err != nil {
				return err
			}
			defer conn.Close()
			_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
			return err
		})
	})
}

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }
