package probe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
	probetask "github.com/medic-dev/medic/tasks/probe"
)

const authValue = "Bearer t0ken-for-the-health-endpoint"

// authSite is a health endpoint behind a bearer token; a refused request
// gets the header it sent echoed back.
func authSite(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != authValue {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "refused: "+got)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func authTarget(name, url, secretName string) target.Target {
	return target.Target{Name: name, Kind: target.KindHTTP, URL: url, Method: "GET", FollowRedirects: true,
		Timeout: target.Duration(5 * time.Second), Expect: target.Expect{Body: new("ok")},
		HeaderSecrets: map[string]string{"Authorization": secretName},
		StaleAfter:    target.Duration(15 * time.Minute), FailureThreshold: 2, SuccessThreshold: 1, Source: "config/targets.yaml"}
}

// TestHandleHeaderSecretsFromEnvironment: locally, without
// MEDIC_TARGET_SECRET_PARAMETER, the probe reads secret headers from the
// environment variables MEDIC_SECRET_<name> (the real secret.Env); the
// value reaches the server and nowhere else: not the output, not the logs.
func TestHandleHeaderSecretsFromEnvironment(t *testing.T) {
	srv := authSite(t)
	env := map[string]string{"MEDIC_SECRET_API_HEALTH_TOKEN": authValue, "MEDIC_SECRET_WRONG_TOKEN": "Bearer n0t-the-right-t0ken"}
	var logs bytes.Buffer
	h := &probetask.Handler{
		Prober: &probe.Prober{Allow: probe.All, Secrets: probetask.SecretSource(func(k string) string { return env[k] })},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	out, err := h.Handle(context.Background(), probetask.In{Run: "exec-1", Targets: []target.Target{
		authTarget("api", srv.URL, "API_HEALTH_TOKEN"),
		authTarget("unset", srv.URL, "MISSING_TOKEN"),
		authTarget("wrong", srv.URL, "WRONG_TOKEN"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"api":   nil,
		"unset": {`header Authorization: secret "MISSING_TOKEN" is not set in the environment variable MEDIC_SECRET_MISSING_TOKEN`},
		"wrong": {"status 401, want 200-399", `body "refused: [redacted]", want "ok"`},
	}
	for _, r := range out.Results {
		if got, w := r.Failures, want[r.Target]; r.Up != (len(w) == 0) || !equal(got, w) {
			t.Errorf("%s: up %v failures %q, want %q", r.Target, r.Up, got, w)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{authValue, "t0ken-for-the-health-endpoint", "n0t-the-right-t0ken"} {
		if bytes.Contains(b, []byte(v)) || bytes.Contains(logs.Bytes(), []byte(v)) {
			t.Errorf("secret %q in the output or logs:\n%s\n%s", v, b, logs.Bytes())
		}
	}
}

// TestHandleHeaderSecretsInLambdaWithoutTargetSecret: a Lambda deployed
// without a target secret (the targets file used no headerSecrets, then one
// was uploaded that does) fails those checks with a failure saying how to
// fix it, and still checks the other targets.
func TestHandleHeaderSecretsInLambdaWithoutTargetSecret(t *testing.T) {
	srv := authSite(t)
	env := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "medic-probe"}
	h := &probetask.Handler{Prober: &probe.Prober{Allow: probe.All, Secrets: probetask.SecretSource(func(k string) string { return env[k] })}}
	plain := authTarget("plain", srv.URL, "")
	plain.HeaderSecrets = nil
	plain.Expect = target.Expect{Status: []int{401}}
	out, err := h.Handle(context.Background(), probetask.In{Run: "exec-1", Targets: []target.Target{authTarget("api", srv.URL, "API_HEALTH_TOKEN"), plain}})
	if err != nil {
		t.Fatal(err)
	}
	api, other := out.Results[0], out.Results[1]
	if api.Up || len(api.Failures) != 1 {
		t.Fatalf("api: up %v failures %q, want one failure", api.Up, api.Failures)
	}
	for _, w := range []string{`secret "API_HEALTH_TOKEN" is not set`, "no target secret", probetask.TargetSecretEnv, "targetSecretParameter"} {
		if !strings.Contains(api.Failures[0], w) {
			t.Errorf("failure %q does not mention %q", api.Failures[0], w)
		}
	}
	if !other.Up {
		t.Errorf("the target without headerSecrets: up %v failures %q, want up", other.Up, other.Failures)
	}
}

// TestHandleHeaderSecretsNeverFromEnvironment: a targets file that names
// the function's own credentials (or any variable not meant as a medic
// secret) as headerSecrets sends nothing: in a Lambda the environment is
// never read for secrets, locally only MEDIC_SECRET_<name> is.
func TestHandleHeaderSecretsNeverFromEnvironment(t *testing.T) {
	const awsSecret, awsToken = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-K"), r.Header.Get("X-T"), r.Header.Get("X-H"))
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	base := map[string]string{"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": awsSecret, "AWS_SESSION_TOKEN": awsToken, "HOME": "/home/sbx_user1051"}
	for name, extra := range map[string]map[string]string{
		"lambda": {"AWS_LAMBDA_FUNCTION_NAME": "medic-probe"},
		"local":  {},
	} {
		t.Run(name, func(t *testing.T) {
			env := maps.Clone(base)
			maps.Copy(env, extra)
			h := &probetask.Handler{Prober: &probe.Prober{Allow: probe.All, Secrets: probetask.SecretSource(func(k string) string { return env[k] })}}
			tg := authTarget("steal", srv.URL, "")
			tg.HeaderSecrets = map[string]string{"X-K": "AWS_SECRET_ACCESS_KEY", "X-T": "AWS_SESSION_TOKEN", "X-H": "HOME"}
			out, err := h.Handle(context.Background(), probetask.In{Run: "exec-1", Targets: []target.Target{tg}})
			if err != nil {
				t.Fatal(err)
			}
			if r := out.Results[0]; r.Up || len(r.Failures) == 0 || !strings.Contains(r.Failures[0], "is not set") {
				t.Errorf("up %v failures %q, want a missing-secret failure", r.Up, r.Failures)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, v := range got {
				if v != "" {
					t.Errorf("the target received %q from the function's environment", v)
				}
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSecretSourceReadsParameterStoreLazily: with
// MEDIC_TARGET_SECRET_PARAMETER set the probe reads the SecureString
// parameter's JSON through the real SDK, and only once a batch has a target
// that needs it.
func TestSecretSourceReadsParameterStoreLazily(t *testing.T) {
	const param = "/medic/targets"
	var calls atomic.Int32
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var in struct {
			Name           string
			WithDecryption bool
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" || json.NewDecoder(r.Body).Decode(&in) != nil || in.Name != param || !in.WithDecryption {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":""}`)
			return
		}
		value, _ := json.Marshal(map[string]string{"API_HEALTH_TOKEN": authValue})
		_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": param, "Type": "SecureString", "Value": string(value)}})
	}))
	t.Cleanup(sm.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SSM": sm.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}

	srv := authSite(t)
	settings := map[string]string{probetask.TargetSecretEnv: param, "API_HEALTH_TOKEN": "not this one: the environment is not read"}
	h := &probetask.Handler{Prober: &probe.Prober{Allow: probe.All, Secrets: probetask.SecretSource(func(k string) string { return settings[k] })}}

	plain := authTarget("plain", srv.URL, "")
	plain.HeaderSecrets = nil
	plain.Expect = target.Expect{Status: []int{401}}
	if out, err := h.Handle(context.Background(), probetask.In{Targets: []target.Target{plain}}); err != nil || !out.Results[0].Up {
		t.Fatalf("plain target: %v %+v", err, out)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d Parameter Store calls for a batch without headerSecrets, want 0", n)
	}

	out, err := h.Handle(context.Background(), probetask.In{Targets: []target.Target{
		authTarget("api", srv.URL, "API_HEALTH_TOKEN"), authTarget("api2", srv.URL, "API_HEALTH_TOKEN"),
		authTarget("unset", srv.URL, "OTHER_TOKEN"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Results[0].Up || !out.Results[1].Up {
		t.Errorf("results %+v, want api and api2 up", out.Results)
	}
	wantUnset := `header Authorization: secret "OTHER_TOKEN" is not set in parameter ` + param
	if f := out.Results[2].Failures; len(f) != 1 || f[0] != wantUnset {
		t.Errorf("unset failures %q, want %q", f, wantUnset)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d Parameter Store calls, want 1 (the parameter is cached)", n)
	}
}
