package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// pki is a certificate authority generated for one test, trusted by the
// harness's prober, and the server certificates it signs.
type pki struct {
	t      *testing.T
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	roots  *x509.CertPool
	serial int64
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "medic integration test CA"},
		NotBefore:             start.Add(-24 * time.Hour),
		NotAfter:              start.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &pki{t: t, ca: ca, caKey: key, roots: roots, serial: 1}
}

// leaf is a server certificate for ips and names, valid in [from, until],
// signed by the test CA (or self-signed).
func (p *pki) leaf(ips []net.IP, names []string, from, until time.Time, selfSigned bool) tls.Certificate {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial),
		Subject:      pkix.Name{CommonName: "medic integration test server"},
		NotBefore:    from,
		NotAfter:     until,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     names,
	}
	parent, signer := p.ca, p.caKey
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		p.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// discardLog silences the test servers' own logs (clients that hang up).
var discardLog = log.New(io.Discard, "", 0)

var loopbackIPs = []net.IP{net.IPv4(127, 0, 0, 1)}

// tlsServer starts an HTTPS server with cert.
func tlsServer(t *testing.T, cert tls.Certificate, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = discardLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// httpServer starts a plain HTTP server.
func httpServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = discardLog
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// bodyServer answers every request with status and body, counting requests.
type bodyServer struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   string
	hits   int
}

func newBodyServer(t *testing.T, status int, body string) *bodyServer {
	t.Helper()
	b := &bodyServer{status: status, body: body}
	b.Server = httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.hits++
		code, body := b.status, b.body
		b.mu.Unlock()
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	return b
}

// set changes what the server answers.
func (b *bodyServer) set(status int, body string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status, b.body = status, body
}

// requests counts the requests served so far.
func (b *bodyServer) requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits
}

// received is one request a receiver got.
type received struct {
	Path string
	Body map[string]any
}

// receiver is a webhook/Slack endpoint that records every request and
// answers with respond(n) for the n-th request (counting from 1).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.Server = httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{Path: r.URL.Path, Body: body})
		n := len(rc.got)
		respond := rc.respond
		rc.mu.Unlock()
		if respond == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		respond(n, w, r)
	}))
	return rc
}

// ok answers 200 to every request.
func ok(int, http.ResponseWriter, *http.Request) {}

// setRespond changes how later requests are answered.
func (rc *receiver) setRespond(f func(n int, w http.ResponseWriter, r *http.Request)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

// requests returns what was received so far.
func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// alertIDs lists the "id" of every webhook request, in order.
func (rc *receiver) alertIDs() []string {
	var ids []string
	for _, r := range rc.requests() {
		id, _ := r.Body["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// nxdomainResolver is a resolver whose DNS server (on loopback, started
// for the test) answers every query with NXDOMAIN: names under .invalid
// (RFC 2606) fail exactly as on a real network, with no network needed.
func nxdomainResolver(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// Same ID and question; QR, RD, RA set; RCODE 3 (NXDOMAIN); no answers.
			resp := append([]byte(nil), buf[:n]...)
			binary.BigEndian.PutUint16(resp[2:], 0x8183)
			binary.BigEndian.PutUint16(resp[6:], 0) // ANCOUNT
			binary.BigEndian.PutUint16(resp[8:], 0) // NSCOUNT
			binary.BigEndian.PutUint16(resp[10:], 0)
			resp = stripAdditional(resp)
			_, _ = pc.WriteTo(resp, addr)
		}
	}()
	dnsAddr := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", dnsAddr)
		},
	}
}

// stripAdditional cuts a DNS query after its first question (dropping an
// EDNS OPT record that the query may carry), so the answer's counts match
// its sections.
func stripAdditional(msg []byte) []byte {
	i := 12
	for i < len(msg) && msg[i] != 0 {
		i += int(msg[i]) + 1
	}
	end := i + 1 + 4 // the root label, QTYPE, QCLASS
	if end > len(msg) {
		return msg
	}
	return msg[:end]
}
