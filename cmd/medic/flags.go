package main

import (
	"os"
	"strconv"
	"time"

	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
	"github.com/spf13/pflag"
)

// Default paths.
const (
	defaultConfig     = "targets.yaml"
	defaultStateDir   = ".medic"
	defaultCDKOutputs = "cdk-outputs.json"
)

// localFlags configure the local environment.
type localFlags struct {
	config         string
	stateDir       string
	s3Endpoint     string
	bucket         string
	batchSize      int
	mapConcurrency int
	staleAfter     time.Duration
}

func (f *localFlags) register(fs *pflag.FlagSet, withConfig bool) {
	if withConfig {
		fs.StringVar(&f.config, "config", defaultConfig, "the targets file (YAML or JSON) to check; it is uploaded to config/targets.yaml in the bucket")
	}
	fs.StringVar(&f.stateDir, "state-dir", defaultStateDir, "where local data lives: the embedded S3 store (s3.db) and the execution records (executions/)")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", os.Getenv("AWS_ENDPOINT_URL_S3"), "use this S3 endpoint (MinIO, LocalStack, real S3) instead of the embedded store; credentials come from the AWS environment; $AWS_ENDPOINT_URL_S3 sets the default")
	fs.StringVar(&f.bucket, "bucket", envOr("MEDIC_BUCKET", local.DefaultBucket), "the bucket name; $MEDIC_BUCKET sets the default")
	fs.IntVar(&f.batchSize, "batch-size", envInt("MEDIC_BATCH_SIZE", local.DefaultBatchSize), "targets probed per batch (one child execution, one echo object); $MEDIC_BATCH_SIZE sets the default")
	fs.IntVar(&f.mapConcurrency, "map-concurrency", statemachines.DefaultMapConcurrency, "batches probed at once (1-10000, a Distributed Map's limit)")
	fs.DurationVar(&f.staleAfter, "stale-after", envDuration("MEDIC_STALE_AFTER", 0), "staleAfter for targets whose file sets none (0: 15m); $MEDIC_STALE_AFTER sets the default")
}

func (f *localFlags) validate() error {
	if f.batchSize < 1 {
		return usagef("--batch-size must be at least 1, got %d", f.batchSize)
	}
	if f.mapConcurrency < 1 || f.mapConcurrency > 10000 {
		return usagef("--map-concurrency must be between 1 and 10000 (a Distributed Map's limit), got %d", f.mapConcurrency)
	}
	if f.stateDir == "" {
		return usagef("--state-dir must not be empty")
	}
	return nil
}

func (f *localFlags) options() local.Options {
	return local.Options{
		StateDir:       f.stateDir,
		S3Endpoint:     f.s3Endpoint,
		Bucket:         f.bucket,
		BatchSize:      f.batchSize,
		MapConcurrency: f.mapConcurrency,
		StaleAfter:     f.staleAfter,
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

// readConfig reads the targets file, with an error that says what to do.
func readConfig(path string) ([]byte, error) {
	b, err := target.ReadFile(path)
	if err != nil {
		if target.IsFileTooLarge(err) {
			return nil, usagef("%v", err)
		}
		if os.IsNotExist(err) {
			return nil, usagef("no targets file at %s: write one (see 'medic help validate' for the format) or point --config at it", path)
		}
		return nil, usagef("read the targets file: %v", err)
	}
	return b, nil
}
