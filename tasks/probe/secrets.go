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

// SecretSource returns where the probe reads the values of targets'
// headerSecrets: the Secrets Manager secret named by MEDIC_SECRET_ARN (a
// JSON object {"NAME": "value"}, the channels' secret), or the environment
// when MEDIC_SECRET_ARN is empty. getenv reads the settings (os.Getenv).
// Nothing is loaded or fetched until a target needs a secret, so a batch
// without headerSecrets costs no Secrets Manager call.
func SecretSource(getenv func(string) string) probe.SecretSource {
	if arn := getenv("MEDIC_SECRET_ARN"); arn != "" {
		return &lazySecretsManager{arn: arn}
	}
	return secret.Env{Lookup: func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}}
}

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
