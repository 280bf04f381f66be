package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// fault is what the S3 proxy does with one request.
type fault int

const (
	pass fault = iota
	// internalError answers 500 InternalError without forwarding.
	internalError
	// slowDown answers 503 SlowDown without forwarding.
	slowDown
	// reset closes the connection (RST) without answering or forwarding.
	reset
	// lostAnswer forwards the request, then resets the connection instead
	// of answering: the write landed but the client never hears so.
	lostAnswer
	// conflict answers 409 ConditionalRequestConflict without forwarding.
	conflict
	// slow forwards after the proxy's latency.
	slow
	// denied answers 403 AccessDenied without forwarding, every time (a
	// permanent refusal, such as an object under a KMS key the caller may
	// not use).
	denied
)

func (f fault) String() string {
	return [...]string{"pass", "500 InternalError", "503 SlowDown", "connection reset", "answer lost", "409 ConditionalRequestConflict", "latency", "403 AccessDenied"}[f]
}

// s3Proxy is a reverse proxy in front of the embedded S3 server that
// injects faults. decide sees every request with its sequence number and
// the number of faults already injected for the same method and key; the
// proxy never faults a request whose previous attempt it faulted, so
// every operation succeeds within the SDK's retries.
type s3Proxy struct {
	t       *testing.T
	backend *url.URL
	rp      *httputil.ReverseProxy
	decide  func(n int, r *http.Request) fault
	latency time.Duration
	// before, when set, runs before a request is forwarded (to interleave a
	// competing write).
	before func(r *http.Request)

	mu       sync.Mutex
	n        int
	lastHit  map[string]bool
	injected map[fault]int
	statuses map[int]int // status codes the backend answered
}

func newS3Proxy(t *testing.T, decide func(n int, r *http.Request) fault) *s3Proxy {
	return &s3Proxy{t: t, decide: decide, lastHit: map[string]bool{}, injected: map[fault]int{}, statuses: map[int]int{}}
}

// front starts the proxy for backend and returns its URL (a setup.s3Front).
func (p *s3Proxy) front(backend string) string {
	u, err := url.Parse(backend)
	if err != nil {
		p.t.Fatal(err)
	}
	p.backend = u
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ErrorLog = discardLog
	p.rp.ModifyResponse = func(resp *http.Response) error {
		p.mu.Lock()
		p.statuses[resp.StatusCode]++
		p.mu.Unlock()
		return nil
	}
	srv := httptest.NewUnstartedServer(p)
	srv.Config.ErrorLog = discardLog
	srv.Start()
	p.t.Cleanup(srv.Close)
	return srv.URL
}

func (p *s3Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	p.mu.Lock()
	p.n++
	f := pass
	if p.decide != nil {
		f = p.decide(p.n, r)
	}
	if f != pass && f != slow && f != denied && p.lastHit[key] {
		f = pass // the retry of a faulted request goes through
	}
	p.lastHit[key] = f != pass && f != slow && f != denied
	if f != pass {
		p.injected[f]++
	}
	before := p.before
	p.mu.Unlock()

	switch f {
	case internalError:
		s3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case slowDown:
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case denied:
		s3Error(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	case conflict:
		s3Error(w, r, http.StatusConflict, "ConditionalRequestConflict", "A conflicting conditional operation is currently in progress against this resource. Please try again.")
		return
	case reset:
		_, _ = io.Copy(io.Discard, r.Body)
		hangUp(w)
		return
	case slow:
		time.Sleep(p.latency)
	}
	if before != nil {
		before(r)
	}
	if f == lostAnswer {
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		hangUp(w)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// count returns how many faults of kind f were injected.
func (p *s3Proxy) count(f fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[f]
}

// answered returns how many times the backend answered with code.
func (p *s3Proxy) answered(code int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statuses[code]
}

// s3Error writes an S3 error response with its XML body.
func s3Error(w http.ResponseWriter, r *http.Request, code int, s3Code, msg string) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "MEDICFAULT0001")
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>MEDICFAULT0001</RequestId><HostId>medic-integration</HostId></Error>`,
		s3Code, msg, r.URL.Path)
}

// hangUp resets the client's connection: no answer at all.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("hijack: %v", err))
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST
	}
	_ = conn.Close()
}

// every returns a decision that injects f into every k-th request.
func every(k int, f fault) func(int, *http.Request) fault {
	return func(n int, _ *http.Request) fault {
		if n%k == 0 {
			return f
		}
		return pass
	}
}
