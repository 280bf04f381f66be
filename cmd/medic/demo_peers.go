package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/medic-dev/medic/internal/loopback"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// demoPeers are the demo's loopback servers: the targets and the webhook
// that receives alerts.
type demoPeers struct {
	healthy, wrongBody, slow, flaky, webhook string // base URLs
	refusing                                 string // host:port nobody listens on
	flakyDown                                atomic.Bool
	servers                                  []*http.Server
	received                                 chan demoAlert
}

// demoAlert is what the webhook channel posts.
type demoAlert struct {
	Target     string   `json:"target"`
	Kind       string   `json:"kind"`
	Text       string   `json:"text"`
	Dependents []string `json:"dependents"`
}

func startDemoPeers() (*demoPeers, error) {
	p := &demoPeers{received: make(chan demoAlert, 100)}
	var err error
	serve := func(h http.HandlerFunc) string {
		if err != nil {
			return ""
		}
		var ln net.Listener
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			err = fmt.Errorf("listen on loopback: %w", err)
			return ""
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		p.servers = append(p.servers, srv)
		go func() { _ = srv.Serve(ln) }()
		return "http://" + ln.Addr().String()
	}
	p.healthy = serve(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	p.wrongBody = serve(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "maintenance") })
	p.slow = serve(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
			io.WriteString(w, "ok")
		case <-r.Context().Done():
		}
	})
	p.flaky = serve(func(w http.ResponseWriter, r *http.Request) {
		if p.flakyDown.Load() {
			http.Error(w, "gateway unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	p.webhook = serve(func(w http.ResponseWriter, r *http.Request) {
		var a demoAlert
		if json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&a) != nil {
			http.Error(w, "want the webhook JSON body", http.StatusBadRequest)
			return
		}
		p.received <- a
		w.WriteHeader(http.StatusNoContent)
	})
	if err != nil {
		p.close()
		return nil, err
	}
	refusing, rerr := loopback.RefusingAddr()
	if rerr != nil {
		p.close()
		return nil, rerr
	}
	p.refusing = refusing
	return p, nil
}

func (p *demoPeers) close() {
	var wg sync.WaitGroup
	for _, s := range p.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = s.Shutdown(ctx)
		}()
	}
	wg.Wait()
}

// targetsFile is the demo's targets file; start is the demo clock's
// start, from which billing's maintenance window is set.
func (p *demoPeers) targetsFile(start time.Time) string {
	return fmt.Sprintf(`# medic demo targets: every one of them runs on loopback.
defaults:
  timeout: 500ms
  channels: [demo-webhook]
channels:
  demo-webhook:
    type: webhook
    url: %s/alerts
targets:
  - name: homepage
    url: %s/
    expect: {body: ok}
    group: web
  - name: status-page
    url: %s/status
    expect: {body: ok}
    group: web
  - name: search-api
    url: %s/search
    timeout: 300ms
    group: web
  - name: postgres
    tcp: %s
    group: data
  - name: gateway
    url: %s/gateway
    expect: {status: [200], body: ok}
    group: shop
  - name: cart
    url: %s/cart
    expect: {status: [200], body: ok}
    group: shop
    dependsOn: [gateway]       # its alerts fold into the gateway's while that is down
  - name: checkout
    url: %s/checkout
    expect: {status: [200], body: ok}
    group: shop
    dependsOn: [gateway]
  - name: billing
    url: %s/billing
    expect: {status: [200], body: ok}
    group: shop
    maintenance:               # planned work: its alerts are held, one summary after
      - {start: %s, end: %s}
`, p.webhook, p.healthy, p.wrongBody, p.slow, p.refusing, p.flaky, p.flaky, p.flaky,
		p.flaky, start.Add(demoWindowStart).UTC().Format(time.RFC3339), start.Add(demoWindowEnd).UTC().Format(time.RFC3339))
}

// billing's maintenance window, from the demo's start: open for cycles 2
// to 4 (at +5m, +10m, +15m with the default step), over the outage of
// cycles 2 and 3; the summary comes with cycle 5.
const (
	demoWindowStart = 5 * time.Minute
	demoWindowEnd   = 17 * time.Minute
)
