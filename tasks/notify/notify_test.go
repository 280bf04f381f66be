package notify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/medic-dev/medic/internal/channel/channeltest"
	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/notify"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

const snsOK = `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>`

// behaviour is how a receiver answers.
type behaviour string

const (
	answerOK   behaviour = "200"
	answer429  behaviour = "429"
	answer500  behaviour = "500"
	answer404  behaviour = "404"
	answerHang behaviour = "hang"
	// clientTimeout is far above a loopback answer even under -race on a
	// loaded machine; the hang cases wait for it.
	clientTimeout = 2 * time.Second
)

// peer is one channel's receiver whose behaviour a test can change.
type peer struct {
	*channeltest.Receiver
	mu sync.Mutex
	b  behaviour
	// answer, when set, writes the response instead of b.
	answer func(w http.ResponseWriter)
}

func (p *peer) set(b behaviour) { p.mu.Lock(); p.b, p.answer = b, nil; p.mu.Unlock() }

// respond makes the peer answer every request with answer.
func (p *peer) respond(answer func(w http.ResponseWriter)) {
	p.mu.Lock()
	p.answer = answer
	p.mu.Unlock()
}

func newPeer(t *testing.T, sns bool) *peer {
	p := &peer{b: answerOK}
	p.Receiver = channeltest.NewReceiver(t, true, func(_ int, w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		b, answer := p.b, p.answer
		p.mu.Unlock()
		if answer != nil {
			answer(w)
			return
		}
		switch b {
		case answerOK:
			if sns {
				w.Header().Set("Content-Type", "text/xml")
				_, _ = io.WriteString(w, snsOK)
				return
			}
			w.WriteHeader(http.StatusOK)
		case answer429:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case answer500:
			w.WriteHeader(http.StatusInternalServerError)
		case answer404:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message": "Unknown Webhook", "code": 10015}`)
		case answerHang:
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
	})
	return p
}

// world is a bucket, a peer per channel type and handlers wired to them.
type world struct {
	t        *testing.T
	store    *store.Store
	clock    *clock.Manual
	peers    map[string]*peer // by channel name
	channels map[string]target.Channel
	deps     registry.Deps
	logs     *syncBuffer
}

const secretHook = "s3cretHookPath"

func newWorld(t *testing.T) *world {
	t.Helper()
	clk := clock.NewManual(t0)
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	w := &world{t: t, store: store.New(srv.Client(), "medic"), clock: clk,
		peers: map[string]*peer{}, channels: map[string]target.Channel{}, logs: &syncBuffer{}}
	pool := x509.NewCertPool()
	env := map[string]string{}
	add := func(c target.Channel, sns bool) {
		p := newPeer(t, sns)
		pool.AddCert(p.Certificate())
		w.peers[c.Name] = p
		switch c.Type {
		case target.ChannelSlack, target.ChannelDiscord:
			c.URLSecret = strings.ToUpper(c.Name) + "_URL"
			env[c.URLSecret] = p.URL + "/" + secretHook + "/" + c.Name
		case target.ChannelLINE:
			c.TokenSecret, c.To, c.Endpoint = "LINE_TOKEN", "U123", p.URL
			env["LINE_TOKEN"] = "s3cretLineToken"
		case target.ChannelWebhook:
			c.URL = p.URL + "/hook/" + c.Name
		}
		w.channels[c.Name] = c
	}
	add(target.Channel{Name: "slack", Type: target.ChannelSlack}, false)
	add(target.Channel{Name: "discord", Type: target.ChannelDiscord}, false)
	add(target.Channel{Name: "line", Type: target.ChannelLINE}, false)
	add(target.Channel{Name: "sns", Type: target.ChannelSNS}, true)
	add(target.Channel{Name: "hook", Type: target.ChannelWebhook}, false)
	add(target.Channel{Name: "hook2", Type: target.ChannelWebhook}, false)
	hc := &http.Client{Timeout: clientTimeout}
	hc.Transport = &http.Transport{TLSClientConfig: tlsConfig(pool)}
	w.deps = registry.Deps{
		Secrets: channeltest.Env(env),
		HTTP:    hc,
		SNS: awssns.New(awssns.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.peers["sns"].URL),
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: hc, RetryMaxAttempts: 1}),
		DefaultTopicArn: "arn:aws:sns:us-east-1:123456789012:medic",
	}
	return w
}

func (w *world) handler() *notify.Handler {
	return &notify.Handler{
		Store:    w.store,
		Channels: func(context.Context) (map[string]target.Channel, error) { return w.channels, nil },
		Deps:     w.deps,
		Clock:    w.clock,
		Logger:   slog.New(slog.NewJSONHandler(w.logs, nil)),
	}
}

func (w *world) raise(id string, channels ...string) {
	w.t.Helper()
	a := outbox.Alert{ID: id, Target: "web", Kind: outbox.KindDown, Since: t0.Add(-10 * time.Minute), At: t0,
		Endpoint: "https://web.example.com/health", Failures: []string{"status 503, want 200-399"},
		Text:     "web is DOWN since 2026-11-21 09:50 UTC: status 503, want 200-399",
		Deadline: t0.Add(outbox.DefaultDeadline), Deliveries: map[string]*outbox.Delivery{}}
	for _, c := range channels {
		a.Deliveries[c] = &outbox.Delivery{Status: outbox.Pending}
	}
	if _, err := outbox.Create(context.Background(), w.store, a); err != nil {
		w.t.Fatal(err)
	}
}

// requests counts what each peer received.
func (w *world) requests() map[string]int {
	n := map[string]int{}
	for name, p := range w.peers {
		n[name] = len(p.Requests())
	}
	return n
}

// noSecrets fails if a secret appears in the logs or in err.
func (w *world) noSecrets(err error) {
	w.t.Helper()
	text := w.logs.String()
	if err != nil {
		text += err.Error()
	}
	for _, s := range []string{secretHook, "s3cretLineToken"} {
		if strings.Contains(text, s) {
			w.t.Fatalf("secret %q leaked into logs or errors:\n%s", s, text)
		}
	}
}

func TestEveryChannelTypeDeliversOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raise("web-down-1", "slack", "discord", "line", "sns", "hook")
	out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
	if err != nil || out != (notify.Out{Delivered: 5}) {
		t.Fatalf("Handle = %+v, %v", out, err)
	}
	want := map[string]int{"slack": 1, "discord": 1, "line": 1, "sns": 1, "hook": 1, "hook2": 0}
	if got := w.requests(); !equal(got, want) {
		t.Fatalf("requests = %v, want %v", got, want)
	}
	if _, err := outbox.Get(ctx, w.store, "web-down-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delivered alert still in the outbox: %v", err)
	}
	// A second run finds nothing to do and sends nothing.
	out, err = w.handler().Handle(ctx, notify.In{Run: "run-2"})
	if err != nil || out != (notify.Out{}) || !equal(w.requests(), want) {
		t.Fatalf("second run = %+v, %v, requests %v", out, err, w.requests())
	}
	w.noSecrets(err)
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		channel   string
		b         behaviour
		retryable bool
		rejected  bool
		lastError string
	}{
		{name: "slack 429", channel: "slack", b: answer429, retryable: true, lastError: "status 429 (retry after 7s)"},
		{name: "webhook 500", channel: "hook", b: answer500, retryable: true, lastError: "status 500"},
		{name: "line 500", channel: "line", b: answer500, retryable: true, lastError: "status 500"},
		{name: "sns 500", channel: "sns", b: answer500, retryable: true, lastError: "StatusCode: 500"},
		{name: "discord hang", channel: "discord", b: answerHang, retryable: true, lastError: "Client.Timeout exceeded"},
		{name: "discord 404", channel: "discord", b: answer404, rejected: true, lastError: "the webhook no longer exists"},
		{name: "webhook 404", channel: "hook", b: answer404, rejected: true, lastError: "status 404"},
		{name: "sns 404", channel: "sns", b: answer404, rejected: true, lastError: "StatusCode: 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			w.peers[tt.channel].set(tt.b)
			w.raise("a1", tt.channel, "hook2")
			out, err := w.handler().Handle(ctx, notify.In{Run: "run-1"})
			w.noSecrets(err)
			var rde *notify.RetryableDeliveryError
			if tt.retryable != errors.As(err, &rde) {
				t.Fatalf("err = %v, want RetryableDeliveryError: %v", err, tt.retryable)
			}
			if !tt.retryable && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.b == answer429 && rde.RetryAfter != 7*time.Second {
				t.Fatalf("RetryAfter = %s, want the channel's 7s", rde.RetryAfter)
			}
			if w.requests()["hook2"] != 1 {
				t.Fatal("the other channel was not tried")
			}
			e, getErr := outbox.Get(ctx, w.store, "a1")
			if tt.rejected {
				if out != (notify.Out{Delivered: 1, Rejected: 1}) || !errors.Is(getErr, store.ErrNotFound) {
					t.Fatalf("out = %+v; alert kept: %v", out, getErr)
				}
				if !strings.Contains(w.logs.String(), tt.lastError) {
					t.Fatalf("rejection not logged with %q:\n%s", tt.lastError, w.logs)
				}
				return
			}
			if out != (notify.Out{Delivered: 1, Pending: 1}) || getErr != nil {
				t.Fatalf("out = %+v, get = %v", out, getErr)
			}
			d := e.Alert.Deliveries[tt.channel]
			if d.Status != outbox.Pending || d.Attempts != 1 || !strings.Contains(d.LastError, tt.lastError) {
				t.Fatalf("delivery = %+v, want pending after 1 attempt with %q", d, tt.lastError)
			}
			if e.Alert.Deliveries["hook2"].Status != outbox.Delivered {
				t.Fatalf("hook2 = %+v", e.Alert.Deliveries["hook2"])
			}
			// Nothing lost: the channel recovers and the next run delivers,
			// sending only what is still pending.
			w.peers[tt.channel].set(answerOK)
			w.clock.Advance(7 * time.Second) // past the 429's Retry-After
			out, err = w.handler().Handle(ctx, notify.In{Run: "run-2"})
			if err != nil || out != (notify.Out{Delivered: 1}) {
				t.Fatalf("second run = %+v, %v", out, err)
			}
			if got := w.requests(); got[tt.channel] != 2 || got["hook2"] != 1 {
				t.Fatalf("requests = %v", got)
			}
			if _, err := outbox.Get(ctx, w.store, "a1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("alert not deleted after delivery: %v", err)
			}
		})
	}
}

func TestUndeclaredChannelIsRejected(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raise("a1", "hook", "pagerduty")
	// Keep the alert (hook fails) so the rejection can be read back.
	w.peers["hook"].set(answer500)
	_, err := w.handler().Handle(ctx, notify.In{Run: "r"})
	var rde *notify.RetryableDeliveryError
	if !errors.As(err, &rde) {
		t.Fatalf("err = %v", err)
	}
	e, err := outbox.Get(ctx, w.store, "a1")
	if err != nil {
		t.Fatal(err)
	}
	d := e.Alert.Deliveries["pagerduty"]
	if d.Status != outbox.Rejected || !strings.Contains(d.LastError, `channel "pagerduty" is not declared`) {
		t.Fatalf("pagerduty delivery = %+v", d)
	}
}

func TestDeadlineDropsLoudly(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raise("old", "slack", "hook")
	w.peers["slack"].set(answer500)
	if _, err := w.handler().Handle(ctx, notify.In{Run: "r1"}); err == nil {
		t.Fatal("want a retryable error")
	}
	w.clock.Advance(outbox.DefaultDeadline + time.Minute)
	out, err := w.handler().Handle(ctx, notify.In{Run: "r2"})
	if err != nil || out != (notify.Out{Dropped: 1}) {
		t.Fatalf("Handle = %+v, %v", out, err)
	}
	if w.requests()["slack"] != 1 {
		t.Fatal("an expired alert was sent again")
	}
	var rec outbox.Dropped
	if _, err := w.store.GetJSON(ctx, outbox.DroppedKey("old"), &rec); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rec.Undelivered, ",") != "slack" || rec.Alert.Deliveries["slack"].LastError == "" {
		t.Fatalf("dropped record = %+v", rec)
	}
	var line struct {
		Level, Msg, Target, Kind string
		Undelivered              []string
	}
	for _, l := range strings.Split(strings.TrimSpace(w.logs.String()), "\n") {
		if strings.Contains(l, "ALERT DROPPED") {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line.Level != "ERROR" || line.Target != "web" || line.Kind != "DOWN" || strings.Join(line.Undelivered, ",") != "slack" {
		t.Fatalf("drop log line = %+v\n%s", line, w.logs)
	}
	w.noSecrets(nil)
}

func TestLeases(t *testing.T) {
	tests := []struct {
		name     string
		lease    time.Time
		wantSent int
		wantOut  notify.Out
	}{
		{name: "crashed run's lease expired", lease: t0.Add(-time.Second), wantSent: 1, wantOut: notify.Out{Delivered: 1}},
		{name: "another run is sending", lease: t0.Add(time.Minute), wantSent: 0, wantOut: notify.Out{Pending: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			w.raise("a1", "hook")
			if _, err := outbox.Update(ctx, w.store, "a1", func(a *outbox.Alert) error {
				a.Deliveries["hook"] = &outbox.Delivery{Status: outbox.Sending, LeaseUntil: &tt.lease, Claim: "crashed/1"}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			out, err := w.handler().Handle(ctx, notify.In{Run: "r"})
			if err != nil || out != tt.wantOut || w.requests()["hook"] != tt.wantSent {
				t.Fatalf("Handle = %+v, %v; sent %d", out, err, w.requests()["hook"])
			}
		})
	}
}

// TestConcurrentRunsSendEachAlertOncePerChannel runs two handlers on the
// same bucket at the same time.
func TestConcurrentRunsSendEachAlertOncePerChannel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const alerts = 12
	for i := range alerts {
		w.raise("alert-"+string(rune('a'+i)), "hook", "hook2", "line")
	}
	var wg sync.WaitGroup
	outs := make([]notify.Out, 2)
	for i := range outs {
		wg.Go(func() {
			out, err := w.handler().Handle(ctx, notify.In{Run: "same-run"})
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		})
	}
	wg.Wait()
	if got := outs[0].Delivered + outs[1].Delivered; got != 3*alerts {
		t.Fatalf("runs delivered %d + %d, want %d in total", outs[0].Delivered, outs[1].Delivered, 3*alerts)
	}
	for _, name := range []string{"hook", "hook2", "line"} {
		seen := map[string]int{}
		for _, r := range w.peers[name].Requests() {
			seen[alertID(t, name, r.Body)]++
		}
		if len(seen) != alerts {
			t.Fatalf("%s received %d distinct alerts, want %d", name, len(seen), alerts)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%s received alert %s %d times", name, id, n)
			}
		}
	}
	if entries, err := outbox.List(ctx, w.store); err != nil || len(entries) != 0 {
		t.Fatalf("outbox after both runs: %d entries, %v", len(entries), err)
	}
}

func alertID(t *testing.T, channel string, body []byte) string {
	t.Helper()
	if channel == "line" {
		var p struct{ Messages []struct{ Text string } }
		if err := json.Unmarshal(body, &p); err != nil || len(p.Messages) != 1 {
			t.Fatalf("line body %s", body)
		}
		i := strings.LastIndex(p.Messages[0].Text, "Alert: ")
		return p.Messages[0].Text[i+len("Alert: "):]
	}
	var b struct{ ID string }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b.ID
}

func TestChannelsErrorFailsTheTask(t *testing.T) {
	w := newWorld(t)
	h := w.handler()
	h.Channels = func(context.Context) (map[string]target.Channel, error) {
		return nil, errors.New("config/targets.yaml: line 3: bad indentation")
	}
	_, err := h.Handle(context.Background(), notify.In{Run: "r"})
	var rde *notify.RetryableDeliveryError
	if err == nil || errors.As(err, &rde) || !strings.Contains(err.Error(), "load channels") {
		t.Fatalf("err = %v", err)
	}
}

func TestRetryableDeliveryErrorName(t *testing.T) {
	// The state machine matches the Go type's name (aws-lambda-go's errorType).
	var err error = &notify.RetryableDeliveryError{Failures: []string{"alert a on channel b: retryable: status 503"}}
	if got := strings.TrimPrefix(strings.TrimPrefix(typeName(err), "*"), "notify."); got != "RetryableDeliveryError" {
		t.Fatalf("type name = %s", got)
	}
	if !strings.Contains(err.Error(), "1 deliveries failed transiently") {
		t.Fatalf("message = %s", err)
	}
}

func equal(a, b map[string]int) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// syncBuffer is a bytes.Buffer safe for the handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestOutOfTimeLeavesAlertsPending: an invocation too close to its
// deadline for one more send (a backlog after a wide outage) starts no
// delivery, counts the alerts as pending and fails with
// RetryableDeliveryError so the state machine's retry goes on; the next
// invocation with time delivers each alert once.
func TestOutOfTimeLeavesAlertsPending(t *testing.T) {
	w := newWorld(t)
	for _, id := range []string{"web-down-1", "web-down-2", "web-down-3"} {
		w.raise(id, "hook", "hook2")
	}
	h := w.handler()

	short, cancel := context.WithTimeout(context.Background(), 9*time.Second) // under the 5 s kept to record outcomes + a 5 s send
	defer cancel()
	out, err := h.Handle(short, notify.In{Run: "run-1"})
	var re *notify.RetryableDeliveryError
	if !errors.As(err, &re) || re.NotTried != 3 || !strings.Contains(err.Error(), "3 alerts were not tried before the function's time ran out") {
		t.Fatalf("Handle near the deadline: err = %v, want a RetryableDeliveryError with 3 alerts not tried", err)
	}
	if out != (notify.Out{Pending: 6}) {
		t.Fatalf("Handle near the deadline = %+v, want 6 deliveries pending", out)
	}
	if got := w.requests(); got["hook"] != 0 || got["hook2"] != 0 {
		t.Fatalf("requests = %v, want none", got)
	}
	if !strings.Contains(w.logs.String(), "out of time") {
		t.Errorf("no log line says the invocation ran out of time:\n%s", w.logs.String())
	}

	long, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	out, err = h.Handle(long, notify.In{Run: "run-2"})
	if err != nil || out != (notify.Out{Delivered: 6}) {
		t.Fatalf("Handle with time = %+v, %v, want 6 delivered", out, err)
	}
	if got := w.requests(); got["hook"] != 3 || got["hook2"] != 3 {
		t.Fatalf("requests = %v, want each alert once on each channel", got)
	}
}

// TestNothingPendingReadsNothing: with CheckStaleness' count of 0 the
// state machine still enters Notify; it returns at once without loading
// the channels or listing the outbox. A count above 0, or none, works as
// before.
func TestNothingPendingReadsNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.raise("web-down-1", "slack")
	loads := 0
	h := w.handler()
	channels := h.Channels
	h.Channels = func(ctx context.Context) (map[string]target.Channel, error) { loads++; return channels(ctx) }
	zero, one := 0, 1
	out, err := h.Handle(ctx, notify.In{Run: "run-1", Pending: &zero})
	if err != nil || out != (notify.Out{}) || loads != 0 || w.requests()["slack"] != 0 {
		t.Fatalf("pending 0: %+v, %v, %d channel loads, requests %v", out, err, loads, w.requests())
	}
	out, err = h.Handle(ctx, notify.In{Run: "run-2", Pending: &one})
	if err != nil || out != (notify.Out{Delivered: 1}) || loads != 1 {
		t.Fatalf("pending 1: %+v, %v, %d channel loads", out, err, loads)
	}
}
