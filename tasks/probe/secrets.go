package probe

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
)

// TargetSecretEnv names the setting holding the ARN of the secret with the
// values of targets' headerSecrets.
const TargetSecretEnv = "MEDIC_TARGET_SECRET_ARN"

// SecretSource returns where the probe reads the values of targets'
// headerSecrets: the Secrets Manager secret named by MEDIC_TARGET_SECRET_ARN
// (a JSON object {"NAME": "value"}, the stack's TargetSecret, never the
// channels' secret). When it is empty: in a Lambda, nothing (the
// function's environment holds its own AWS credentials and is never read
// for secrets); locally, the environment variables MEDIC_SECRET_<name>.
// getenv reads the settings (os.Getenv).
// Nothing is loaded or fetched until a target needs a secret, so a batch
// without headerSecrets costs no Secrets Manager call.
func SecretSource(getenv func(string) string) probe.SecretSource {
	if arn := getenv(TargetSecretEnv); arn != "" {
		return &lazySecretsManager{arn: arn}
	}
	if getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		// Deployed without a target secret: the stack creates one only when
		// the targets file it deploys uses headerSecrets.
		return secret.None{Where: noTargetSecret}
	}
	return secret.Env{Lookup: func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}}
}

// noTargetSecret is where a missing secret was looked for in a Lambda
// deployed without a target secret, with how to fix it.
const noTargetSecret = "this deployment: it has no target secret (" + TargetSecretEnv +
	" is empty) and never reads secrets from its environment. cdk deploy creates one when config/targets.yaml uses headerSecrets, or set the targetSecretArn setting"

// lazySecretsManager builds the Secrets Manager client on first use. The
// source it builds caches the secret for secret.DefaultTTL.
type lazySecretsManager struct {
	arn string

	mu  sync.Mutex
	src *secret.SecretsManager
}

func (l *lazySecretsManager) Secret(ctx context.Context, name string) (string, error) {
	src, err := l.source(ctx)
	if err != nil {
		return "", err
	}
	return src.Secret(ctx, name)
}

func (l *lazySecretsManager) source(ctx context.Context) (*secret.SecretsManager, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.src == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			// Not kept: the next probe tries again.
			return nil, fmt.Errorf("load AWS configuration to read secret %s: %w", l.arn, err)
		}
		l.src = &secret.SecretsManager{API: secretsmanager.NewFromConfig(cfg), ARN: l.arn}
	}
	return l.src, nil
}
