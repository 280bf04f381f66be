package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// medic runs the CLI in-process and returns its exit code and output.
func medic(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return medicCtx(t, context.Background(), args...)
}

func medicCtx(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := runContext(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// fixture is a targets file over real loopback peers: "web" answers 200
// "ok", "db" is a TCP port nobody listens on.
type fixture struct {
	dir, config, stateDir string
	web                   *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(web.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	config := filepath.Join(dir, "targets.yaml")
	body := fmt.Sprintf(`targets:
  - name: web
    url: %s/
    expect: {body: ok}
  - name: db
    tcp: %s
    timeout: 1s
    confirm: {attempts: 1, interval: 10ms}   # keeps each run short (the default pauses 2 x 5s)
`, web.URL, closed)
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, config: config, stateDir: filepath.Join(dir, "state"), web: web}
}

func (f *fixture) flags(extra ...string) []string {
	return append([]string{"--config", f.config, "--state-dir", f.stateDir}, extra...)
}

func TestHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := medic(t, "help", c.name)
			if code != exitOK || !strings.Contains(out, "Usage:\n  medic "+c.name) {
				t.Fatalf("help %s: exit %d\n%s", c.name, code, out)
			}
			code, out2, _ := medic(t, c.name, "-h")
			if code != exitOK || out2 != out {
				t.Fatalf("%s -h: exit %d, output differs from help:\n%s", c.name, code, out2)
			}
		})
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"help"}, exitOK, "medic demo"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"run", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"run", "--batch-size", "0"}, exitUsage, "--batch-size must be at least 1"},
		{[]string{"run", "--mode", "scale"}, exitUsage, "unknown flag: --mode"},
		{[]string{"run", "--map-concurrency", "10001"}, exitUsage, "between 1 and 10000"},
		{[]string{"validate", "--batch-size", "0"}, exitUsage, "--batch-size must be at least 1"},
		{[]string{"check"}, exitUsage, "name at least one target"},
		{[]string{"show"}, exitUsage, "name one execution"},
		{[]string{"executions", "--status", "SLEEPING"}, exitUsage, "--status must be"},
		{[]string{"run", "--config", "/nonexistent/targets.yaml"}, exitUsage, "no targets file at /nonexistent/targets.yaml"},
	}
	for _, tc := range tests {
		code, out, errOut := medic(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("medic %v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", tc.args, code, tc.code, tc.want, out, errOut)
		}
		if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
			t.Errorf("medic %v printed a stack trace: %s", tc.args, errOut)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(good, []byte("channels:\n  ops: {type: slack, urlSecret: MEDIC_TEST_UNSET_SECRET}\ntargets:\n  - name: web\n    url: https://example.com/\n    channels: [ops]\n"), 0o600)
	os.WriteFile(bad, []byte("targets:\n  - name: web\n    url: https://example.com/\n    timeout: soon\n"), 0o600)
	os.WriteFile(broken, []byte(`{"targets": [`), 0o600)
	insecure := filepath.Join(dir, "insecure.yaml")
	os.WriteFile(insecure, []byte("targets:\n  - name: web\n    url: https://example.com/\n    tls: {insecureSkipVerify: true}\n"), 0o600)
	snsFile := filepath.Join(dir, "sns.yaml")
	os.WriteFile(snsFile, []byte("channels:\n  email: {type: sns, topicArn: \"arn:aws:sns:us-east-1:123456789012:ops\"}\ntargets:\n  - name: web\n    url: https://example.com/\n    channels: [email]\n"), 0o600)
	t.Setenv("AWS_ENDPOINT_URL_SNS", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"valid", []string{"validate", good}, exitOK, []string{good + ": OK: 1 target, 1 channel", "secret MEDIC_TEST_UNSET_SECRET is not set"}},
		{"valid via --config", []string{"validate", "--config", good}, exitOK, []string{"OK: 1 target"}},
		{"bad field", []string{"validate", bad}, exitUsage, []string{bad + ": target web: timeout", "1 problem(s)"}},
		{"broken JSON", []string{"validate", broken}, exitUsage, []string{broken}},
		{"missing", []string{"validate", filepath.Join(dir, "nope.yaml")}, exitUsage, []string{"no targets file at"}},
		{"two files", []string{"validate", good, bad}, exitUsage, []string{"one file"}},
		{"skip-verify is warned about", []string{"validate", insecure}, exitOK, []string{insecure + ": OK: 1 target, 0 channels\n",
			"warning: target web: tls.insecureSkipVerify is set: its certificate is not verified"}},
		{"sns without an endpoint", []string{"validate", snsFile}, exitOK, []string{
			snsFile + ": OK: 1 target, 1 channel; 1 warning: a local run cannot deliver everywhere",
			"channel email: no SNS endpoint in this environment: set AWS_ENDPOINT_URL_SNS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := medic(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.out {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}

func TestRunExecutionsShow(t *testing.T) {
	f := newFixture(t)
	// First run: db fails, and its failure is confirmed (DOWN at once with
	// the default failureThreshold of 1).
	code, out, errOut := medic(t, append([]string{"run"}, f.flags()...)...)
	if code != exitOK && code != exitDown {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"SUCCEEDED", "TARGET", "web", "ok", "db", "FAIL", "connection refused"} {
		if !strings.Contains(out, w) {
			t.Errorf("first run output lacks %q:\n%s", w, out)
		}
	}
	// Second run, as JSON: db is DOWN now, so the exit code is 1.
	code, out, errOut = medic(t, append([]string{"run", "--json"}, f.flags()...)...)
	if code != exitDown {
		t.Fatalf("second run: exit %d, want %d\n%s%s", code, exitDown, out, errOut)
	}
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out)
	}
	st := map[string]string{}
	for _, tr := range r.Targets {
		st[tr.Name] = tr.Status
	}
	if st["web"] != "UP" || st["db"] != "DOWN" || r.Status != "SUCCEEDED" || r.Trigger != "schedule" {
		t.Fatalf("second run report: %+v", r)
	}

	// executions lists both runs, newest first.
	code, out, errOut = medic(t, "executions", "--state-dir", f.stateDir)
	if code != exitOK || strings.Count(out, "SUCCEEDED") != 2 || !strings.Contains(out, r.Execution) {
		t.Fatalf("executions: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Index(out, r.Execution) > strings.Index(out, "SUCCEEDED\n") && strings.Count(out, "\n") > 3 {
		// the newest run is on the first line after the header
		lines := strings.Split(out, "\n")
		if !strings.HasPrefix(lines[1], r.Execution) {
			t.Fatalf("newest execution is not first:\n%s", out)
		}
	}

	// show prints the states in order, with the targets table.
	code, out, errOut = medic(t, "show", "--state-dir", f.stateDir, r.Execution)
	if code != exitOK {
		t.Fatalf("show: exit %d\n%s%s", code, out, errOut)
	}
	var states []string
	_, section, _ := strings.Cut(out, "States:\n")
	section, _, _ = strings.Cut(section, "\n\n")
	for _, line := range strings.Split(section, "\n") {
		if fs := strings.Fields(line); len(fs) == 2 && fs[0] != "→" {
			states = append(states, fs[0])
		}
	}
	if got, want := strings.Join(states, ","), "LoadTargets,ProbeTargets,CheckStaleness,Notify"; got != want {
		t.Fatalf("show lists states %s, want %s:\n%s", got, want, out)
	}
	code, _, errOut = medic(t, "show", "--state-dir", f.stateDir, "run-nope")
	if code != exitUsage || !strings.Contains(errOut, "medic executions") {
		t.Fatalf("show of a missing execution: exit %d, %s", code, errOut)
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		names []string
		code  int
		want  []string
	}{
		{[]string{"web"}, exitOK, []string{"LoadTargets", "targeted trigger: 1 target in 1 batch", "ProbeTargets", "1 batch done: echo/batch/web--web.json", "CheckStaleness", "web"}},
		{[]string{"db"}, exitDown, []string{"1 batch done: echo/batch/db--db.json", "connection refused"}},
		{[]string{"nosuch"}, exitUsage, []string{`no target has that name`, "no target named nosuch"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			code, out, errOut := medic(t, append(append([]string{"check"}, f.flags()...), tc.names...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}

func TestRunEvery(t *testing.T) {
	f := newFixture(t)
	code, out, errOut := medic(t, append([]string{"run", "--every", "1s", "--count", "2", "--json"}, f.flags()...)...)
	if code != exitDown {
		t.Fatalf("exit %d, want %d (db is DOWN after two runs)\n%s%s", code, exitDown, out, errOut)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", n, out)
	}
	// Interrupting between cycles ends the loop without starting another.
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- runContext(ctx, append([]string{"run", "--every", "1h"}, f.flags()...), &stdout, &stderr)
	}()
	for !strings.Contains(stdout.String(), "next run at ") {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("--every did not stop when interrupted")
	}
	if strings.Count(stdout.String(), "SUCCEEDED") != 1 || code != exitDown {
		t.Fatalf("interrupted --every: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs 'medic serve' with args on free loopback addresses
// until stop, which returns its exit code and stderr.
func startServe(t *testing.T, args ...string) (endpoint, s3Addr string, stop func() (int, string)) {
	t.Helper()
	addr := freeAddr(t)
	s3Addr = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, append([]string{"serve", "--addr", addr, "--s3-addr", s3Addr, "--page-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() (int, string) {
		if stopped {
			return exitOK, ""
		}
		stopped = true
		cancel()
		return <-done, stderr.String()
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr, s3Addr, stop
}

func TestServeWithSDK(t *testing.T) {
	f := newFixture(t)
	endpoint, s3Addr, stop := startServe(t, f.flags()...)
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	creds, ok, err := localauth.Load(f.stateDir)
	if err != nil || !ok {
		t.Fatalf("serve saved no credentials in %s: %v", f.stateDir, err)
	}
	c := localClient(endpoint, creds)
	smArn := aws.String(sfnapi.StateMachineArn("medic"))
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: smArn, Name: aws.String("sdk-1"), Input: aws.String(`{"targets":["web"]}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	var d *sfn.DescribeExecutionOutput
	for {
		d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if d.Status != types.ExecutionStatusRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("execution ended %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	if h.Events[0].Type != types.HistoryEventTypeExecutionStarted || h.Events[len(h.Events)-1].Type != types.HistoryEventTypeExecutionSucceeded {
		t.Fatalf("history runs from %s to %s", h.Events[0].Type, h.Events[len(h.Events)-1].Type)
	}
	var probed bool
	for _, ev := range h.Events {
		if ev.StateExitedEventDetails != nil && aws.ToString(ev.StateExitedEventDetails.Name) == "ProbeTargets" &&
			strings.Contains(aws.ToString(ev.StateExitedEventDetails.Output), `"echoes":["echo/batch/web--web.json"]`) {
			probed = true
		}
	}
	if !probed {
		t.Fatal("no ProbeTargets output naming web's echo object in the history")
	}

	// The CLI against the served endpoint: the --aws code path, signing
	// with the state directory's credentials.
	code, out, errOut := medic(t, "executions", "--endpoint", endpoint, "--state-dir", f.stateDir)
	if code != exitOK || !strings.Contains(out, "sdk-1") {
		t.Fatalf("executions --endpoint: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = medic(t, "check", "--endpoint", endpoint, "--s3-endpoint", "http://"+s3Addr, "--state-dir", f.stateDir, "web")
	if code != exitOK || !strings.Contains(out, "1 batch done: echo/batch/web--web.json") {
		t.Fatalf("check --endpoint: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = medic(t, "show", "--endpoint", endpoint, "--state-dir", f.stateDir, "sdk-1")
	if code != exitOK || !strings.Contains(out, "sdk-1  SUCCEEDED") {
		t.Fatalf("show --endpoint: exit %d\n%s%s", code, out, errOut)
	}
	// The embedded S3 endpoint is served too, to signed requests only.
	obj, err := s3local.NewClient("http://"+s3Addr, creds).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String("config/targets.yaml")})
	if err != nil {
		t.Fatalf("GET the targets file from the S3 endpoint: %v", err)
	}
	obj.Body.Close()
	resp, err := http.Get("http://" + s3Addr + "/medic/config/targets.yaml")
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an unsigned GET of the targets file: %v %v, want 403", err, resp)
	}
	resp.Body.Close()

	if code, stderr := stop(); code != exitOK {
		t.Fatalf("serve exit %d\n%s", code, stderr)
	}
}

func TestStateMachineArnAndConsoleLink(t *testing.T) {
	dir := t.TempDir()
	outputs := filepath.Join(dir, "cdk-outputs.json")
	arn := "arn:aws:states:eu-west-1:123456789012:stateMachine:MedicHealthCheck"
	os.WriteFile(outputs, []byte(`{"Medic": {"StateMachineArn": "`+arn+`", "BucketName": "b"}}`), 0o600)
	t.Setenv("MEDIC_STATE_MACHINE_ARN", "")
	f := remoteFlags{outputs: outputs}
	got, err := f.stateMachineArn()
	if err != nil || got != arn {
		t.Fatalf("from outputs file: %q, %v", got, err)
	}
	t.Setenv("MEDIC_STATE_MACHINE_ARN", "arn:aws:states:us-west-2:1:stateMachine:env")
	if got, _ := f.stateMachineArn(); got != "arn:aws:states:us-west-2:1:stateMachine:env" {
		t.Fatalf("from env: %q", got)
	}
	f.arn = "arn:aws:states:us-west-2:1:stateMachine:flag"
	if got, _ := f.stateMachineArn(); got != f.arn {
		t.Fatalf("from flag: %q", got)
	}
	t.Setenv("MEDIC_STATE_MACHINE_ARN", "")
	code, _, errOut := medic(t, "executions", "--aws", "--cdk-outputs", filepath.Join(dir, "none.json"))
	if code != exitUsage || !strings.Contains(errOut, "--state-machine-arn") || !strings.Contains(errOut, "cdk deploy --outputs-file") {
		t.Fatalf("--aws without an ARN: exit %d: %s", code, errOut)
	}
	code, _, errOut = medic(t, "executions", "--aws", "--state-machine-arn", "nonsense")
	if code != exitUsage || !strings.Contains(errOut, "is not of the form") {
		t.Fatalf("--aws with a bad ARN: exit %d: %s", code, errOut)
	}
	link := consoleLink("eu-west-1", "arn:aws:states:eu-west-1:123456789012:execution:MedicHealthCheck:run-1")
	want := "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:MedicHealthCheck:run-1"
	if link != want {
		t.Fatalf("console link %s, want %s", link, want)
	}
}

func TestCredentialsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	code, out, errOut := medic(t, "credentials", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("credentials: exit %d: %s", code, errOut)
	}
	c, ok, err := localauth.Load(dir)
	if err != nil || !ok {
		t.Fatalf("credentials saved nothing in %s: %v", dir, err)
	}
	want := "export AWS_ACCESS_KEY_ID=" + c.AccessKeyID + "\nexport AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey + "\n"
	if !strings.HasPrefix(out, want) {
		t.Fatalf("credentials printed\n%s\nwant it to start with\n%s", out, want)
	}
	if _, again, _ := medic(t, "credentials", "--state-dir", dir); again != out {
		t.Fatalf("a second call printed other credentials:\n%s", again)
	}
}

// TestShowRefusesPathsOutOfTheStateDirectory: 'medic show ../../x' names no
// file outside STATE-DIR/executions, whether it exists or not.
func TestShowRefusesPathsOutOfTheStateDirectory(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"name":"stolen","status":"SUCCEEDED","input":"outside"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"../../x", "../../missing"} {
		code, out, errOut := medic(t, "show", "--state-dir", state, ref)
		if code != exitUsage || !strings.Contains(errOut, "is not an execution name or ARN") || strings.Contains(out+errOut, "stolen") {
			t.Errorf("show %s: exit %d\n%s%s", ref, code, out, errOut)
		}
	}
}

// TestValidateRejectsWhatARunWould: a file over the size a run reads is
// refused without being read, and one over medic's limits (here: more
// than 1,000 batches) is a problem, as the run would fail with a
// FleetLimitError.
func TestValidateRejectsWhatARunWould(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 50 MB that take no disk and, read, would be NULs.
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errOut := medic(t, "validate", huge)
	if code != exitUsage || !strings.Contains(errOut, "is 50 MiB, over the 16 MiB a run reads") {
		t.Errorf("validate of a 50 MB file: exit %d\n%s%s", code, out, errOut)
	}

	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 1500 {
		fmt.Fprintf(&b, "  - {name: site-%04d, url: \"https://site-%04d.example.com/health/check/endpoint\", expect: {status: [200], bodyContains: ok}}\n", i, i)
	}
	many := filepath.Join(dir, "many.yaml")
	if err := os.WriteFile(many, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = medic(t, "validate", many)
	if code != exitOK || !strings.Contains(out, "OK: 1500 targets") {
		t.Errorf("validate of 1,500 targets: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = medic(t, "validate", "--batch-size", "1", many)
	if code != exitUsage || !strings.Contains(out, "a run would fail: 1500 targets make 1500 batches of at most 1 targets") {
		t.Errorf("validate of 1,500 targets in batches of 1: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = medic(t, "validate", "--json", "--batch-size", "1", many)
	if code != exitUsage || !strings.Contains(out, `"valid":false`) || !strings.Contains(out, "medic runs at most 1000 batches a run") {
		t.Errorf("validate --json: exit %d\n%s", code, out)
	}
}
