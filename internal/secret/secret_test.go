package secret_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/secret"
)

const testParameter = "/medic/channels"

// parameterStore speaks the Systems Manager JSON 1.1 protocol for
// GetParameter of one parameter, and counts calls.
type parameterStore struct {
	value string
	// typ is the parameter's type; empty means SecureString.
	typ   string
	calls atomic.Int32
}

func (f *parameterStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if got := r.Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParameter" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"unexpected `+got+`"}`)
		return
	}
	var in struct {
		Name           string
		WithDecryption bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name != testParameter {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":""}`)
		return
	}
	if !in.WithDecryption {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ValidationException","message":"want WithDecryption"}`)
		return
	}
	typ := f.typ
	if typ == "" {
		typ = "SecureString"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"ARN": "arn:aws:ssm:us-east-1:123456789012:parameter" + testParameter, "Name": testParameter,
		"Type": typ, "Value": f.value, "Version": 1, "DataType": "text",
	}})
}

func newClient(url string) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

func TestParameterStore(t *testing.T) {
	fake := &parameterStore{value: `{"SLACK_URL":"https://hooks.example/T0/B0/xyzzy","LINE_TOKEN":"tok-123"}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	clk := clock.NewManual(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	src := &secret.ParameterStore{API: newClient(srv.URL), Name: testParameter, TTL: time.Minute, Now: clk.Now}
	ctx := context.Background()

	tests := []struct {
		name, key, want, wantErr string
	}{
		{name: "first key", key: "SLACK_URL", want: "https://hooks.example/T0/B0/xyzzy"},
		{name: "second key", key: "LINE_TOKEN", want: "tok-123"},
		{name: "missing key names key and parameter", key: "DISCORD_URL", wantErr: `secret "DISCORD_URL" is not set in parameter ` + testParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.Secret(ctx, tt.key)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var missing *secret.MissingError
				if !errors.As(err, &missing) {
					t.Fatalf("err %T is not a *MissingError", err)
				}
				for _, v := range []string{"xyzzy", "tok-123"} {
					if strings.Contains(err.Error(), v) {
						t.Fatalf("error leaks a secret value: %v", err)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Secret(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
			}
		})
	}
	if n := fake.calls.Load(); n != 1 {
		t.Fatalf("GetParameter called %d times within the TTL, want 1", n)
	}
	clk.Advance(2 * time.Minute)
	if _, err := src.Secret(ctx, "LINE_TOKEN"); err != nil {
		t.Fatal(err)
	}
	if n := fake.calls.Load(); n != 2 {
		t.Fatalf("GetParameter called %d times after the TTL, want 2", n)
	}
}

// TestParameterStoreNotCreated: a parameter the operator has not created
// yet is a MissingError that says so, and is looked up again next time.
func TestParameterStoreNotCreated(t *testing.T) {
	fake := &parameterStore{value: `{"K":"v"}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	src := &secret.ParameterStore{API: newClient(srv.URL), Name: "/medic/not-created"}
	for range 2 {
		_, err := src.Secret(context.Background(), "K")
		var missing *secret.MissingError
		if !errors.As(err, &missing) || !strings.Contains(err.Error(), "parameter /medic/not-created, which does not exist") {
			t.Fatalf("err = %v, want a MissingError saying the parameter does not exist", err)
		}
	}
	if n := fake.calls.Load(); n != 2 {
		t.Errorf("GetParameter called %d times, want 2 (a missing parameter is not cached)", n)
	}
}

func TestParameterStoreErrors(t *testing.T) {
	tests := []struct {
		name, param, typ, value, wantErr string
	}{
		{name: "not json", param: testParameter, value: `hunter2`, wantErr: "must be a JSON object"},
		{name: "not a string value", param: testParameter, value: `{"K": 42}`, wantErr: `key "K" in the secret must be a JSON string`},
		{name: "plain String parameter", param: testParameter, typ: "String", value: `{"K":"hunter2"}`, wantErr: "it is a String parameter, want SecureString"},
		{name: "no name", param: "", value: `{}`, wantErr: "its name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&parameterStore{value: tt.value, typ: tt.typ})
			defer srv.Close()
			src := &secret.ParameterStore{API: newClient(srv.URL), Name: tt.param}
			_, err := src.Secret(context.Background(), "K")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the secret text: %v", err)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	env := map[string]string{"MEDIC_SECRET_SLACK_URL": "https://hooks.example/s3cr3t", "MEDIC_SECRET_EMPTY": "",
		// Variables the operator did not set for medic: never secrets.
		"HOME": "/home/op", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG", "GITHUB_TOKEN": "ghp_x", "SLACK_URL": "https://not.this/one"}
	src := secret.Env{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	tests := []struct{ key, want, wantErr string }{
		{key: "SLACK_URL", want: "https://hooks.example/s3cr3t"},
		{key: "NOPE", wantErr: `secret "NOPE" is not set in the environment variable MEDIC_SECRET_NOPE`},
		{key: "EMPTY", wantErr: `secret "EMPTY" is not set in the environment variable MEDIC_SECRET_EMPTY`},
		{key: "HOME", wantErr: `secret "HOME" is not set in the environment variable MEDIC_SECRET_HOME`},
		{key: "AWS_SECRET_ACCESS_KEY", wantErr: `secret "AWS_SECRET_ACCESS_KEY" is not set in the environment variable MEDIC_SECRET_AWS_SECRET_ACCESS_KEY`},
		{key: "GITHUB_TOKEN", wantErr: `secret "GITHUB_TOKEN" is not set in the environment variable MEDIC_SECRET_GITHUB_TOKEN`},
		{key: "", wantErr: "secret name is empty"},
	}
	for _, tt := range tests {
		got, err := src.Secret(context.Background(), tt.key)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Secret(%q) err = %v, want %q", tt.key, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Secret(%q) = %q, %v", tt.key, got, err)
		}
	}
	withHint := secret.Env{Lookup: src.Lookup, Where: "the environment (set it in .env)"}
	var missing *secret.MissingError
	if _, err := withHint.Secret(context.Background(), "NOPE"); !errors.As(err, &missing) ||
		err.Error() != `secret "NOPE" is not set in the environment (set it in .env)` {
		t.Errorf("with Where: err = %v, want a MissingError naming the hint", err)
	}
	t.Setenv("MEDIC_SECRET_TEST", "v")
	t.Setenv("TEST", "not this one")
	if v, err := (secret.Env{}).Secret(context.Background(), "TEST"); err != nil || v != "v" {
		t.Fatalf("os environment: %q, %v", v, err)
	}
	none := secret.None{Where: "this deployment"}
	if _, err := none.Secret(context.Background(), "TEST"); !errors.As(err, &missing) || err.Error() != `secret "TEST" is not set in this deployment` {
		t.Errorf("None: err = %v", err)
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"A":"b"}`, `{}`, `null`, `[]`, `{"A":1}`, `{"A":"b","C":"d\u0000"}`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		values, err := secret.ParseJSON(text)
		if err != nil {
			if len(text) > 8 && strings.Contains(err.Error(), text) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		if values == nil {
			t.Fatal("nil map without an error")
		}
	})
}
