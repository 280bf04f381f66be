// Command bootstrap is the Notify Lambda. It reads its settings once:
// MEDIC_BUCKET, MEDIC_CONFIG_KEY (default config/targets.yaml),
// MEDIC_SECRET_ARN (the Secrets Manager secret holding channel secrets;
// empty reads them from the environment) and MEDIC_SNS_TOPIC_ARN (the
// default topic of SNS channels); then it builds the clients and serves the
// handler.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/notify"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("notify cannot start", "error", err.Error())
		os.Exit(1)
	}
	h.Logger = log
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context) (*notify.Handler, error) {
	bucket := os.Getenv("MEDIC_BUCKET")
	if bucket == "" {
		return nil, fmt.Errorf("MEDIC_BUCKET is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom endpoint (AWS_ENDPOINT_URL_S3) is MinIO or LocalStack in practice.
		o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	})
	st := store.New(client, bucket)
	var secrets secret.Source = secret.Env{}
	if arn := os.Getenv("MEDIC_SECRET_ARN"); arn != "" {
		secrets = &secret.SecretsManager{API: secretsmanager.NewFromConfig(cfg), ARN: arn}
	}
	load := target.LoadOptions{ConfigKey: os.Getenv("MEDIC_CONFIG_KEY")}
	return &notify.Handler{
		Store: st,
		Channels: func(ctx context.Context) (map[string]target.Channel, error) {
			set, err := target.Load(ctx, st, load)
			if err != nil {
				return nil, err
			}
			return set.Channels, nil
		},
		Deps: registry.Deps{
			Secrets:         secrets,
			HTTP:            &http.Client{Timeout: channel.DefaultTimeout},
			SNS:             sns.NewFromConfig(cfg),
			DefaultTopicArn: os.Getenv("MEDIC_SNS_TOPIC_ARN"),
		},
		Clock: clock.System{},
	}, nil
}
