// Command bootstrap is the Notify Lambda. It reads its settings once:
// MEDIC_BUCKET, MEDIC_CONFIG_KEY (default config/targets.yaml),
// MEDIC_SECRET_PARAMETER (the SecureString parameter in SSM Parameter
// Store holding channel secrets; when empty there are none: the function's environment, which holds its
// AWS credentials, is never read for secrets), MEDIC_SNS_TOPIC_ARN (the
// default topic of SNS channels) and MEDIC_ALLOW_NETWORKS (the probe's
// address policy, which channel deliveries follow too: public by default,
// so no webhook can reach loopback, link-local or metadata addresses);
// then it builds the clients and serves the handler.
package main

import (
	"context"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/notify"
)

// SecretParameterEnv names the setting holding the name of the SecureString
// parameter with the channels' credentials.
const SecretParameterEnv = "MEDIC_SECRET_PARAMETER"

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
	st, cfg, err := store.FromEnv(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	allow, err := probe.ParseNetworks(os.Getenv("MEDIC_ALLOW_NETWORKS"))
	if err != nil {
		return nil, err
	}
	var secrets secret.Source = secret.None{Where: "this deployment: " + SecretParameterEnv + " is empty, and the function's environment is never read for secrets"}
	if name := os.Getenv(SecretParameterEnv); name != "" {
		secrets = &secret.ParameterStore{API: ssm.NewFromConfig(cfg), Name: name}
	}
	// Notify needs only the targets file's channels: it never reads pulse/
	// (untrusted, and not in its IAM policy).
	load := target.LoadOptions{ConfigKey: os.Getenv("MEDIC_CONFIG_KEY")}
	return &notify.Handler{
		Store: st,
		Channels: func(ctx context.Context) (map[string]target.Channel, error) {
			file, err := target.LoadFile(ctx, st, load)
			if err != nil {
				return nil, err
			}
			return file.Channels, nil
		},
		Deps: registry.Deps{
			Secrets:         secrets,
			HTTP:            &http.Client{Timeout: channel.DefaultTimeout, Transport: probe.Transport(allow)},
			SNS:             sns.NewFromConfig(cfg),
			DefaultTopicArn: os.Getenv("MEDIC_SNS_TOPIC_ARN"),
		},
		Clock: clock.System{},
	}, nil
}
