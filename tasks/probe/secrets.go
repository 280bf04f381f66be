package probe

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
)

// TargetSecretEnv names the setting holding the name of the Parameter
// Store parameter with the values of targets' secrets (headerSecrets,
// basicAuth passwords, TLS client keys).
const TargetSecretEnv = "MEDIC_TARGET_SECRET_PARAMETER"

// SecretSource returns where the probe reads the values of targets'
// headerSecrets: the SecureString parameter named by
// MEDIC_TARGET_SECRET_PARAMETER (a JSON object {"NAME": "value"}, the
// stack's target parameter, never the channels' one). When it is empty: in a Lambda, nothing (the
// function's environment holds its own AWS credentials and is never read
// for secrets); locally, the environment variables MEDIC_SECRET_<name>.
// getenv reads the settings (os.Getenv).
// Nothing is loaded or fetched until a target needs a secret, so a batch
// without secrets makes no Parameter Store call.
func SecretSource(getenv func(string) string) probe.SecretSource {
	if name := getenv(TargetSecretEnv); name != "" {
		return &lazyParameterStore{name: name}
	}
	if getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		// Deployed without a target parameter: never read the environment.
		return secret.None{Where: noTargetSecret}
	}
	return secret.Env{Lookup: func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}}
}

// noTargetSecret is where a missing secret was looked for in a Lambda
// deployed without a target secret, with how to fix it.
const noTargetSecret = "this deployment: it has no target secret parameter (" + TargetSecretEnv +
	" is empty) and never reads secrets from its environment; the stack sets it from the targetSecretParameter setting"

// lazyParameterStore builds the Systems Manager client on first use. The
// source it builds caches the parameter for secret.DefaultTTL.
type lazyParameterStore struct {
	name string

	mu  sync.Mutex
	src *secret.ParameterStore
}

func (l *lazyParameterStore) Secret(ctx context.Context, name string) (string, error) {
	src, err := l.source(ctx)
	if err != nil {
		return "", err
	}
	return src.Secret(ctx, name)
}

func (l *lazyParameterStore) source(ctx context.Context) (*secret.ParameterStore, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.src == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			// Not kept: the next probe tries again.
			return nil, fmt.Errorf("load AWS configuration to read parameter %s: %w", l.name, err)
		}
		l.src = &secret.ParameterStore{API: ssm.NewFromConfig(cfg), Name: l.name}
	}
	return l.src, nil
}
