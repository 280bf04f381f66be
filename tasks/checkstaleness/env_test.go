package checkstaleness_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/tasks/checkstaleness"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// env is a bucket on an embedded S3 server whose clock is the test's.
type env struct {
	t   *testing.T
	clk *clock.Manual
	url string
	srv *s3local.Server
	raw *store.Store // straight to the server
	api *hookedAPI   // the handler's client: counts GETs, can run a hook before a state write
	h   *checkstaleness.Handler
}

func newEnv(t *testing.T, config string) *env {
	t.Helper()
	clk := clock.NewManual(t0)
	srv, err := s3local.Start(s3local.Options{Now: clk.Now, Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{t: t, clk: clk, url: srv.URL, srv: srv, raw: store.New(srv.Client(), "medic")}
	e.api = &hookedAPI{API: e.client()}
	e.h = e.handler(e.api)
	if config != "" {
		e.put("config/targets.yaml", config)
	}
	return e
}

// handler returns a handler on api (a new client when nil).
func (e *env) handler(api store.API) *checkstaleness.Handler {
	if api == nil {
		api = e.client()
	}
	return &checkstaleness.Handler{
		Store:  store.New(api, "medic"),
		Clock:  e.clk,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

// client is a new S3 client for the server. Its idle connections are
// closed when the test ends, before the server stops: a connection dialed
// for a concurrent request and never used would otherwise hold up the
// server's graceful shutdown for seconds.
func (e *env) client() *s3.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	e.t.Cleanup(tr.CloseIdleConnections)
	return s3.New(e.srv.Client().Options(), func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: tr}
	})
}

func (e *env) put(key, body string) {
	e.t.Helper()
	if _, err := e.raw.Put(context.Background(), key, []byte(body), store.Condition{}); err != nil {
		e.t.Fatal(err)
	}
}

// echo writes a batch of one, echo/batch/<name>--<name>.json, checked now.
func (e *env) echo(name string, up bool) {
	e.t.Helper()
	r := probe.Result{Target: name, Up: up, CheckedAt: e.clk.Now(), StatusCode: 200}
	if !up {
		r.StatusCode, r.Failures = 503, []string{"status 503, want 200-399"}
	}
	if _, err := e.raw.PutJSON(context.Background(), echo.Key(name, name), []probe.Result{r}, store.Condition{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) run() checkstaleness.Out {
	e.t.Helper()
	out, err := e.h.Handle(context.Background(), checkstaleness.In{Run: "run-1", Trigger: "schedule"})
	if err != nil {
		e.t.Fatalf("Handle: %v", err)
	}
	return out
}

func (e *env) state() status.File {
	e.t.Helper()
	obj, err := e.raw.Get(context.Background(), status.Key)
	if err != nil {
		e.t.Fatal(err)
	}
	f, err := status.Parse(obj.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// alerts returns the outbox's alerts by ID.
func (e *env) alerts() map[string]outbox.Alert {
	e.t.Helper()
	ctx := context.Background()
	infos, err := e.raw.List(ctx, store.PrefixOutbox)
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]outbox.Alert{}
	for _, info := range infos {
		var a outbox.Alert
		if _, err := e.raw.GetJSON(ctx, info.Key, &a); err != nil {
			e.t.Fatal(err)
		}
		if outbox.Key(a.ID) != info.Key {
			e.t.Fatalf("alert %s stored at %s", a.ID, info.Key)
		}
		m[a.ID] = a
	}
	return m
}

// alertIDs lists the outbox's alert IDs, sorted.
func (e *env) alertIDs() []string {
	e.t.Helper()
	infos, err := e.raw.List(context.Background(), store.PrefixOutbox)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, info := range infos {
		ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(info.Key, store.PrefixOutbox), ".json"))
	}
	sort.Strings(ids)
	return ids
}

// committed lists, sorted, the alerts in the outbox that Notify may send,
// each as "<target>-<kind>-<seq>" (its ID without the raiser part), and
// fails the test if a draft is left that is neither committed nor
// withdrawn: every run that ends leaves none.
func (e *env) committed() []string {
	e.t.Helper()
	var out []string
	for id, a := range e.alerts() {
		switch {
		case !a.Draft:
			out = append(out, status.AlertID(a.Target, a.Kind, a.Seq, ""))
		case !a.Withdrawn:
			e.t.Fatalf("alert %s is still a draft after the runs ended", id)
		}
	}
	sort.Strings(out)
	return out
}

// hookedAPI is the real S3 client with a hook that runs before each write
// of the state object, and a count of echo reads.
type hookedAPI struct {
	store.API
	beforeStatePut func(attempt int)
	statePuts      atomic.Int32
	echoGets       atomic.Int32
	mu             sync.Mutex
}

func (a *hookedAPI) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if aws.ToString(in.Key) == status.Key {
		n := int(a.statePuts.Add(1))
		a.mu.Lock()
		hook := a.beforeStatePut
		a.mu.Unlock()
		if hook != nil {
			hook(n)
		}
	}
	return a.API.PutObject(ctx, in, opts...)
}

func (a *hookedAPI) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if strings.HasPrefix(aws.ToString(in.Key), store.PrefixEcho) {
		a.echoGets.Add(1)
	}
	return a.API.GetObject(ctx, in, opts...)
}

func (a *hookedAPI) setHook(f func(attempt int)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.beforeStatePut = f
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
