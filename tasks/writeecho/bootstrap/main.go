// Command bootstrap is the WriteEcho Lambda. It reads MEDIC_BUCKET once,
// builds the S3 client and serves the handler.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/tasks/writeecho"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := newHandler(context.Background(), log)
	if err != nil {
		log.Error("writeecho cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, log *slog.Logger) (*writeecho.Handler, error) {
	st, _, err := store.FromEnv(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	return &writeecho.Handler{Store: st, Logger: log}, nil
}
