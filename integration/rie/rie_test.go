package rie_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/lambdabuild"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/trigger"
	"github.com/medic-dev/medic/tasks/checkstaleness"
	"github.com/medic-dev/medic/tasks/loadtargets"
	"github.com/medic-dev/medic/tasks/notify"
	probetask "github.com/medic-dev/medic/tasks/probe"
	"github.com/medic-dev/medic/tasks/writeecho"
)

const (
	// rieCommand is AWS's Runtime Interface Emulator, a tool in go.mod.
	rieCommand = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	// requireQEMU, set to 1, makes a missing qemu-aarch64 a failure.
	requireQEMU = "MEDIC_REQUIRE_QEMU"

	bucket = "medic"
	// channelParameter and targetParameter are the stack's default
	// SecureString parameters (infra.DefaultSettings).
	channelParameter = "/medic/channels"
	targetParameter  = "/medic/targets"
	topicARN         = "arn:aws:sns:us-east-1:123456789012:medic-Alerts"
	// webhookKey is the channel secret's key holding the webhook URL.
	webhookKey = "OPS_WEBHOOK_URL"
)

// function is one task's Lambda function as the stack configures it in
// infra/functions.go (whose template infra's TestFunctions pins): memory,
// timeout and the environment the stack sets, with the bucket, secret and
// topic references resolved to this test's values.
type function struct {
	memoryMB, timeoutS int
	env                map[string]string
}

func stackFunctions() map[string]function {
	fns := map[string]function{
		"loadtargets": {128, 30, map[string]string{
			"MEDIC_CONFIG_KEY": "config/targets.yaml", "MEDIC_BATCH_SIZE": "100", "MEDIC_STALE_AFTER": "15m"}},
		"probe":     {256, 90, map[string]string{"MEDIC_ALLOW_NETWORKS": "public", "MEDIC_TARGET_SECRET_PARAMETER": targetParameter}},
		"writeecho": {128, 30, map[string]string{}},
		"checkstaleness": {128, 60, map[string]string{
			"MEDIC_CONFIG_KEY": "config/targets.yaml", "MEDIC_STALE_AFTER": "15m"}},
		"notify": {128, 60, map[string]string{
			"MEDIC_CONFIG_KEY": "config/targets.yaml", "MEDIC_ALLOW_NETWORKS": "public",
			"MEDIC_SECRET_PARAMETER": channelParameter, "MEDIC_SNS_TOPIC_ARN": topicARN}},
	}
	for _, fn := range fns {
		fn.env["MEDIC_BUCKET"] = bucket
		fn.env["GOMEMLIMIT"] = fmt.Sprintf("%dMiB", fn.memoryMB*8/10)
	}
	return fns
}

// targetsFile is config/targets.yaml: the targets the fixtures name, and
// one webhook channel whose URL is in the channel secret.
const targetsFile = `
channels:
  ops: {type: webhook, urlSecret: ` + webhookKey + `}
defaults:
  channels: [ops]
  staleAfter: 15m
targets:
  - {name: web, url: "https://web.example/ok", expect: {bodyContains: ok}}
  - {name: api, url: "https://api.example/", failureThreshold: 1}
  - {name: db, tcp: "db.example:5432"}
`

// TestDeployedBinaries builds the five bootstrap binaries as the stack
// deploys them and sends each one invocation through the Runtime Interface
// Emulator, in the order of a run: LoadTargets on the schedule's input,
// Probe, WriteEcho, CheckStaleness and Notify on their fixture events. Each
// response is decoded strictly into the task's output type and checked,
// and so is what the function left in the bucket and at the peers.
func TestDeployedBinaries(t *testing.T) {
	qemu := findQEMU(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	rie := buildRIE(t, root, bin)
	for _, task := range []string{"loadtargets", "probe", "writeecho", "checkstaleness", "notify"} {
		if err := lambdabuild.Bootstrap(context.Background(), root, task, filepath.Join(bin, task)); err != nil {
			t.Fatal(err)
		}
		checkLambdaBinary(t, filepath.Join(bin, task, "bootstrap"))
	}

	// The embedded store takes the functions' (dummy) credentials.
	s3srv, err := s3local.Start(s3local.Options{Buckets: []string{bucket}, Credentials: lambdaCredentials})
	if err != nil {
		t.Fatalf("start embedded S3: %v", err)
	}
	t.Cleanup(func() { _ = s3srv.Close() })
	st := store.New(s3srv.Client(), bucket)
	ctx := context.Background()
	if _, err := st.Put(ctx, "config/targets.yaml", []byte(targetsFile), store.Condition{}); err != nil {
		t.Fatal(err)
	}

	// The probe's targets, on loopback: the deployed probe must refuse them.
	var targetHits atomic.Int32
	targetSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		targetHits.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(targetSrv.Close)
	tcpTarget := listenCounting(t)

	hook := &webhookReceiver{}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	hookURL := hookSrv.URL + "/hooks/ops-7f3a"
	sm := &parameterStore{name: channelParameter, values: map[string]string{webhookKey: hookURL}}
	smSrv := httptest.NewServer(sm)
	t.Cleanup(smSrv.Close)

	endpoints := map[string]string{
		"AWS_ENDPOINT_URL_S3":  s3srv.URL,
		"AWS_ENDPOINT_URL_SSM": smSrv.URL,
	}
	fns := stackFunctions()
	invoke := func(t *testing.T, task string, event []byte, out any) string {
		t.Helper()
		fn := newLambda(t, rie, qemu, filepath.Join(bin, task, "bootstrap"), task, fns[task], endpoints)
		fn.invoke(t, event, out)
		return fn.logs.String()
	}

	var run string
	t.Run("loadtargets", func(t *testing.T) {
		var out loadtargets.Output
		logs := invoke(t, "loadtargets", fixture(t, root, "loadtargets", "schedule.json"), &out)
		// The line the stack's ScheduleHeartbeat metric filter counts
		// (infra/alarms.go): { $.message = "targets loaded" && $.trigger = "schedule" }.
		if !hasJSONLine(logs, map[string]string{"message": loadtargets.LogTargetsLoaded, "trigger": trigger.Schedule}) {
			t.Errorf("no JSON log line with message %q and trigger %q, which the no-scheduled-run alarm counts:\n%s",
				loadtargets.LogTargetsLoaded, trigger.Schedule, logs)
		}
		if out.Trigger != "schedule" || out.Summary.Targets != 3 || out.Summary.Batches != 1 || out.Summary.ProblemCount != 0 || out.TargetList.Key == "" {
			t.Fatalf("output = %+v, want a schedule run of 3 targets in 1 batch, no problems, and its target list", out)
		}
		var list []target.Target
		if _, err := st.GetJSON(ctx, out.TargetList.Key, &list); err != nil {
			t.Fatalf("read the target list the function wrote: %v", err)
		}
		var names []string
		for _, tg := range list {
			names = append(names, tg.Name)
		}
		if want := []string{"api", "db", "web"}; !slices.Equal(names, want) {
			t.Fatalf("listed targets = %v, want %v", names, want)
		}
	})

	t.Run("probe", func(t *testing.T) {
		event := fixture(t, root, "probe", "input.json")
		event = bytes.ReplaceAll(event, []byte("{{URL}}"), []byte(targetSrv.URL))
		event = bytes.ReplaceAll(event, []byte("{{ADDR}}"), []byte(tcpTarget.addr))
		var out probetask.Out
		invoke(t, "probe", event, &out)
		if out.Batch != 2 || out.Run != "exec-2026-03-04T05-06" || len(out.Results) != 4 {
			t.Fatalf("output = %+v, want batch 2 of run exec-2026-03-04T05-06 with 4 results", out)
		}
		for _, r := range out.Results {
			if r.Target == "nightly" {
				if r.Skipped == "" || r.Up || len(r.Failures) != 0 {
					t.Errorf("push target result = %+v, want skipped, no verdict", r)
				}
				continue
			}
			// MEDIC_ALLOW_NETWORKS=public: a probe of loopback could reach
			// the Lambda runtime API, so the deployed probe refuses it.
			if r.Up || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "loopback; refused") {
				t.Errorf("%s: result = %+v, want down with the loopback refusal", r.Target, r)
			}
		}
		if n, m := targetHits.Load(), tcpTarget.accepts.Load(); n != 0 || m != 0 {
			t.Errorf("the refused targets were reached anyway: %d HTTP requests, %d TCP connections", n, m)
		}
	})

	t.Run("writeecho", func(t *testing.T) {
		// The fixture's results as this run's probe would send them: checked
		// now, so that CheckStaleness reads them as fresh.
		event := bytes.ReplaceAll(fixture(t, root, "writeecho", "input.json"),
			[]byte(`"checkedAt": "2026-03-04T05:06:00Z"`), []byte(`"checkedAt": "`+time.Now().UTC().Format(time.RFC3339)+`"`))
		var out writeecho.Out
		invoke(t, "writeecho", event, &out)
		if out.Written != 2 || out.Echo != "echo/batch/api--web.json" {
			t.Fatalf("output = %+v, want 2 written (web and api; the skipped push result is not stored) to echo/batch/api--web.json", out)
		}
		var echoed []probe.Result
		if _, err := st.GetJSON(ctx, out.Echo, &echoed); err != nil {
			t.Fatalf("read the echo the function wrote: %v", err)
		}
		up := map[string]bool{}
		for _, r := range echoed {
			if r.Run != "exec-2026-03-04T05-06" {
				t.Errorf("%s: run %q, want exec-2026-03-04T05-06", r.Target, r.Run)
			}
			up[r.Target] = r.Up
		}
		if len(echoed) != 2 || !up["web"] || up["api"] {
			t.Errorf("%s = %+v, want web up and api down, and no skipped nightly", out.Echo, echoed)
		}
	})

	t.Run("checkstaleness", func(t *testing.T) {
		before := time.Now().Add(-time.Minute)
		var out checkstaleness.Out
		invoke(t, "checkstaleness", fixture(t, root, "checkstaleness", "input.json"), &out)
		run = out.Run
		wantStatuses := map[string]int{"UP": 1, "DOWN": 1, "STALE": 0, "UNKNOWN": 1}
		if out.Run != "exec-2026-11-21-1000" || out.Trigger != "schedule" || fmt.Sprint(out.Statuses) != fmt.Sprint(wantStatuses) {
			t.Fatalf("output = %+v, want run exec-2026-11-21-1000 with statuses %v", out, wantStatuses)
		}
		var loaded loadtargets.Summary
		if err := json.Unmarshal(out.Loaded, &loaded); err != nil || loaded.Targets != 3 {
			t.Errorf("loaded = %s, want LoadTargets' summary passed through", out.Loaded)
		}
		got := map[string]string{}
		for _, c := range out.Changes {
			got[c.Target] = c.From + "→" + c.To
			since, err := time.Parse(time.RFC3339Nano, c.Since)
			if err != nil || since.Before(before) || since.After(time.Now()) {
				t.Errorf("%s: since %q is not this invocation's time", c.Target, c.Since)
			}
		}
		want := map[string]string{"web": "UNKNOWN→UP", "api": "UNKNOWN→DOWN"}
		if fmt.Sprint(got) != fmt.Sprint(want) || out.ChangeCount != 2 || out.Pending != 1 {
			t.Fatalf("changes = %v (count %d), pending %d; want %v, 2, 1 (api's DOWN alert)", got, out.ChangeCount, out.Pending, want)
		}
		keys, err := st.List(ctx, "outbox/")
		if err != nil || len(keys) != 1 {
			t.Fatalf("outbox/ holds %v (%v), want the one alert", keys, err)
		}
	})

	t.Run("notify", func(t *testing.T) {
		if run == "" {
			t.Skip("checkstaleness queued no alert")
		}
		// As deployed (MEDIC_ALLOW_NETWORKS=public): a channel URL on
		// loopback is refused like a probe of it, the URL stays out of the
		// error and the log, and the alert stays pending for a later run.
		fn := newLambda(t, rie, qemu, filepath.Join(bin, "notify", "bootstrap"), "notify", fns["notify"], endpoints)
		body := fn.invokeRaw(t, fixture(t, root, "notify", "in.json"))
		var failed struct{ ErrorMessage, ErrorType string }
		if err := json.Unmarshal(body, &failed); err != nil || failed.ErrorType != "RetryableDeliveryError" ||
			!strings.Contains(failed.ErrorMessage, "loopback; refused") {
			t.Fatalf("response = %s, want a RetryableDeliveryError for the refused loopback webhook", body)
		}
		if strings.Contains(string(body)+fn.logs.String(), "ops-7f3a") {
			t.Errorf("the secret webhook URL is in the error or the log:\n%s\n%s", body, fn.logs.String())
		}
		if n := len(hook.received()); n != 0 {
			t.Fatalf("the refused webhook got %d posts", n)
		}
		if keys, err := st.List(ctx, "outbox/"); err != nil || len(keys) != 1 {
			t.Fatalf("outbox/ holds %v (%v) after the refusal, want the alert still pending", keys, err)
		}

		// With the receiver allowed (an operator's private network would be
		// MEDIC_ALLOW_NETWORKS=private; loopback needs all), the next run
		// delivers it, once.
		allowed := fns["notify"]
		allowed.env = maps.Clone(allowed.env)
		allowed.env["MEDIC_ALLOW_NETWORKS"] = "all"
		var out notify.Out
		fn = newLambda(t, rie, qemu, filepath.Join(bin, "notify", "bootstrap"), "notify", allowed, endpoints)
		fn.invoke(t, fixture(t, root, "notify", "in.json"), &out)
		if out != (notify.Out{Delivered: 1}) {
			t.Fatalf("output = %+v, want 1 delivered, nothing rejected, pending or dropped", out)
		}
		posts := hook.received()
		if len(posts) != 1 || posts[0].path != "/hooks/ops-7f3a" {
			t.Fatalf("webhook received %d posts (%v), want 1 at the URL from the secret", len(posts), posts)
		}
		var alert struct{ Target, Kind string }
		if err := json.Unmarshal(posts[0].body, &alert); err != nil || alert.Target != "api" || alert.Kind != "DOWN" {
			t.Errorf("webhook body = %s, want api's DOWN alert", posts[0].body)
		}
		if sm.calls.Load() == 0 {
			t.Errorf("the channel secret was not read from Parameter Store")
		}
		if strings.Contains(fn.logs.String(), "ops-7f3a") {
			t.Errorf("the function's log shows the secret webhook URL:\n%s", fn.logs.String())
		}
		keys, err := st.List(ctx, "outbox/")
		if err != nil || len(keys) != 0 {
			t.Errorf("outbox/ still holds %v (%v) after delivery", keys, err)
		}
	})
}

// findQEMU returns the path of qemu-aarch64 (or Debian's
// qemu-aarch64-static), or skips the test; with MEDIC_REQUIRE_QEMU=1 a
// missing emulator fails it instead.
func findQEMU(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"qemu-aarch64", "qemu-aarch64-static"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "qemu-aarch64 is not installed: the arm64 Lambda binaries were not run under the Runtime Interface Emulator. " +
		"Install it (Debian/Ubuntu: apt-get install qemu-user-static) and run: MEDIC_REQUIRE_QEMU=1 go test ./integration/rie/"
	if os.Getenv(requireQEMU) == "1" {
		t.Fatal(msg)
	}
	t.Skip("skipped: " + msg)
	return ""
}

// buildRIE builds the emulator for this machine, at the version go.mod pins.
func buildRIE(t *testing.T, root, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "aws-lambda-rie")
	cmd := exec.Command("go", "build", "-o", out, rieCommand)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", rieCommand, err, b)
	}
	return out
}

// checkLambdaBinary fails unless path is what provided.al2023 on arm64
// runs: a static (no interpreter) AArch64 Linux executable.
func checkLambdaBinary(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Fatalf("%s is %v %v, want an AArch64 executable", path, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s is dynamically linked; provided.al2023 needs a static binary", path)
		}
	}
}

// fixture reads tasks/<task>/testdata/<name>.
func fixture(t *testing.T, root, task, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "tasks", task, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lambda is one function: the emulator serving the invoke API, running
// the bootstrap under qemu as its runtime.
type lambda struct {
	task string
	url  string
	logs *syncBuffer
}

// lambdaCredentials are the dummy credentials every function gets.
var lambdaCredentials = localauth.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret"}

// newLambda starts the emulator for one function with the environment
// Lambda gives it (the stack's variables, the runtime's own, dummy
// credentials) and nothing from this process's environment. It is stopped
// when the test ends.
func newLambda(t *testing.T, rie, qemu, bootstrap, task string, fn function, endpoints map[string]string) *lambda {
	t.Helper()
	env := map[string]string{
		"PATH": "/usr/bin:/bin",
		"HOME": t.TempDir(), // no shared AWS config or credentials files
		// What Lambda sets for a provided.al2023 function with JSON logs.
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME":        "medic-" + task,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(fn.memoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     fmt.Sprint(fn.timeoutS),
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_LOG_LEVEL":            "INFO",
		"AWS_ACCESS_KEY_ID":               lambdaCredentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           lambdaCredentials.SecretAccessKey,
		"AWS_SESSION_TOKEN":               "test-session",
		"AWS_EC2_METADATA_DISABLED":       "true",
	}
	for k, v := range endpoints {
		env[k] = v
	}
	for k, v := range fn.env {
		env[k] = v
	}
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	// The emulator takes its two addresses as flags; a port taken between
	// choosing it and the emulator binding it is retried.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		api, invoke := freePort(t), freePort(t)
		logs := &syncBuffer{}
		cmd := exec.Command(rie, "--log-level", "info",
			"--runtime-api-address", api, "--runtime-interface-emulator-address", invoke,
			qemu, bootstrap)
		cmd.Dir = filepath.Dir(bootstrap)
		cmd.Env = list
		cmd.Stdout, cmd.Stderr = logs, logs
		// Its own process group, so the runtime under qemu stops with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", rie, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if err := awaitListening(invoke, exited); err != nil {
			stop()
			lastErr = fmt.Errorf("%w; its output:\n%s", err, logs.String())
			continue
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				t.Logf("%s: emulator and function output:\n%s", task, logs.String())
			}
		})
		return &lambda{task: task, url: "http://" + invoke + "/2015-03-31/functions/function/invocations", logs: logs}
	}
	t.Fatalf("the emulator for %s did not start: %v", task, lastErr)
	return nil
}

// invoke sends event as one invocation and decodes the response into out,
// rejecting fields out does not have (a Lambda error response has
// errorMessage and errorType). It then checks the function logged in
// Lambda's JSON format.
func (l *lambda) invoke(t *testing.T, event []byte, out any) {
	t.Helper()
	body := l.invokeRaw(t, event)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("invoke %s: response %s is not its output: %v", l.task, body, err)
	}
}

// invokeRaw sends event as one invocation and returns the response body
// (the function's output, or Lambda's error object). It checks that the
// function started and logged in Lambda's JSON format.
func (l *lambda) invokeRaw(t *testing.T, event []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url, bytes.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", l.task, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("invoke %s: read the response: %v", l.task, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: %s: %s", l.task, resp.Status, body)
	}
	// The response can arrive before the emulator has copied the function's
	// log lines to its output: wait for them (bounded) before judging.
	logs := l.logs.waitFor(10*time.Second, func(s string) bool {
		return strings.Contains(s, "INIT RTDONE(status: success)") && strings.Contains(s, "\n{")
	})
	if !strings.Contains(logs, "INIT RTDONE(status: success)") {
		t.Errorf("%s: the emulator did not report a successful init", l.task)
	}
	jsonLines := 0
	for _, line := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // the emulator's own lines
		}
		var rec struct{ Level, Message string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" || rec.Message == "" {
			t.Errorf("%s: log line is not Lambda's JSON format: %s", l.task, line)
		}
		jsonLines++
	}
	if jsonLines == 0 {
		t.Errorf("%s: no JSON log line from the function:\n%s", l.task, logs)
	}
	return body
}

// hasJSONLine reports whether a line of logs is a JSON object with these
// string fields.
func hasJSONLine(logs string, fields map[string]string) bool {
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		match := true
		for k, v := range fields {
			if rec[k] != v {
				match = false
			}
		}
		if match {
			return true
		}
	}
	return false
}

// awaitListening waits until addr accepts connections, the process exits,
// or 30 s pass.
func awaitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("the emulator exited before listening on %s", addr)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listening on %s after 30s", addr)
}

// freePort returns a loopback address with a port free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// countingListener is a TCP target that counts the connections it accepts.
type countingListener struct {
	addr    string
	accepts atomic.Int32
}

func listenCounting(t *testing.T) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c := &countingListener{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.accepts.Add(1)
			conn.Close()
		}
	}()
	return c
}

// webhookReceiver records the posts a webhook channel sends.
type webhookReceiver struct {
	mu    sync.Mutex
	posts []post
}

type post struct {
	path string
	body []byte
}

func (h *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.posts = append(h.posts, post{path: r.URL.Path, body: body})
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *webhookReceiver) received() []post {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.posts)
}

// parameterStore answers GetParameter in the Systems Manager JSON 1.1
// protocol for one SecureString parameter, whose value is a JSON object of
// keys.
type parameterStore struct {
	name   string
	values map[string]string
	calls  atomic.Int32
}

func (s *parameterStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct {
		Name           string
		WithDecryption bool
	}
	if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" || json.NewDecoder(r.Body).Decode(&in) != nil || in.Name != s.name || !in.WithDecryption {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":""}`)
		return
	}
	value, _ := json.Marshal(s.values)
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": s.name, "Type": "SecureString", "Value": string(value), "Version": 1}})
}

// syncBuffer is an io.Writer safe for the emulator's stdout and stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// waitFor returns the output once done(output) holds, or as it is after
// limit.
func (b *syncBuffer) waitFor(limit time.Duration, done func(string) bool) string {
	deadline := time.Now().Add(limit)
	for {
		s := b.String()
		if done(s) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
