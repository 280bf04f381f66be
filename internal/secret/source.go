// Package secret reads the secret values channels need (webhook URLs,
// tokens, header values) by name: in Lambda from one SecureString
// parameter in SSM Parameter Store holding a JSON object (never from the
// function's environment, which holds its AWS credentials), and locally only from environment variables whose
// names say they are medic secrets (MEDIC_SECRET_<name>). Values never
// appear in errors: an error names the secret and where it was looked for.
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
	// Where says where it was looked for: "the environment" or a parameter name.
	Where string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("secret %q is not set in %s", e.Name, e.Where)
}

// EnvPrefix starts the name of every environment variable a local secret
// is read from: the secret SLACK_URL is MEDIC_SECRET_SLACK_URL. A targets
// file therefore cannot name HOME, AWS_SECRET_ACCESS_KEY or any other
// variable the operator did not set for medic.
const EnvPrefix = "MEDIC_SECRET_"

// EnvVar is the environment variable a local secret called name is read from.
func EnvVar(name string) string { return EnvPrefix + name }

// Env reads a secret called K from the environment variable MEDIC_SECRET_K
// (local runs).
type Env struct {
	// Lookup replaces os.LookupEnv; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Where is how a MissingError describes the environment; empty means
	// "the environment variable MEDIC_SECRET_<name>".
	Where string
}

var _ Source = Env{}

// Secret returns the environment variable MEDIC_SECRET_<name>; unset or
// empty is an error naming the variable.
func (e Env) Secret(_ context.Context, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("secret name is empty")
	}
	lookup := e.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(EnvVar(name))
	if !ok || v == "" {
		where := e.Where
		if where == "" {
			where = "the environment variable " + EnvVar(name)
		}
		return "", &MissingError{Name: name, Where: where}
	}
	return v, nil
}

// None has no secrets: every name is a MissingError saying Where. It is the
// source of a Lambda deployed without a secret, which must not fall back
// to its environment.
type None struct {
	Where string
}

var _ Source = None{}

// Secret always fails with a MissingError.
func (n None) Secret(_ context.Context, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("secret name is empty")
	}
	return "", &MissingError{Name: name, Where: n.Where}
}
