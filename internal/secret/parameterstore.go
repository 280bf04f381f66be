package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// DefaultTTL is how long ParameterStore keeps a fetched value: long enough
// for one invocation, short enough that a changed value is picked up by
// the next runs of a warm Lambda.
const DefaultTTL = 5 * time.Minute

// ParameterStoreAPI is the part of the Systems Manager client the source uses.
type ParameterStoreAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ ParameterStoreAPI = (*ssm.Client)(nil)

// ParameterStore reads secrets from one SSM Parameter Store parameter (a
// SecureString, decrypted by Parameter Store with its KMS key) whose value
// is a JSON object {"NAME": "value", ...}. The parameter is fetched once
// and cached for TTL; it is safe for concurrent use.
type ParameterStore struct {
	API ParameterStoreAPI
	// Name of the parameter: MEDIC_SECRET_PARAMETER for notify,
	// MEDIC_TARGET_SECRET_PARAMETER for probe.
	Name string
	// TTL of the cache; zero means DefaultTTL.
	TTL time.Duration
	// Now replaces time.Now for the cache; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	values    map[string]string
	fetchedAt time.Time
}

var _ Source = (*ParameterStore)(nil)

// Secret returns the value under key name in the parameter's JSON object.
// A parameter that does not exist is a MissingError for every name, which
// says how to create it.
func (s *ParameterStore) Secret(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("secret name is empty")
	}
	values, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	if values == nil {
		return "", &MissingError{Name: name, Where: "parameter " + s.Name + ", which does not exist (create it as a SecureString: docs/deploy.md)"}
	}
	v, ok := values[name]
	if !ok || v == "" {
		return "", &MissingError{Name: name, Where: "parameter " + s.Name}
	}
	return v, nil
}

func (s *ParameterStore) load(ctx context.Context) (map[string]string, error) {
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
	if s.Name == "" {
		return nil, fmt.Errorf("no Parameter Store parameter configured (its name is empty)")
	}
	out, err := s.API.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name), WithDecryption: aws.Bool(true)})
	if err != nil {
		var notFound *types.ParameterNotFound
		if errors.As(err, &notFound) {
			// Not cached: the operator may create it before the next run.
			return nil, nil
		}
		return nil, fmt.Errorf("read parameter %s: %w", s.Name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, fmt.Errorf("read parameter %s: it has no value", s.Name)
	}
	if out.Parameter.Type != types.ParameterTypeSecureString {
		// A String parameter is stored and logged in plain text by AWS
		// tools: refuse it rather than use credentials kept that way.
		return nil, fmt.Errorf("read parameter %s: it is a %s parameter, want SecureString (recreate it with --type SecureString)", s.Name, out.Parameter.Type)
	}
	values, err := ParseJSON(*out.Parameter.Value)
	if err != nil {
		return nil, fmt.Errorf("read parameter %s: %w", s.Name, err)
	}
	s.values, s.fetchedAt = values, now()
	return values, nil
}

// ParseJSON decodes a secret value holding a JSON object of string values.
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
