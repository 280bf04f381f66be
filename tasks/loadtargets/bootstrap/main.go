// Command bootstrap is the LoadTargets Lambda. It reads MEDIC_BUCKET,
// MEDIC_CONFIG_KEY (default config/targets.yaml), MEDIC_STALE_AFTER
// (default 15m) and MEDIC_BATCH_SIZE (default 100) once, builds the S3
// client and serves the handler.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

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
	settings, err := loadtargets.SettingsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	st, _, err := store.FromEnv(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	return &loadtargets.Handler{
		Store:     st,
		Opts:      settings.Opts,
		BatchSize: settings.BatchSize,
		Logger:    log,
	}, nil
}
