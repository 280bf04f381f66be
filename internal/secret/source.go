// Package secret reads the secret values channels need (webhook URLs,
// tokens, header values) by name: from one JSON secret in AWS Secrets
// Manager in Lambda, from the environment locally. Values never appear in
// errors: an error names the secret and where it was looked for.
package secret

import (
	"context"
	"fmt"
	"os"
)

// Source returns the value of the secret called name.
type Source interface {
	Secret(ctx context.Context, name string) (string, error)
}

// MissingError says that a secret is not set where it was looked for.
type MissingError struct {
	// Name is the secret's name (an environment variable or a JSON key).
	Name string
	// Where says where it was looked for: "the environment" or a secret ARN.
	Where string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("secret %q is not set in %s", e.Name, e.Where)
}

// Env reads a secret called K from the environment variable K (local runs).
type Env struct {
	// Lookup replaces os.LookupEnv; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Where is how a MissingError describes the environment; empty means
	// "the environment". A caller can add how to fix a missing secret.
	Where string
}

var _ Source = Env{}

// Secret returns the environment variable name; unset or empty is an error
// naming the variable.
func (e Env) Secret(_ context.Context, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("secret name is empty")
	}
	lookup := e.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(name)
	if !ok || v == "" {
		where := e.Where
		if where == "" {
			where = "the environment"
		}
		return "", &MissingError{Name: name, Where: where}
	}
	return v, nil
}
