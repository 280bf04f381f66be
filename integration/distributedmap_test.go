package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/probe"
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

// scaleRig is a local medic at scale: the real definition and the real
// LoadTargets, Probe, WriteEcho, CheckStaleness and Notify handlers over
// the embedded S3 server, with the distributed Map's ItemReader reading
// the bucket, and a Probe that can be made to fail for chosen batches.
// The targets have no channels, so Notify finds nothing pending.
type scaleRig struct {
	t       *testing.T
	clock   *clock.Manual
	direct  *store.Store
	machine *engine.Machine
	res     map[string]engine.Func
	runs    atomic.Int64
}

// failBatches makes the Probe function crash (after its retries, the
// Express child fails) for every batch whose first target is named here.
type failBatches map[string]bool

func newScaleRig(t *testing.T, batchSize int, fail failBatches) *scaleRig {
	t.Helper()
	r := &scaleRig{t: t, clock: clock.NewManual(start)}
	srv, err := s3local.Start(s3local.Options{Now: r.clock.Now, Buckets: []string{bucket}})
	if err != nil {
		t.Fatalf("start embedded S3: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	r.direct = store.New(srv.Client(), bucket)
	def, err := statemachines.Local(statemachines.DefaultMapConcurrency, batchSize, statemachines.DefaultToleratedFailurePercentage)
	if err != nil {
		t.Fatal(err)
	}
	if r.machine, err = engine.Parse([]byte(def)); err != nil {
		t.Fatalf("parse the scale definition: %v", err)
	}
	st := store.New(taskClient(srv.URL, srv.Credentials()), bucket)
	load := target.LoadOptions{ConfigKey: target.DefaultConfigKey}
	log := slog.New(slog.DiscardHandler)
	prober := &probe.Prober{Allow: probe.All, Now: r.clock.Now}
	probeFn := engine.LambdaHandler((&probetask.Handler{Prober: prober, Now: r.clock.Now, Logger: log}).Handle)
	r.res = map[string]engine.Func{
		statemachines.LocalFunctionArn(taskLoadTargets): engine.LambdaHandler((&loadtargets.Handler{
			Store: st, Opts: load, BatchSize: batchSize, Logger: log}).Handle),
		statemachines.LocalFunctionArn(taskProbe): func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			var b struct {
				Targets []target.Target `json:"targets"`
			}
			if err := json.Unmarshal(in, &b); err != nil {
				return nil, err
			}
			if len(b.Targets) > 0 && fail[b.Targets[0].Name] {
				return nil, &engine.TaskError{Name: "ProbeCrashed", Cause: "injected: the probe function of batch " + b.Targets[0].Name + " fails"}
			}
			return probeFn(ctx, in)
		},
		statemachines.LocalFunctionArn(taskWriteEcho): engine.LambdaHandler((&writeecho.Handler{Store: st, Logger: log}).Handle),
		statemachines.LocalFunctionArn(taskCheckStaleness): engine.LambdaHandler((&checkstaleness.Handler{
			Store: st, Load: load, Clock: r.clock, Logger: log}).Handle),
		// The targets have no channels, so CheckStaleness counts nothing
		// pending and Notify returns at once.
		statemachines.LocalFunctionArn(taskNotify): engine.LambdaHandler((&notify.Handler{Store: st, Clock: r.clock, Logger: log,
			Channels: func(context.Context) (map[string]target.Channel, error) { return nil, nil }}).Handle),
	}
	return r
}

// run executes the scale definition with input to its end.
func (r *scaleRig) run(input string) *engine.Execution {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return r.machine.Run(ctx, json.RawMessage(input), engine.Options{
		Resources:        r.res,
		Clock:            local.InstantClock(r.clock),
		ExecutionName:    fmt.Sprintf("scale-%d", r.runs.Add(1)),
		StateMachineName: "medic",
		ItemReaderFunc: func(ctx context.Context, b, key string) ([]byte, error) {
			if b != bucket {
				return nil, fmt.Errorf("no bucket %s", b)
			}
			obj, err := r.direct.Get(ctx, key)
			return obj.Body, err
		},
	})
}

func (r *scaleRig) mustSucceed(input string) *engine.Execution {
	r.t.Helper()
	x := r.run(input)
	if x.Status != engine.StatusSucceeded {
		r.t.Fatalf("execution %s: %s: %s\n%s", x.Status, x.Error, x.Cause, historySummary(x))
	}
	return x
}

func (r *scaleRig) state() status.File {
	r.t.Helper()
	var f status.File
	if _, err := r.direct.GetJSON(context.Background(), status.Key, &f); err != nil {
		r.t.Fatal(err)
	}
	return f
}

// batchEchoes reads every echo/batch/ object: key → the targets in it.
func (r *scaleRig) batchEchoes() map[string][]probe.Result {
	r.t.Helper()
	ctx := context.Background()
	infos, err := r.direct.List(ctx, echo.Prefix)
	if err != nil {
		r.t.Fatal(err)
	}
	m := map[string][]probe.Result{}
	for _, info := range infos {
		var rs []probe.Result
		if _, err := r.direct.GetJSON(ctx, info.Key, &rs); err != nil {
			r.t.Fatal(err)
		}
		m[info.Key] = rs
	}
	return m
}

// mapOutput is what the run carries forward from its distributed Map.
type mapOutput struct {
	Probed *struct {
		Batches int `json:"batches"`
	} `json:"probed"`
	ProbeError *struct {
		Error string `json:"Error"`
	} `json:"probeError"`
}

func probedOf(t *testing.T, x *engine.Execution) mapOutput {
	t.Helper()
	for _, ev := range x.Events {
		if ev.StateExitedEventDetails != nil && ev.StateExitedEventDetails.Name == "ProbeTargets" {
			var m mapOutput
			if err := json.Unmarshal([]byte(ev.StateExitedEventDetails.Output), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("no ProbeTargets in the history:\n%s", historySummary(x))
	return mapOutput{}
}

// scaleTargets writes n targets t0000..: every seventh one answers 503,
// the others "ok". It returns which are good.
func scaleTargets(t *testing.T, r *scaleRig, n int) map[string]bool {
	t.Helper()
	var hits sync.Map
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hits.Store(req.URL.Path, true)
		if strings.HasPrefix(req.URL.Path, "/bad/") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(web.Close)
	good := map[string]bool{}
	var b strings.Builder
	b.WriteString("defaults: {failureThreshold: 1, successThreshold: 1, staleAfter: 15m, expect: {body: ok}}\ntargets:\n")
	for i := range n {
		name := fmt.Sprintf("t%04d", i)
		path := "/good/" + name
		if i%7 == 3 {
			path = "/bad/" + name
		} else {
			good[name] = true
		}
		fmt.Fprintf(&b, "  - {name: %s, url: %q}\n", name, web.URL+path)
	}
	if _, err := r.direct.Put(context.Background(), target.DefaultConfigKey, []byte(b.String()), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	return good
}

// TestScaleModeThousandTargets: 1,000 loopback targets through the real
// scale definition. Every target gets the right status, the echoes are one
// object per batch, and a batch whose Probe function fails is tolerated:
// the run succeeds, that batch's targets have no result (and go STALE when
// it keeps failing), the others are decided.
func TestDistributedMapThousandTargets(t *testing.T) {
	const n, size = 1000, 100
	r := newScaleRig(t, size, failBatches{"t0300": true})
	good := scaleTargets(t, r, n)
	inFailedBatch := func(name string) bool { return name >= "t0300" && name < "t0400" }

	x := r.mustSucceed(`{"trigger":"schedule"}`)
	m := probedOf(t, x)
	if m.ProbeError != nil || m.Probed == nil || m.Probed.Batches != n/size {
		t.Fatalf("ProbeTargets carried %+v, want %d batches and no error (one failed batch is tolerated)", m, n/size)
	}
	var types []string
	for _, ev := range x.Events {
		types = append(types, ev.Type)
	}
	if !slices.Contains(types, "MapRunStarted") || !slices.Contains(types, "MapRunSucceeded") {
		t.Fatalf("the distributed Map did not run as a Map Run: %v", types)
	}

	echoes := r.batchEchoes()
	if len(echoes) != n/size-1 {
		t.Fatalf("%d batch objects, want %d (one per batch that was probed)", len(echoes), n/size-1)
	}
	seen := map[string]bool{}
	for key, rs := range echoes {
		if len(rs) != size || key != echo.Key(rs[0].Target, rs[len(rs)-1].Target) {
			t.Errorf("%s holds %d results from %s to %s", key, len(rs), rs[0].Target, rs[len(rs)-1].Target)
		}
		for _, res := range rs {
			seen[res.Target] = true
			if res.Up != good[res.Target] {
				t.Errorf("%s: up = %v, want %v (%v)", res.Target, res.Up, good[res.Target], res.Failures)
			}
		}
	}
	perTarget, err := r.direct.List(context.Background(), store.PrefixEcho)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range perTarget {
		if !strings.HasPrefix(info.Key, echo.Prefix) {
			t.Fatalf("a per-target echo in the scale mode: %s", info.Key)
		}
	}

	checkStatuses := func(round string, failedBatch string) {
		t.Helper()
		st := r.state()
		if len(st.Targets) != n {
			t.Fatalf("%s: %d targets in the state, want %d", round, len(st.Targets), n)
		}
		for i := range n {
			name := fmt.Sprintf("t%04d", i)
			want := status.Down
			switch {
			case inFailedBatch(name):
				want = failedBatch
			case good[name]:
				want = status.Up
			}
			if got := st.Targets[name].Status; got != want {
				t.Errorf("%s: %s = %s, want %s", round, name, got, want)
			}
		}
	}
	checkStatuses("first run", status.Unknown)
	for name := range seen {
		if inFailedBatch(name) {
			t.Fatalf("a result for %s, whose batch failed", name)
		}
	}

	// The batch keeps failing: after staleAfter its targets are STALE;
	// every other target is checked again and keeps its status.
	r.clock.Advance(16 * time.Minute)
	r.mustSucceed(`{"trigger":"schedule"}`)
	checkStatuses("16 minutes later", status.Stale)
}

// TestScaleModeTooManyFailedBatches: past ToleratedFailurePercentage the
// Map fails; the Catch still runs CheckStaleness and the run succeeds.
func TestDistributedMapTooManyFailedBatches(t *testing.T) {
	r := newScaleRig(t, 10, failBatches{"t0000": true, "t0010": true, "t0020": true})
	scaleTargets(t, r, 50)
	x := r.mustSucceed(`{"trigger":"schedule"}`)
	m := probedOf(t, x)
	if m.ProbeError == nil || m.ProbeError.Error != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("ProbeTargets carried %+v, want States.ExceedToleratedFailureThreshold", m)
	}
	if _, err := r.direct.Get(context.Background(), status.Key); err != nil {
		t.Fatalf("CheckStaleness did not run after the Map failed: %v", err)
	}
}

// TestScaleModeTargetedRun: a targeted run in the scale mode writes its
// own target list and one batch object for the named targets; the newest
// result per target wins in CheckStaleness, and identical lists are not
// written twice.
func TestDistributedMapTargetedRun(t *testing.T) {
	r := newScaleRig(t, 100, nil)
	good := scaleTargets(t, r, 150)
	r.mustSucceed(`{"trigger":"schedule"}`)
	lists, err := r.direct.List(context.Background(), loadtargets.PrefixRuns)
	if err != nil || len(lists) != 1 {
		t.Fatalf("target lists after a schedule run: %v %v", lists, err)
	}

	// t0003 is bad; make it answer well and check it alone.
	if good["t0003"] {
		t.Fatal("the fixture wants t0003 bad")
	}
	r.clock.Advance(time.Minute)
	cfg, err := r.direct.Get(context.Background(), target.DefaultConfigKey)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(cfg.Body), "/bad/t0003", "/good/t0003", 1)
	if _, err := r.direct.Put(context.Background(), target.DefaultConfigKey, []byte(fixed), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	r.mustSucceed(`{"targets":["t0003","t0005"]}`)
	r.mustSucceed(`{"targets":["t0003","t0005"]}`)
	lists, err = r.direct.List(context.Background(), loadtargets.PrefixRuns)
	if err != nil || len(lists) != 2 {
		t.Fatalf("target lists after two identical targeted runs: %v %v, want 2", lists, err)
	}
	echoes := r.batchEchoes()
	if rs, ok := echoes["echo/batch/t0003--t0005.json"]; !ok || len(rs) != 2 || !rs[0].Up {
		t.Fatalf("targeted batch object: %+v (objects: %d)", rs, len(echoes))
	}
	st := r.state()
	if s := st.Targets["t0003"]; s.Status != status.Up {
		t.Fatalf("t0003 = %+v, want UP from the targeted run", s)
	}
	if s := st.Targets["t0010"]; s.Status != status.Down {
		t.Fatalf("t0010 = %+v, want DOWN (untouched by the targeted run)", s)
	}

	// The next schedule run's full batch is newer than the targeted object.
	r.clock.Advance(time.Minute)
	r.mustSucceed(`{"trigger":"schedule"}`)
	if s := r.state().Targets["t0003"]; s.Status != status.Up || !s.LastEchoAt.Equal(r.clock.Now()) {
		t.Fatalf("t0003 after the schedule run = %+v", s)
	}
}

// TestScaleModeOverlappingRuns: two scale runs at once (a schedule run and
// a targeted one) both succeed and every target is decided once per probe.
func TestDistributedMapOverlappingRuns(t *testing.T) {
	r := newScaleRig(t, 25, nil)
	good := scaleTargets(t, r, 100)
	var wg sync.WaitGroup
	xs := make([]*engine.Execution, 2)
	for i, in := range []string{`{"trigger":"schedule"}`, `{"targets":["t0001","t0003"]}`} {
		wg.Go(func() { xs[i] = r.run(in) })
	}
	wg.Wait()
	for i, x := range xs {
		if x.Status != engine.StatusSucceeded {
			t.Fatalf("run %d: %s %s %s", i, x.Status, x.Error, x.Cause)
		}
	}
	st := r.state()
	for i := range 100 {
		name := fmt.Sprintf("t%04d", i)
		want := status.Down
		if good[name] {
			want = status.Up
		}
		s := st.Targets[name]
		if s.Status != want || s.SuccessStreak+s.FailStreak != 1 {
			t.Errorf("%s = %s (streaks %d/%d), want %s counted once", name, s.Status, s.SuccessStreak, s.FailStreak, want)
		}
	}
}
