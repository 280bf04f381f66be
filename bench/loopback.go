package bench

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Loopback is an HTTP server on 127.0.0.1 that stands in for every target:
// each answers 200 "ok" after Delay.
type Loopback struct {
	URL string
	srv *http.Server
	ln  net.Listener
}

// StartLoopback starts a loopback target server.
func StartLoopback(delay time.Duration) (*Loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if delay > 0 {
			time.Sleep(delay)
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	})
	l := &Loopback{URL: "http://" + ln.Addr().String(), ln: ln,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// Close stops the server.
func (l *Loopback) Close() error { return l.srv.Close() }

// TargetName is the name of the i-th benchmark target.
func TargetName(i int) string { return fmt.Sprintf("t%05d", i) }

// TargetsYAML is a targets file with n HTTP targets on the loopback server,
// each expecting status 200 and the body "ok", and no channels.
func TargetsYAML(baseURL string, n int) []byte {
	var b strings.Builder
	b.WriteString("defaults: {timeout: 5s, staleAfter: 30m}\ntargets:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: %s, url: %q, expect: {status: [200], bodyContains: ok}}\n", TargetName(i), baseURL+"/"+TargetName(i))
	}
	return []byte(b.String())
}
