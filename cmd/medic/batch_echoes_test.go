package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
)

// scaleFixture adds "broken" (answers 500 "maintenance") to the fixture's
// web and db, so a run with --batch-size 2 writes two batch
// objects.
func scaleFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "maintenance")
	}))
	t.Cleanup(broken.Close)
	cfg, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, fmt.Sprintf("  - name: broken\n    url: %s/\n    expect: {body: ok}\n", broken.URL)...)
	if err := os.WriteFile(f.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// what each scale fixture target's line must say.
var scaleWant = map[string]struct {
	check   string
	failure string
}{
	"web":    {"ok", ""},
	"db":     {"FAIL", "connection refused"},
	"broken": {"FAIL", `status 500, want 200-399; body "maintenance", want "ok"`},
}

func TestScaleRunReportsBatchEchoes(t *testing.T) {
	f := scaleFixture(t)
	scale := f.flags("--batch-size", "2")

	// The table: every target with this run's check, a latency and what failed.
	code, out, errOut := medic(t, append([]string{"run"}, scale...)...)
	if code != exitOK && code != exitDown {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "run are in s3:") {
		t.Errorf("a local run with every result read points at the bucket:\n%s", out)
	}
	rows := tableRows(t, out)
	for name, w := range scaleWant {
		row, ok := rows[name]
		if !ok {
			t.Fatalf("no row for %s:\n%s", name, out)
		}
		if row.check != w.check || row.latency == "-" || row.latency == "" || row.failed != w.failure {
			t.Errorf("%s: check %q latency %q failed %q, want %q, a latency, %q\n%s", name, row.check, row.latency, row.failed, w.check, w.failure, out)
		}
		if _, err := time.ParseDuration(row.latency); err != nil {
			t.Errorf("%s: latency %q is not a duration", name, row.latency)
		}
	}

	// The JSON report carries the same; db and broken are DOWN after a second failure.
	code, out, errOut = medic(t, append([]string{"run", "--json"}, scale...)...)
	if code != exitDown {
		t.Fatalf("run --json: exit %d, want %d\n%s%s", code, exitDown, out, errOut)
	}
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out)
	}
	if r.ResultsIn != "" || len(r.Targets) != len(scaleWant) {
		t.Fatalf("report: resultsIn %q, %d targets, want none and %d\n%s", r.ResultsIn, len(r.Targets), len(scaleWant), out)
	}
	for _, tr := range r.Targets {
		w := scaleWant[tr.Name]
		if !tr.Checked || tr.Up != (w.check == "ok") || tr.LatencyMS <= 0 || strings.Join(tr.Failures, "; ") != w.failure {
			t.Errorf("%s in the JSON report: %+v, want checked, up=%v, a latency, failures %q", tr.Name, tr, w.check == "ok", w.failure)
		}
		if want := map[bool]string{true: "UP", false: "DOWN"}[w.check == "ok"]; tr.Status != want {
			t.Errorf("%s: status %s, want %s", tr.Name, tr.Status, want)
		}
		if tr.Name == "broken" && tr.StatusCode != http.StatusInternalServerError {
			t.Errorf("broken: status code %d, want 500", tr.StatusCode)
		}
	}

	// show reads the same run's results from the batch objects.
	code, out, errOut = medic(t, "show", "--state-dir", f.stateDir, r.Execution)
	if code != exitOK || tableRows(t, out)["db"].failed != "connection refused" {
		t.Fatalf("show: exit %d\n%s%s", code, out, errOut)
	}
}

func TestScaleCheck(t *testing.T) {
	f := scaleFixture(t)
	tests := []struct {
		names []string
		code  int
		want  []string
	}{
		{[]string{"web"}, exitOK, []string{"targeted trigger: 1 target in 1 batch", "web"}},
		{[]string{"db", "broken"}, exitDown, []string{"connection refused", `status 500, want 200-399`}},
		{[]string{"web", "nosuch"}, exitUsage, []string{"no target named nosuch"}},
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
			rows := tableRows(t, out)
			for _, n := range tc.names {
				if w, ok := scaleWant[n]; ok && (rows[n].check != w.check || rows[n].latency == "-") {
					t.Errorf("%s: row %+v, want check %s and a latency\n%s", n, rows[n], w.check, out)
				}
			}
		})
	}
}

// TestScaleRunWithoutStore runs a execution through the API
// alone, as with --aws or --endpoint: the report says where the results are.
func TestScaleRunWithoutStore(t *testing.T) {
	f := scaleFixture(t)
	data, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	env, err := local.Open(local.Options{Bucket: "probes"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := env.PutTargets(ctx, data); err != nil {
		t.Fatal(err)
	}
	url, stop, err := serveInProcess(env)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	defer stop()
	c := &conn{client: localClient(url, env.Credentials()), smArn: env.StateMachineArn()}
	for _, asJSON := range []bool{false, true} {
		var stdout, stderr syncBuffer
		r, err := runExecution(ctx, c, &io2{stdout: &stdout, stderr: &stderr}, runOptions{json: asJSON}, execName("run", time.Now()), `{"trigger":"schedule"}`)
		if err != nil {
			t.Fatal(err)
		}
		out := stdout.String()
		if r.Status != "SUCCEEDED" || r.ResultsIn != "s3://probes/echo/batch/" {
			t.Fatalf("report: status %s, resultsIn %q\n%s", r.Status, r.ResultsIn, out)
		}
		want := `per-target results of this run are in s3://probes/echo/batch/*.json (one JSON array per batch; this run's have "run": "` + r.Execution + `")`
		if asJSON {
			want = `"resultsIn":"s3://probes/echo/batch/"`
		}
		if !strings.Contains(out, want) || strings.Contains(out, "No targets were checked") {
			t.Errorf("json=%v: output lacks %q (or says no targets were checked):\n%s", asJSON, want, out)
		}
	}
}

// TestScaleCheckThroughServe: check --endpoint against a 'medic serve' in
// a run reads the results from the S3 endpoint beside it
// (--s3-endpoint), the path --aws takes with the bucket in AWS; without
// the bucket it cannot confirm the check and exits 1.
func TestScaleCheckThroughServe(t *testing.T) {
	f := scaleFixture(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "medic", "AWS_SECRET_ACCESS_KEY": "medic-local", "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
	} {
		t.Setenv(k, v)
	}
	endpoint, s3Addr, _ := startServe(t, f.flags("--batch-size", "2")...)
	s3 := "http://" + s3Addr
	// The user's way in: the served state directory's credentials in the
	// AWS environment (eval "$(medic credentials)").
	creds, ok, err := localauth.Load(f.stateDir)
	if err != nil || !ok {
		t.Fatalf("serve saved no credentials: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)

	tests := []struct {
		name  string
		args  []string
		code  int
		rows  []string // targets whose table row must match scaleWant
		want  []string // in stdout+stderr
		avoid []string
	}{
		{"results read", []string{"--s3-endpoint", s3, "web", "db", "broken"}, exitDown,
			[]string{"web", "db", "broken"}, []string{"connection refused"}, []string{"run are in s3:", "not confirmed"}},
		{"healthy target", []string{"--s3-endpoint", s3, "web"}, exitOK, []string{"web"}, nil, []string{"not confirmed"}},
		{"no bucket", []string{"web"}, exitDown, nil,
			[]string{"per-target results of this run are in s3://medic/echo/batch/*.json", "the check is not confirmed"}, nil},
		{"unreachable bucket", []string{"--s3-endpoint", "http://" + freeAddr(t), "web"}, exitDown, nil,
			[]string{"cannot read this run's per-target results from s3://medic", "the check is not confirmed"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := medic(t, append([]string{"check", "--endpoint", endpoint}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out+errOut, a) {
					t.Errorf("output has %q:\n%s%s", a, out, errOut)
				}
			}
			rows := tableRows(t, out)
			for _, n := range tc.rows {
				if w := scaleWant[n]; rows[n].check != w.check || rows[n].failed != w.failure || rows[n].latency == "-" {
					t.Errorf("%s: row %+v, want check %s, failure %q and a latency\n%s", n, rows[n], w.check, w.failure, out)
				}
			}
		})
	}
}

func TestReadBatchEchoes(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	env, err := local.Open(local.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ctx := context.Background()
	st, err := env.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := func(target, run string, at time.Duration, failure string) probe.Result {
		r := probe.Result{Target: target, Run: run, CheckedAt: t0.Add(at), LatencyMS: float64(at / time.Millisecond), Up: failure == ""}
		if failure != "" {
			r.Failures = []string{failure}
		}
		return r
	}
	put := func(key string, v any) {
		t.Helper()
		if _, err := st.PutJSON(ctx, key, v, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	// Written an hour before the runs: never read.
	put(echo.Key("old", "old"), []probe.Result{res("old", "run-b", 0, "")})
	clk.Advance(time.Hour)
	put(echo.Key("a", "b"), []probe.Result{res("a", "run-a", time.Second, ""), res("b", "run-b", 2*time.Second, "timeout")})
	put(echo.Key("c", "c"), []probe.Result{res("c", "run-a", 3*time.Second, "refused")})
	put(echo.Key("c", "d"), []probe.Result{res("c", "run-a", 4*time.Second, "status 503"), res("d", "run-b", time.Second, "")})
	put(echo.Prefix+"junk.json", map[string]string{"not": "results"})
	put(echo.Prefix+"notes.txt", "ignored")

	start := t0.Add(time.Hour)
	tests := []struct {
		run  string
		want map[string]string // target → failure
	}{
		{"run-a", map[string]string{"a": "", "c": "status 503"}},
		{"run-b", map[string]string{"b": "timeout", "d": ""}},
		{"run-c", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.run, func(t *testing.T) {
			got, err := readBatchEchoes(ctx, st, tc.run, start, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want targets %v", got, tc.want)
			}
			for name, failure := range tc.want {
				r, ok := got[name]
				if !ok || r.Run != tc.run || strings.Join(r.Failures, "") != failure {
					t.Errorf("%s: %+v, want run %s, failure %q", name, r, tc.run, failure)
				}
			}
		})
	}
	// Without a start time every object is read.
	got, err := readBatchEchoes(ctx, st, "run-b", time.Time{}, nil)
	if err != nil || len(got) != 3 {
		t.Fatalf("without a start: %v, %v; want old, b and d", got, err)
	}
	// With the run's target names, only the objects whose name range
	// covers one of them are read: d is in c--d; b, in a--b, is not asked for.
	got, err = readBatchEchoes(ctx, st, "run-b", start, []string{"d"})
	if err != nil || len(got) != 1 || got["d"].Run != "run-b" {
		t.Fatalf("only d: %v, %v", got, err)
	}
}

type tableRow struct{ status, check, latency, failed string }

// tableRows reads the targets table of a report by target name.
func tableRows(t *testing.T, out string) map[string]tableRow {
	t.Helper()
	lines := strings.Split(out, "\n")
	rows := map[string]tableRow{}
	for i, line := range lines {
		if !strings.HasPrefix(line, "TARGET") {
			continue
		}
		cols := []int{strings.Index(line, "STATUS"), strings.Index(line, "CHECK"), strings.Index(line, "LATENCY"), strings.Index(line, "WHAT FAILED")}
		for _, text := range lines[i+1:] {
			if strings.TrimSpace(text) == "" {
				break
			}
			row := []rune(text) // tabwriter aligns runes ("µs")
			cell := func(from, to int) string {
				if from >= len(row) {
					return ""
				}
				if to < 0 || to > len(row) {
					to = len(row)
				}
				return strings.TrimSpace(string(row[from:to]))
			}
			rows[cell(0, cols[0])] = tableRow{cell(cols[0], cols[1]), cell(cols[1], cols[2]), cell(cols[2], cols[3]), cell(cols[3], -1)}
		}
		break
	}
	return rows
}
