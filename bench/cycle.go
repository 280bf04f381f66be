package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/medic-dev/medic/internal/cost"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
)

// Bucket is the bucket the benchmark cycles use.
const Bucket = "medic"

// Cycle describes one local medic cycle over loopback targets.
type Cycle struct {
	Targets        int
	BatchSize      int
	MapConcurrency int           // statemachines.DefaultMapConcurrency when 0
	Delay          time.Duration // how long each loopback target takes to answer
}

// Result is what a measured cycle used.
type Result struct {
	Run    cost.Run // the counts the cost model prices
	Status string
	Error  string
	Wall   time.Duration
	// S3Deletes are free but counted.
	S3Deletes int
	// MaxOutputBytes is each function's largest result.
	MaxOutputBytes map[string]int
}

// env is the surroundings of a cycle: loopback targets, the embedded S3
// store behind a counting client, metered task functions.
type env struct {
	targets *Loopback
	s3      *s3local.Server
	counter *S3Counter
	store   *store.Store
	logs    *ByteCounter
	log     *slog.Logger
	meter   *Meter
}

func startEnv(ctx context.Context, c Cycle) (*env, error) {
	lb, err := StartLoopback(c.Delay)
	if err != nil {
		return nil, err
	}
	srv, err := s3local.Start(s3local.Options{Buckets: []string{Bucket}})
	if err != nil {
		_ = lb.Close()
		return nil, fmt.Errorf("start the embedded S3 store: %w", err)
	}
	counter := &S3Counter{Base: &http.Transport{MaxIdleConnsPerHost: 64}}
	e := &env{targets: lb, s3: srv, counter: counter, store: store.New(CountedS3Client(srv.URL, srv.Credentials(), counter), Bucket),
		logs: &ByteCounter{}, meter: &Meter{}}
	e.log = slog.New(slog.NewJSONHandler(e.logs, nil))
	if _, err := e.store.Put(ctx, target.DefaultConfigKey, TargetsYAML(lb.URL, c.Targets), store.Condition{}); err != nil {
		e.close()
		return nil, fmt.Errorf("upload the targets file: %w", err)
	}
	return e, nil
}

func (e *env) close() {
	_ = e.s3.Close()
	_ = e.targets.Close()
}

// RunCycle runs c twice over the same bucket (the first run creates the
// state and the echoes, as the first scheduled run after a deploy does)
// and returns the counts of the second, steady-state run.
func RunCycle(ctx context.Context, c Cycle) (Result, error) {
	if c.MapConcurrency == 0 {
		c.MapConcurrency = statemachines.DefaultMapConcurrency
	}
	e, err := startEnv(ctx, c)
	if err != nil {
		return Result{}, err
	}
	defer e.close()
	def, err := Definition(c.MapConcurrency, c.BatchSize, statemachines.DefaultToleratedFailurePercentage)
	opts := engine.Options{Resources: e.tasks(c.BatchSize)}
	opts.ItemReaderFunc = func(ctx context.Context, bucket, key string) ([]byte, error) {
		// Step Functions reads the object itself: one GET billed to the account.
		obj, err := e.store.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		return obj.Body, nil
	}
	if err != nil {
		return Result{}, err
	}
	m, err := engine.Parse([]byte(def))
	if err != nil {
		return Result{}, fmt.Errorf("parse the definition: %w", err)
	}
	opts.StateMachineName = "medic"
	var res Result
	for i := range 2 {
		e.counter.Reset()
		e.logs.Reset()
		_, _ = e.meter.Take()
		opts.ExecutionName = fmt.Sprintf("bench-%d", i)
		start := time.Now()
		x := m.Run(ctx, json.RawMessage(`{"trigger":"schedule"}`), opts)
		res.Wall = time.Since(start)
		res.Status, res.Error = x.Status, x.Error
		if x.Status != engine.StatusSucceeded {
			res.Error = x.Error + ": " + x.Cause
			return res, fmt.Errorf("run %d over %d targets: %s", i, c.Targets, res.Error)
		}
		r, outs := e.meter.Take()
		res.MaxOutputBytes = outs
		r.Targets = c.Targets
		r.Transitions = x.Transitions
		r.HistoryEvents = len(x.Events)
		r.SchedulerInvocations = 1
		var inv int
		for _, f := range r.Functions {
			inv += f.Invocations
		}
		r.StateMachineLogBytes = historyBytes(x.Events)
		r.FunctionLogBytes = e.logs.N() + int64(inv)*cost.LambdaPlatformLogBytes
		w, rd, del := e.counter.Counts()
		r.S3Writes, r.S3Reads, res.S3Deletes = w, rd, del
		res.Run = r
	}
	return res, nil
}
