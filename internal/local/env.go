// Package local is medic's local environment: the real state machine
// definition, run by the embedded engine, with the real task handlers, over
// an embedded S3-compatible store (or any S3 endpoint). Executions are
// recorded under the state directory, so they can be listed and shown
// across invocations. An Env is an sfnapi.Backend: `medic serve` and the
// CLI's in-process server speak the Step Functions API over it.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

// Defaults.
const (
	DefaultBucket           = "medic"
	DefaultStateMachineName = "medic"
	// DefaultBatchSize is the deployed default, chosen from the cost model
	// (BENCHMARKS.md), so local runs batch as AWS does.
	DefaultBatchSize = loadtargets.DefaultBatchSize
)

// Options configure an Env.
type Options struct {
	// StateDir holds the embedded store's data (StateDir/s3.db) and the
	// execution records (StateDir/executions/). Empty keeps both in memory.
	StateDir string
	// S3Endpoint replaces the embedded store with any S3 endpoint (MinIO,
	// LocalStack, real S3); credentials and region come from the usual AWS
	// environment. Empty starts the embedded store.
	S3Endpoint string
	// S3Addr is where the embedded store listens (127.0.0.1 on a free port when empty).
	S3Addr string
	// Bucket is the bucket the tasks use (DefaultBucket when empty).
	Bucket string
	// BatchSize is how many targets one batch (one child execution)
	// probes (MEDIC_BATCH_SIZE).
	BatchSize int
	// MapConcurrency is how many batches are probed at once.
	MapConcurrency int
	// StaleAfter is the staleAfter of targets that set none (MEDIC_STALE_AFTER).
	StaleAfter time.Duration
	// Clock is the tasks' and the embedded store's clock (the wall clock when nil).
	Clock clock.Clock
	// EngineClock drives Wait states and retry backoff (the wall clock when
	// nil); see InstantClock.
	EngineClock engine.Clock
	// Getenv reads secrets: a secret named K is the variable MEDIC_SECRET_K
	// (os.Getenv when nil); no other variable is read for a secret.
	Getenv func(string) string
	// HTTPClient is used by channels (a client with a timeout when nil).
	HTTPClient *http.Client
	// Log receives the tasks' logs (discarded when nil).
	Log *slog.Logger
	// Credentials are the key pair the embedded store and the Step
	// Functions API accept. When zero: the state directory's (generated
	// and saved there the first time), or new random ones in memory.
	Credentials localauth.Credentials
	// CORSOrigins may call the embedded store from a browser; none when empty.
	CORSOrigins []string
}

// Env is a running local environment.
type Env struct {
	opts       Options
	machine    *engine.Machine
	definition string
	smArn      string
	created    time.Time

	mu        sync.Mutex
	s3srv     *s3local.Server
	st        *store.Store
	resources map[string]engine.Func
	running   map[string]*running // by execution ARN

	memMu  sync.Mutex
	memory map[string]Record // the records when there is no StateDir
	// unsaved are final records that could not be saved, by ARN, with
	// their *RecordError in saveErrs.
	unsaved  map[string]Record
	saveErrs map[string]error
	wg       sync.WaitGroup
	closed   bool

	// writeFile writes a record's bytes to its temporary file; nil means
	// (*os.File).Write. Tests set it to inject a write failure.
	writeFile func(f *os.File, b []byte) (int, error)
}

// Open prepares an Env. The store starts on first use, so listing
// executions never locks the state directory.
func Open(opts Options) (*Env, error) {
	if opts.Bucket == "" {
		opts.Bucket = DefaultBucket
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MapConcurrency <= 0 {
		opts.MapConcurrency = statemachines.DefaultMapConcurrency
	}
	var err error
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.EngineClock == nil {
		opts.EngineClock = engine.RealClock{}
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if err := localauth.CheckOrigins(opts.CORSOrigins); err != nil {
		return nil, err
	}
	if opts.Credentials.IsZero() {
		if opts.StateDir != "" {
			opts.Credentials, err = localauth.LoadOrCreate(opts.StateDir)
		} else {
			opts.Credentials, err = localauth.Generate()
		}
		if err != nil {
			return nil, err
		}
	}
	def, err := statemachines.Local(opts.MapConcurrency, opts.BatchSize, statemachines.DefaultToleratedFailurePercentage)
	if err != nil {
		return nil, err
	}
	m, err := engine.Parse([]byte(def))
	if err != nil {
		return nil, fmt.Errorf("parse the state machine definition: %w", err)
	}
	created, err := stateMachineCreated(opts.StateDir, opts.Clock.Now())
	if err != nil {
		return nil, err
	}
	e := &Env{
		opts: opts, machine: m, definition: def,
		smArn:   sfnapi.StateMachineArn(DefaultStateMachineName),
		created: created,
		running: map[string]*running{},
	}
	if opts.StateDir != "" {
		if err := os.MkdirAll(e.executionsDir(), 0o700); err != nil {
			return nil, fmt.Errorf("create state directory: %w", err)
		}
	}
	return e, nil
}

// readItems is the distributed Map's ItemReader (s3:getObject): it reads
// the object from the tasks' bucket, as Step Functions reads it from S3.
func (e *Env) readItems(ctx context.Context, bucket, key string) ([]byte, error) {
	st, err := e.Store(ctx)
	if err != nil {
		return nil, err
	}
	if bucket != st.Bucket() {
		return nil, fmt.Errorf("read s3://%s/%s: the local environment has only bucket %s", bucket, key, st.Bucket())
	}
	obj, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return obj.Body, nil
}

// Credentials are the key pair the local endpoints accept: medic's own
// clients sign with them, and so must the AWS CLI and SDKs.
func (e *Env) Credentials() localauth.Credentials { return e.opts.Credentials }

// StateMachineArn is the local state machine's ARN.
func (e *Env) StateMachineArn() string { return e.smArn }

// Bucket names the bucket the tasks use.
func (e *Env) Bucket() string { return e.opts.Bucket }

// APIHandler is the Step Functions API over e, guarded for a listener on
// addr: the Host must name addr, browsers are refused unless
// Options.CORSOrigins names their origin, and every request must be signed
// with e.Credentials().
func (e *Env) APIHandler(addr net.Addr) http.Handler {
	g := localauth.Guard{Credentials: e.opts.Credentials, Protocol: localauth.JSON, Origins: e.opts.CORSOrigins, Addr: addr}
	return g.Handler(sfnapi.NewHandler(e, nil))
}

// S3Addr is the embedded store's listening address once started (nil otherwise).
func (e *Env) S3Addr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s3srv == nil {
		return nil
	}
	return e.s3srv.Addr()
}

// S3URL is the embedded store's endpoint once started (empty otherwise).
func (e *Env) S3URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s3srv == nil {
		return ""
	}
	return e.s3srv.URL
}

// Store starts the store if needed and returns the bucket.
func (e *Env) Store(ctx context.Context) (*store.Store, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errors.New("the local environment is closed")
	}
	if e.st != nil {
		return e.st, nil
	}
	var api *s3.Client
	if e.opts.S3Endpoint != "" {
		c, err := ExternalS3(ctx, e.opts.S3Endpoint)
		if err != nil {
			return nil, err
		}
		if err := ensureBucket(ctx, c, e.opts.Bucket); err != nil {
			return nil, err
		}
		api = c
	} else {
		dir := ""
		if e.opts.StateDir != "" {
			dir = e.opts.StateDir
		}
		srv, err := s3local.Start(s3local.Options{Dir: dir, Addr: e.opts.S3Addr, Now: e.opts.Clock.Now, Buckets: []string{e.opts.Bucket},
			Credentials: e.opts.Credentials, CORSOrigins: e.opts.CORSOrigins})
		if err != nil {
			return nil, fmt.Errorf("start the embedded S3 store: %w", err)
		}
		e.s3srv = srv
		api = srv.Client()
	}
	e.st = store.New(api, e.opts.Bucket)
	res, err := e.buildResources(api)
	if err != nil {
		return nil, err
	}
	e.resources = res
	return e.st, nil
}

// PutTargets uploads a targets file to config/targets.yaml.
func (e *Env) PutTargets(ctx context.Context, data []byte) error {
	st, err := e.Store(ctx)
	if err != nil {
		return err
	}
	if _, err := st.Put(ctx, target.DefaultConfigKey, data, store.Condition{}); err != nil {
		return fmt.Errorf("upload the targets file to %s: %w", target.DefaultConfigKey, err)
	}
	return nil
}

// Close waits for running executions and stops the store.
func (e *Env) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s3srv != nil {
		err := e.s3srv.Close()
		e.s3srv = nil
		return err
	}
	return nil
}

func (e *Env) executionsDir() string { return filepath.Join(e.opts.StateDir, "executions") }

// ExternalS3 builds a client for a custom S3 endpoint from the usual AWS
// configuration (environment, shared files), with path-style addressing.
func ExternalS3(ctx context.Context, endpoint string) (*s3.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration for %s: %w", endpoint, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

func ensureBucket(ctx context.Context, c *s3.Client, bucket string) error {
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return nil
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("bucket %s is not reachable and could not be created: %w", bucket, err)
	}
	return nil
}

// InstantClock returns an engine clock that reads c and does not sleep:
// retry backoff and Wait states take no time, so a demo or a test with a
// manual clock runs at full speed.
func InstantClock(c clock.Clock) engine.Clock { return instant{c} }

type instant struct{ c clock.Clock }

func (i instant) Now() time.Time { return i.c.Now() }
func (i instant) Sleep(ctx context.Context, _ time.Duration) error {
	return ctx.Err()
}
