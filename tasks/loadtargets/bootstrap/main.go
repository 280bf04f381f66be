// Command bootstrap is the LoadTargets Lambda. It reads MEDIC_BUCKET,
// MEDIC_CONFIG_KEY (default config/targets.yaml), MEDIC_STALE_AFTER
// (default 15m), MEDIC_BATCH_SIZE (default 100) and MEDIC_MODE (inline or
// scale; default inline) once, builds the S3 client and serves the handler.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := newHandler(context.Background(), log)
	if err != nil {
		log.Error("loadtargets cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, log *slog.Logger) (*loadtargets.Handler, error) {
	bucket := os.Getenv("MEDIC_BUCKET")
	if bucket == "" {
		return nil, fmt.Errorf("MEDIC_BUCKET is not set")
	}
	settings, err := loadtargets.SettingsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom endpoint (AWS_ENDPOINT_URL_S3) is MinIO or LocalStack in practice.
		o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	})
	return &loadtargets.Handler{
		Store:     store.New(client, bucket),
		Opts:      settings.Opts,
		BatchSize: settings.BatchSize,
		Mode:      settings.Mode,
		Logger:    log,
	}, nil
}
