package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/medic-dev/medic/internal/loopback"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
	"github.com/medic-dev/medic/tasks/checkstaleness"
	"github.com/medic-dev/medic/tasks/loadtargets"
	"github.com/medic-dev/medic/tasks/notify"
	probetask "github.com/medic-dev/medic/tasks/probe"
	"github.com/medic-dev/medic/tasks/writeecho"
)

// Task names, as in tasks/<name> and statemachines.FunctionPlaceholders.
const (
	taskLoadTargets    = "loadtargets"
	taskProbe          = "probe"
	taskWriteEcho      = "writeecho"
	taskCheckStaleness = "checkstaleness"
	taskNotify         = "notify"
)

// bucket is the bucket every harness uses.
const bucket = "medic"

// start is the manual clock's first reading in every test.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// setup configures a harness; the zero value is a plain local run.
type setup struct {
	// batchSize is MEDIC_BATCH_SIZE (loadtargets.DefaultBatchSize when 0).
	batchSize int
	// mapConcurrency is the Map's MaxConcurrency (the default when 0).
	mapConcurrency int
	// s3Front, when set, returns the endpoint the tasks use in front of the
	// embedded server's URL (a fault-injecting proxy).
	s3Front func(backend string) string
	// wrap replaces a task's bound function (to inject Lambda-level failures).
	wrap map[string]func(engine.Func) engine.Func
	// sendTimeout bounds one channel delivery (5 s when 0).
	sendTimeout time.Duration
	// probeSecrets, when set, is the probe's source of targets'
	// headerSecrets (none when nil, as before).
	probeSecrets probe.SecretSource
	// probeSleepMovesClock makes the pauses before re-checks (confirm.interval)
	// move the manual clock, as the wall clock would move; by default they
	// take no time at all, so that tests of other things are unaffected by
	// the confirmation every target has.
	probeSleepMovesClock bool
}

// harness is one local medic: the real definition and handlers over the
// embedded S3 server, a manual clock for the tasks and S3's LastModified,
// and an engine clock that never sleeps but records every requested sleep.
type harness struct {
	t       *testing.T
	clock   *clock.Manual
	engine  *recordingClock
	s3      *s3local.Server
	direct  *store.Store // straight to the embedded server, for setup and checks
	machine *engine.Machine
	res     map[string]engine.Func
	pki     *pki
	runs    atomic.Int64

	mu      sync.Mutex
	secrets map[string]string
}

func newHarness(t *testing.T, cfg setup) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		clock:   clock.NewManual(start),
		secrets: map[string]string{},
		pki:     newPKI(t),
	}
	h.engine = &recordingClock{now: h.clock.Now}
	srv, err := s3local.Start(s3local.Options{Now: h.clock.Now, Buckets: []string{bucket}})
	if err != nil {
		t.Fatalf("start embedded S3: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	h.s3 = srv
	h.direct = store.New(srv.Client(), bucket)

	endpoint := srv.URL
	if cfg.s3Front != nil {
		endpoint = cfg.s3Front(srv.URL)
	}
	mapConcurrency := cfg.mapConcurrency
	if mapConcurrency == 0 {
		mapConcurrency = statemachines.DefaultMapConcurrency
	}
	batchSize := cfg.batchSize
	if batchSize == 0 {
		batchSize = loadtargets.DefaultBatchSize
	}
	def, err := statemachines.Local(mapConcurrency, batchSize, statemachines.DefaultToleratedFailurePercentage)
	if err != nil {
		t.Fatalf("render definition: %v", err)
	}
	h.machine, err = engine.Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse definition: %v", err)
	}
	h.res = h.bind(taskClient(endpoint, srv.Credentials()), cfg)
	return h
}

// taskClient is the S3 client the tasks use: the real SDK with its
// standard retryer (3 attempts, retry quota), whose backoff is capped at
// 50 ms so that injected faults do not make the suite slow.
func taskClient(endpoint string, creds localauth.Credentials) *s3.Client {
	base := s3local.NewClient(endpoint, creds).Options()
	return s3.New(base, func(o *s3.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxBackoff = 50 * time.Millisecond
		})
	})
}

// bind builds the five handlers as their bootstrap/main.go does (with
// MEDIC_ALLOW_NETWORKS=all and secrets from the harness's environment) and
// binds each, through the aws-lambda-go handler interface, to its local
// function ARN.
func (h *harness) bind(api *s3.Client, cfg setup) map[string]engine.Func {
	st := store.New(api, bucket)
	load := target.LoadOptions{ConfigKey: target.DefaultConfigKey}
	log := slog.New(slog.DiscardHandler)
	sendTimeout := cfg.sendTimeout
	if sendTimeout == 0 {
		sendTimeout = 5 * time.Second
	}
	prober := &probe.Prober{
		Allow:     probe.All,
		Now:       h.clock.Now,
		Resolver:  nxdomainResolver(h.t),
		TLSConfig: &tls.Config{RootCAs: h.pki.roots},
		Secrets:   cfg.probeSecrets,
		Sleep:     func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		Logger:    log,
	}
	if cfg.probeSleepMovesClock {
		prober.Sleep = h.clock.Sleep
	}
	handlers := map[string]any{
		taskLoadTargets: (&loadtargets.Handler{Store: st, Opts: load, BatchSize: cfg.batchSize, Clock: h.clock, Logger: log}).Handle,
		taskProbe:       (&probetask.Handler{Prober: prober, Now: h.clock.Now, Logger: log}).Handle,
		taskWriteEcho:   (&writeecho.Handler{Store: st, Logger: log}).Handle,
		taskCheckStaleness: (&checkstaleness.Handler{
			Store: st, Load: load, Clock: h.clock, Logger: log,
		}).Handle,
		taskNotify: (&notify.Handler{
			Store: st,
			Channels: func(ctx context.Context) (map[string]target.Channel, error) {
				file, err := target.LoadFile(ctx, st, load)
				if err != nil {
					return nil, err
				}
				return file.Channels, nil
			},
			Deps: registry.Deps{
				Secrets: secret.Env{Lookup: h.secret},
				HTTP:    &http.Client{Timeout: 10 * time.Second},
			},
			Clock:       h.clock,
			Logger:      log,
			SendTimeout: sendTimeout,
		}).Handle,
	}
	res := map[string]engine.Func{}
	for task := range statemachines.FunctionPlaceholders {
		f := engine.LambdaHandler(handlers[task])
		if w := cfg.wrap[task]; w != nil {
			f = w(f)
		}
		res[statemachines.LocalFunctionArn(task)] = f
	}
	return res
}

// setSecret sets a secret, as an environment variable would locally.
func (h *harness) setSecret(name, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets[name] = value
}

// secret looks up an environment variable MEDIC_SECRET_<name> in h.secrets
// (keyed by secret name).
func (h *harness) secret(envVar string) (string, bool) {
	name, ok := strings.CutPrefix(envVar, secret.EnvPrefix)
	if !ok {
		return "", false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.secrets[name]
	return v, ok
}

// runTimeout bounds one execution in wall-clock time.
const runTimeout = 3 * time.Minute

// run executes the state machine with input to its end. The execution is
// named run-N, N counting from 1.
func (h *harness) run(input string) *engine.Execution {
	h.t.Helper()
	name := fmt.Sprintf("run-%d", h.runs.Add(1))
	// The execution's wall-clock bound, which its tasks see as their
	// deadline (Notify keeps its last seconds to record outcomes). It is
	// far above what a run takes, so that a slow machine (-race on two
	// busy cores runs a 1,500-target flood in over 30 s) is not mistaken
	// for a failure to deliver.
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	return h.machine.Run(ctx, json.RawMessage(input), engine.Options{
		Resources:        h.res,
		Clock:            h.engine,
		ExecutionName:    name,
		StateMachineName: "medic",
		// Step Functions reads the target list itself (not through the
		// tasks' possibly faulty client).
		ItemReaderFunc: func(ctx context.Context, b, key string) ([]byte, error) {
			if b != bucket {
				return nil, fmt.Errorf("no bucket %s", b)
			}
			obj, err := h.direct.Get(ctx, key)
			return obj.Body, err
		},
	})
}

// mustSucceed runs input and fails the test unless the execution succeeded.
func (h *harness) mustSucceed(input string) *engine.Execution {
	h.t.Helper()
	x := h.run(input)
	if x.Status != engine.StatusSucceeded {
		h.t.Fatalf("execution %s: %s: %s\n%s", x.Status, x.Error, x.Cause, historySummary(x))
	}
	return x
}

// put writes an object straight into the bucket.
func (h *harness) put(key, body string) {
	h.t.Helper()
	if _, err := h.direct.Put(context.Background(), key, []byte(body), store.Condition{}); err != nil {
		h.t.Fatalf("put %s: %v", key, err)
	}
}

// putTargets writes the targets file.
func (h *harness) putTargets(yaml string) { h.put(target.DefaultConfigKey, yaml) }

// echo reads the target's latest result from the echo objects (as
// echo.Latest finds it: a listing and one GET); ok is false when there is
// none.
func (h *harness) echo(name string) (probe.Result, bool) {
	h.t.Helper()
	r, _, ok, err := echo.Latest(context.Background(), h.direct, name)
	if err != nil {
		h.t.Fatalf("read echo of %s: %v", name, err)
	}
	return r, ok
}

// mustEcho reads the target's latest result and fails the test when there
// is none.
func (h *harness) mustEcho(name string) probe.Result {
	h.t.Helper()
	r, ok := h.echo(name)
	if !ok {
		h.t.Fatalf("no echo/%s.json", name)
	}
	return r
}

// state reads state/status.json.
func (h *harness) state() status.File {
	h.t.Helper()
	obj, err := h.direct.Get(context.Background(), status.Key)
	if errors.Is(err, store.ErrNotFound) {
		return status.File{Targets: map[string]status.TargetState{}}
	}
	if err != nil {
		h.t.Fatalf("read %s: %v", status.Key, err)
	}
	f, err := status.Parse(obj.Body)
	if err != nil {
		h.t.Fatalf("%v", err)
	}
	return f
}

// statusOf is a target's status in state/status.json ("" when absent).
func (h *harness) statusOf(name string) string {
	h.t.Helper()
	return h.state().Targets[name].Status
}

// outbox lists the alerts waiting in outbox/.
func (h *harness) outbox() []outbox.Alert {
	h.t.Helper()
	entries, err := outbox.List(context.Background(), h.direct)
	if err != nil {
		h.t.Fatalf("list outbox: %v", err)
	}
	alerts := make([]outbox.Alert, 0, len(entries))
	for _, e := range entries {
		alerts = append(alerts, e.Alert)
	}
	return alerts
}

// keys lists the bucket's keys under prefix.
func (h *harness) keys(prefix string) []string {
	h.t.Helper()
	infos, err := h.direct.List(context.Background(), prefix)
	if err != nil {
		h.t.Fatalf("list %s: %v", prefix, err)
	}
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

// recordingClock is the engine's clock: it reads the manual clock, and
// Sleep returns at once after recording how long it was asked to sleep,
// so retry backoff is visible to the test and costs no time.
type recordingClock struct {
	now    func() time.Time
	mu     sync.Mutex
	sleeps []time.Duration
}

func (c *recordingClock) Now() time.Time { return c.now() }

func (c *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err()
}

// takeSleeps returns the sleeps recorded since the last call.
func (c *recordingClock) takeSleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sleeps
	c.sleeps = nil
	return s
}

// output decodes the execution's output.
func output(t *testing.T, x *engine.Execution) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(x.Output, &m); err != nil {
		t.Fatalf("execution output is not a JSON object: %v\n%s", err, x.Output)
	}
	return m
}

// field follows a dotted path in a decoded JSON value.
func field(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// num reads a number at path in a decoded JSON value (-1 when absent).
func num(v any, path string) int {
	f, ok := field(v, path).(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// freePort returns a loopback address on which nothing listens.
func freePort(t *testing.T) string {
	t.Helper()
	addr, err := loopback.RefusingAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
