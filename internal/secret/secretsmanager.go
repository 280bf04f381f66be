package secret

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultTTL is how long SecretsManager keeps a fetched secret: long enough
// for one invocation, short enough that a rotated value is picked up by the
// next runs of a warm Lambda.
const DefaultTTL = 5 * time.Minute

// SecretsManagerAPI is the part of the Secrets Manager client the source uses.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretsManagerAPI = (*secretsmanager.Client)(nil)

// SecretsManager reads secrets from one Secrets Manager secret whose string
// value is a JSON object {"NAME": "value", ...}. The secret is fetched once
// and cached for TTL; it is safe for concurrent use.
type SecretsManager struct {
	API SecretsManagerAPI
	// ARN (or name) of the secret: MEDIC_SECRET_ARN for notify,
	// MEDIC_TARGET_SECRET_ARN for probe.
	ARN string
	// TTL of the cache; zero means DefaultTTL.
	TTL time.Duration
	// Now replaces time.Now for the cache; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	values    map[string]string
	fetchedAt time.Time
}

var _ Source = (*SecretsManager)(nil)

// Secret returns the value under key name in the JSON secret.
func (s *SecretsManager) Secret(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("secret name is empty")
	}
	values, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	v, ok := values[name]
	if !ok || v == "" {
		return "", &MissingError{Name: name, Where: "secret " + s.ARN}
	}
	return v, nil
}

func (s *SecretsManager) load(ctx context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if s.values != nil && now().Sub(s.fetchedAt) < ttl {
		return s.values, nil
	}
	if s.ARN == "" {
		return nil, fmt.Errorf("no Secrets Manager secret configured (its ARN is empty)")
	}
	out, err := s.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ARN)})
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", s.ARN, err)
	}
	if out.SecretString == nil {
		return nil, fmt.Errorf("read secret %s: it has no string value (binary secrets are not supported)", s.ARN)
	}
	values, err := ParseJSON(*out.SecretString)
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", s.ARN, err)
	}
	s.values, s.fetchedAt = values, now()
	return values, nil
}

// ParseJSON decodes a secret string holding a JSON object of string values.
// Its errors never quote the input: a secret's text must not reach a log.
func ParseJSON(text string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil || raw == nil {
		return nil, fmt.Errorf(`the secret value must be a JSON object like {"NAME": "value"}`)
	}
	values := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("the value of key %q in the secret must be a JSON string", k)
		}
		values[k] = s
	}
	return values, nil
}
