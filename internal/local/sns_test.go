package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/sfnapi"
)

// snsAPI is a loopback peer of the SNS Query API: it takes Action=Publish
// as the SDK sends it (a form POST, signed) and answers as SNS does.
type snsAPI struct {
	*httptest.Server
	mu        sync.Mutex
	published []url.Values
}

func newSNSAPI(t *testing.T) *snsAPI {
	t.Helper()
	p := &snsAPI{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if r.Method != http.MethodPost || err != nil || form.Get("Action") != "Publish" || form.Get("Version") != "2010-03-31" ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not a Publish</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		p.mu.Lock()
		p.published = append(p.published, form)
		n := len(p.published)
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf1467%04d</MessageId></PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>`, n)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *snsAPI) messages() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.published...)
}

const snsTargets = `channels:
  email: {type: sns}
targets:
  - name: web
    url: %s/
    failureThreshold: 1
    channels: [email]
`

// notifyOut is Notify's result in the execution's output.
func notifyOut(t *testing.T, rec local.Record) map[string]int {
	t.Helper()
	var out struct {
		Notify map[string]int `json:"notify"`
	}
	if err := json.Unmarshal([]byte(rec.Output), &out); err != nil || out.Notify == nil {
		t.Fatalf("execution output %s: no notify result (%v)", rec.Output, err)
	}
	return out.Notify
}

// A local run publishes an sns channel's alerts through the SNS API that
// AWS_ENDPOINT_URL_SNS names, to MEDIC_SNS_TOPIC_ARN; without the endpoint
// the alert is not refused but waits in the outbox, reported as pending,
// and is published by the first run that has the endpoint.
func TestLocalRunPublishesToTheSNSEndpointOfTheEnvironment(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer down.Close()
	api := newSNSAPI(t)
	const topic = "arn:aws:sns:eu-west-1:000000000000:medic-local"
	env := map[string]string{"MEDIC_SNS_TOPIC_ARN": topic, "AWS_REGION": "eu-west-1"}
	var mu sync.Mutex
	getenv := func(k string) string { mu.Lock(); defer mu.Unlock(); return env[k] }
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	open := func() *local.Env {
		t.Helper()
		e, err := local.Open(local.Options{StateDir: dir, Clock: clk, EngineClock: local.InstantClock(clk), Getenv: getenv})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ctx := context.Background()

	// No endpoint: the alert stays pending.
	e := open()
	if err := e.PutTargets(ctx, []byte(fmt.Sprintf(snsTargets, down.URL))); err != nil {
		t.Fatal(err)
	}
	rec, err := e.Run(ctx, "no-endpoint", `{"trigger":"schedule"}`)
	if err != nil || rec.Status != sfnapi.StatusSucceeded {
		t.Fatalf("run without an endpoint: %+v, %v", rec, err)
	}
	if got := notifyOut(t, rec); got["pending"] != 1 || got["rejected"] != 0 || got["delivered"] != 0 {
		t.Fatalf("notify without an endpoint = %v, want the delivery pending (not rejected)", got)
	}
	st, _ := e.Store(ctx)
	entries, err := outbox.List(ctx, st)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox = %+v, %v; want the DOWN alert waiting", entries, err)
	}
	d := entries[0].Alert.Deliveries["email"]
	if d == nil || d.Status != outbox.Pending || !strings.Contains(d.LastError, "AWS_ENDPOINT_URL_SNS") {
		t.Fatalf("delivery = %+v, want pending with an error naming AWS_ENDPOINT_URL_SNS", d)
	}
	if len(api.messages()) != 0 {
		t.Fatal("published without an endpoint")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	// With the endpoint, once the retry hint has passed: published.
	mu.Lock()
	env["AWS_ENDPOINT_URL_SNS"] = api.URL
	mu.Unlock()
	clk.Advance(2 * time.Minute)
	e = open()
	defer e.Close()
	rec, err = e.Run(ctx, "with-endpoint", `{"trigger":"schedule"}`)
	if err != nil || rec.Status != sfnapi.StatusSucceeded {
		t.Fatalf("run with the endpoint: %+v, %v", rec, err)
	}
	if got := notifyOut(t, rec); got["delivered"] != 1 || got["pending"] != 0 {
		t.Fatalf("notify with the endpoint = %v, want 1 delivered", got)
	}
	msgs := api.messages()
	if len(msgs) != 1 || msgs[0].Get("TopicArn") != topic || msgs[0].Get("Subject") != "medic: web is DOWN" ||
		!strings.Contains(msgs[0].Get("Message"), "web is DOWN since") {
		t.Fatalf("published %v, want one DOWN to %s", msgs, topic)
	}
	st, _ = e.Store(ctx)
	if entries, err := outbox.List(ctx, st); err != nil || len(entries) != 0 {
		t.Fatalf("outbox after delivery = %+v, %v", entries, err)
	}
}
