// Command bootstrap is the CheckStaleness Lambda. It reads MEDIC_BUCKET,
// MEDIC_CONFIG_KEY (default config/targets.yaml) and MEDIC_STALE_AFTER
// (default 15m) once, builds the S3 client and serves the handler.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/checkstaleness"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := newHandler(context.Background(), log)
	if err != nil {
		log.Error("checkstaleness cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, log *slog.Logger) (*checkstaleness.Handler, error) {
	bucket := os.Getenv("MEDIC_BUCKET")
	if bucket == "" {
		return nil, fmt.Errorf("MEDIC_BUCKET is not set")
	}
	opts := target.LoadOptions{ConfigKey: os.Getenv("MEDIC_CONFIG_KEY")}
	if v := os.Getenv("MEDIC_STALE_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("MEDIC_STALE_AFTER=%q: want a positive duration like \"15m\"", v)
		}
		opts.StaleAfter = d
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom endpoint (AWS_ENDPOINT_URL_S3) is MinIO or LocalStack in practice.
		o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	})
	return &checkstaleness.Handler{
		Store:  store.New(client, bucket),
		Load:   opts,
		Clock:  clock.System{},
		Logger: log,
	}, nil
}
