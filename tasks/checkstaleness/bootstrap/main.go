// Command bootstrap is the CheckStaleness Lambda. It reads MEDIC_BUCKET,
// MEDIC_CONFIG_KEY (default config/targets.yaml) and MEDIC_STALE_AFTER
// (default 15m) once, builds the S3 client and serves the handler.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

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
	opts, err := target.LoadOptionsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	st, _, err := store.FromEnv(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	return &checkstaleness.Handler{
		Store:  st,
		Load:   opts,
		Clock:  clock.System{},
		Logger: log,
	}, nil
}
