package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// httpCheck is the state of one HTTP probe, shared with the transport's
// callbacks (which run on other goroutines).
type httpCheck struct {
	mu        sync.Mutex
	start     time.Time
	stage     string
	dns       time.Duration
	connect   time.Duration
	tlsTime   time.Duration
	firstByte time.Duration
	chain     []*x509.Certificate // the last handshake's chain: verified, or as sent
	dialErr   error               // the last dial's error
	dials     sync.WaitGroup      // dials in flight
	deadline  time.Time           // the check's; dials end by it
	tls       *targetTLS          // the target's TLS settings, or nil
}

func (c *httpCheck) setDialErr(err error) {
	c.mu.Lock()
	c.dialErr = err
	c.mu.Unlock()
}

// connectError returns the error of the dial that the check's deadline
// ended. The transport gives up on a dial when the request's deadline
// passes, before the dial itself returns: its error, which names the
// addresses tried, comes a moment later.
func (c *httpCheck) connectError() error {
	done := make(chan struct{})
	go func() { c.dials.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(500 * time.Millisecond):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dialErr
}

func (c *httpCheck) setStage(s string) {
	c.mu.Lock()
	c.stage = s
	c.mu.Unlock()
}

func (c *httpCheck) currentStage() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stage
}

func (c *httpCheck) addDial(t dialTimes) {
	c.mu.Lock()
	c.dns += t.dns
	c.connect += t.connect
	c.mu.Unlock()
}

func (c *httpCheck) addTLS(d time.Duration) {
	c.mu.Lock()
	c.tlsTime += d
	c.mu.Unlock()
}

func (c *httpCheck) setChain(chain []*x509.Certificate) {
	c.mu.Lock()
	c.chain = chain
	c.mu.Unlock()
}

func (c *httpCheck) lastChain() []*x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.chain
}

// trace returns the httptrace hooks for the first-byte timing; DNS and
// connect are timed by the guarded dialer, which does its own resolution,
// and TLS by dialTLS, which does its own handshake.
func (c *httpCheck) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { c.setStage("waiting for the response") },
		GotFirstResponseByte: func() {
			c.mu.Lock()
			c.firstByte = time.Since(c.start)
			c.stage = "reading the response headers"
			c.mu.Unlock()
		},
	}
}

// phases returns the timings recorded so far.
func (c *httpCheck) phases() *Phases {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &Phases{DNSMS: ms(c.dns), ConnectMS: ms(c.connect), TLSMS: ms(c.tlsTime), FirstByteMS: ms(c.firstByte)}
}

// probeHTTP checks an http:// or https:// target and fills res.
func (p *Prober) probeHTTP(ctx context.Context, t target.Target, res *Result) {
	timeout := timeoutOf(t)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Secret header values are read here, inside the probe, and only the
	// request carries them: every text about the check is redacted.
	secret, redact, failure := p.secretHeaders(ctx, t)
	defer func() { redact.all(res.Failures) }()
	// Recovered here, before the redaction above, so that a panic's text
	// is redacted like every other failure.
	defer p.recoverCheck(t, res)
	if failure != "" {
		res.Failures = append(res.Failures, failure)
		return
	}

	tt, failure := p.targetTLSFor(ctx, t)
	if failure != "" {
		res.Failures = append(res.Failures, failure)
		return
	}
	if tt != nil && tt.skipVerify {
		res.Warnings = append(res.Warnings, SkipVerifyWarning)
	}

	chk := &httpCheck{stage: "connecting", tls: tt}
	client := p.httpClient(t, chk, secret)
	defer client.CloseIdleConnections()

	req, err := newRequest(httptrace.WithClientTrace(ctx, chk.trace()), t, secret)
	if err != nil {
		res.Failures = append(res.Failures, err.Error())
		return
	}

	chk.start = time.Now()
	chk.deadline, _ = ctx.Deadline()
	resp, err := client.Do(req)
	if err != nil && isTimeout(err) && chk.currentStage() == "connecting" {
		var dialed *dialError
		if errors.As(chk.connectError(), &dialed) {
			err = dialed
		}
	}
	if err != nil {
		res.LatencyMS = ms(time.Since(chk.start))
		res.Phases = chk.phases()
		recordChain(res, chk.lastChain())
		res.Failures = append(res.Failures, describe(err, chk.currentStage(), timeout))
		return
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	res.HTTPVersion = protoVersion(resp)
	chk.setStage("reading the body")
	var decoded io.Reader = resp.Body
	var unsupported string
	if needsBody(t.Expect) {
		decoded, unsupported = decodedBody(resp)
	}
	body, truncated, readErr := readBody(decoded, p.maxBody(t))
	body = redact.body(body)
	latency := time.Since(chk.start)
	res.LatencyMS = ms(latency)
	res.Phases = chk.phases()
	chain := chk.lastChain()
	recordChain(res, chain)

	if f := checkStatus(t.Expect.Status, resp.StatusCode); f != "" {
		res.Failures = append(res.Failures, f)
	}
	if want := t.Expect.HTTPVersion; want != "" && res.HTTPVersion != want {
		res.Failures = append(res.Failures, fmt.Sprintf("HTTP version %s, want %s", res.HTTPVersion, want))
	}
	res.Failures = append(res.Failures, checkHeaders(t.Expect, resp.Header)...)
	res.Redirects = redirectCount(resp)
	res.Failures = append(res.Failures, checkRedirects(t.Expect, resp)...)
	switch {
	case readErr != nil:
		res.Failures = append(res.Failures, describe(readErr, "reading the body", timeout))
	case unsupported != "":
		res.Failures = append(res.Failures, fmt.Sprintf("body is encoded as %s (Content-Encoding); medic decodes gzip and deflate only: cannot check it", quote(unsupported)))
	default:
		res.Failures = append(res.Failures, checkBody(t.Expect, body, truncated, p.maxBody(t))...)
	}
	if f := checkLatency(t.Expect.MaxLatency.D(), latency); f != "" {
		res.Failures = append(res.Failures, f)
	}
	if t.Expect.CertValidFor > 0 {
		res.Failures = append(res.Failures, checkCert(t.Expect.CertValidFor.D(), chain, p.now())...)
	}
}

// recordChain sets res's certificate expiry from chain: the earliest
// NotAfter, and which certificate it is when it is not the leaf.
func recordChain(res *Result, chain []*x509.Certificate) {
	if len(chain) == 0 {
		return
	}
	first := chainExpiry(chain)
	na := first.NotAfter
	res.CertExpiresAt = &na
	if i := slices.Index(chain, first); i > 0 {
		res.CertExpiring = fmt.Sprintf("%s %q", certRole(chain, i), first.Subject.String())
	}
}

// protoVersion names resp's protocol as httpVersion does: "1.0", "1.1", "2".
func protoVersion(resp *http.Response) string {
	if resp.ProtoMajor >= 2 {
		return strconv.Itoa(resp.ProtoMajor)
	}
	return fmt.Sprintf("%d.%d", resp.ProtoMajor, resp.ProtoMinor)
}

// newRequest builds the request t describes, with secret, the values of
// t.HeaderSecrets by header.
func newRequest(ctx context.Context, t target.Target, secret map[string]string) (*http.Request, error) {
	method := t.Method
	if method == "" {
		method = target.DefaultMethod
	}
	var body io.Reader
	if t.RequestBody != "" {
		body = strings.NewReader(t.RequestBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL, body)
	if err != nil {
		// Not the url.Error itself: it repeats the URL, which may hold credentials.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("invalid request: %w", err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("invalid URL %q: want http:// or https://", target.RedactURL(t.URL))
	}
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range t.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	for k, v := range secret {
		req.Header.Set(k, v)
	}
	return req, nil
}

// httpClient returns a client for one check: a fresh transport (no
// connection reuse, so every phase is measured), the guarded dialer, no
// proxy (a proxy would bypass the address guard), and redirects per t;
// the secret headers do not follow a redirect to another origin.
func (p *Prober) httpClient(t target.Target, chk *httpCheck, secret map[string]string) *http.Client {
	dialer := &guardedDialer{
		allow:     p.Allow,
		resolver:  p.Resolver,
		ipVersion: t.IPVersion,
		onDial:    chk.addDial,
	}
	// The transport dials on goroutines of its own, where a panic would end
	// the process: each dial recovers into its error.
	dial := func(ctx context.Context, network, addr string) (conn net.Conn, err error) {
		defer p.recoverDial(&err)
		chk.dials.Add(1)
		defer chk.dials.Done()
		// The transport detaches a dial from the request's deadline; the
		// check's deadline bounds it again.
		if !chk.deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, chk.deadline)
			defer cancel()
		}
		chk.setStage("connecting")
		conn, err = dialer.DialContext(ctx, network, addr)
		if err != nil {
			chk.setDialErr(err)
		}
		return conn, err
	}
	tr := &http.Transport{
		Proxy:       nil,
		DialContext: dial,
		DialTLSContext: func(ctx context.Context, network, addr string) (conn net.Conn, err error) {
			defer p.recoverDial(&err)
			return p.dialTLS(ctx, dial, network, addr, chk)
		},
		DisableKeepAlives: true,
		// HTTP/2 over TLS when the server's ALPN picks it (dialTLS offers
		// h2 and http/1.1); a custom TLS dialer needs this to enable it.
		ForceAttemptHTTP2: true,
		// Headers are small; a server sending megabytes of them is broken.
		MaxResponseHeaderBytes: 256 << 10,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !t.FollowRedirects {
				return http.ErrUseLastResponse
			}
			if len(via) > MaxRedirects {
				return errTooManyRedirects
			}
			stripOnRedirect(req, via, secret)
			return nil
		},
	}
}
