package main

import (
	"context"
	"errors"
	"testing"

	"github.com/medic-dev/medic/internal/secret"
)

// TestNoSecretArnReadsNoEnvironment: deployed without MEDIC_SECRET_ARN, a
// channel's secret is missing, never read from the function's environment
// (which holds its AWS credentials).
func TestNoSecretArnReadsNoEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"MEDIC_BUCKET": "medic", "MEDIC_SECRET_ARN": "", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_LAMBDA_FUNCTION_NAME": "medic-notify", "MEDIC_SECRET_SLACK_URL": "https://hooks.example/set-in-the-function",
	} {
		t.Setenv(k, v)
	}
	h, err := newHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "SLACK_URL"} {
		v, err := h.Deps.Secrets.Secret(context.Background(), name)
		var missing *secret.MissingError
		if v != "" || !errors.As(err, &missing) {
			t.Errorf("secret %s: %q, %v; want a MissingError and no value", name, v, err)
		}
	}
}
