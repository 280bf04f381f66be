package local_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/status"
)

func targetsFor(url string) []byte {
	return []byte(fmt.Sprintf("targets:\n  - name: web\n    url: %s/\n    expect: {body: ok}\n", url))
}

// TestRunPersists runs the real definition with the real handlers and
// reads the record back from a new Env on the same state directory.
func TestRunPersists(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer web.Close()
	dir := t.TempDir()
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env, err := local.Open(local.Options{StateDir: dir, Clock: clk, EngineClock: local.InstantClock(clk)})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.PutTargets(ctx, targetsFor(web.URL)); err != nil {
		t.Fatal(err)
	}
	rec, err := env.Run(ctx, "first", `{"trigger":"schedule"}`)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != sfnapi.StatusSucceeded || len(rec.Events) < 20 || !rec.StartDate.Equal(clk.Now()) {
		t.Fatalf("run: %s %s %s, %d events, start %s", rec.Status, rec.Error, rec.Cause, len(rec.Events), rec.StartDate)
	}
	st, _ := env.Store(ctx)
	obj, err := st.Get(ctx, status.Key)
	if err != nil || !strings.Contains(string(obj.Body), `"status": "UP"`) && !strings.Contains(string(obj.Body), `"status":"UP"`) {
		t.Fatalf("state after the run: %v %s", err, obj.Body)
	}
	if _, err := env.Run(ctx, "first", `{}`); !errors.Is(err, sfnapi.ErrExecutionAlreadyExists) {
		t.Fatalf("second run with the same name: %v", err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := local.Open(local.Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	list, err := again.List(ctx, again.StateMachineArn())
	if err != nil || len(list) != 1 || list[0].Name != "first" || list[0].Status != sfnapi.StatusSucceeded {
		t.Fatalf("list after reopening: %+v, %v", list, err)
	}
	hist, err := again.History(ctx, list[0].Arn)
	if err != nil || hist[0].Type != "ExecutionStarted" || len(hist[0].Details) == 0 || hist[len(hist)-1].Type != "ExecutionSucceeded" {
		t.Fatalf("history after reopening: %v", err)
	}
	if _, err := again.Describe(ctx, sfnapi.ExecutionArn(again.StateMachineArn(), "nope")); !errors.Is(err, sfnapi.ErrExecutionDoesNotExist) {
		t.Fatalf("describe a missing execution: %v", err)
	}
	if _, err := again.Start(ctx, sfnapi.StateMachineArn("other"), "x", "{}"); !errors.Is(err, sfnapi.ErrStateMachineDoesNotExist) {
		t.Fatalf("start on another machine: %v", err)
	}
}

// TestStop aborts a running execution: the probe waits on a server that
// never answers until the test ends.
func TestStop(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	ctx := context.Background()
	env, err := local.Open(local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if err := env.PutTargets(ctx, []byte(fmt.Sprintf("targets:\n  - name: slow\n    url: %s/\n    timeout: 30s\n", slow.URL))); err != nil {
		t.Fatal(err)
	}
	x, err := env.Start(ctx, env.StateMachineArn(), "stopme", `{"trigger":"schedule"}`)
	if err != nil || x.Status != sfnapi.StatusRunning {
		t.Fatalf("start: %+v %v", x, err)
	}
	time.Sleep(100 * time.Millisecond)
	stopped, err := env.Stop(ctx, x.Arn, "Operator", "enough")
	if err != nil || stopped.Status != sfnapi.StatusAborted || stopped.Error != "Operator" || stopped.Cause != "enough" || stopped.StopDate.IsZero() {
		t.Fatalf("stop: %+v %v", stopped, err)
	}
}

// A RUNNING record is judged by who runs it: a live execution of this
// process stays RUNNING to every Env of the process, while one left behind
// by an Env of this process, or by a process that is gone, is ABORTED.
func TestRunningRecordsAreJudgedByTheirRunner(t *testing.T) {
	release := make(chan struct{})
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "ok")
	}))
	defer web.Close()
	dir := t.TempDir()
	ctx := context.Background()
	env, err := local.Open(local.Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	defer close(release) // before Close, which waits for the held execution
	if err := env.PutTargets(ctx, targetsFor(web.URL)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Start(ctx, env.StateMachineArn(), "held", `{"trigger":"schedule"}`); err != nil {
		t.Fatal(err)
	}
	left := func(name string, pid int) {
		rec := fmt.Sprintf(`{"executionArn":%q,"name":%q,"status":"RUNNING","input":{},"startDate":"2026-03-01T12:00:00Z","transitions":0,"events":[],"pid":%d}`,
			sfnapi.ExecutionArn(env.StateMachineArn(), name), name, pid)
		if err := os.WriteFile(filepath.Join(dir, "executions", name+".json"), []byte(rec), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	left("left-by-this-process", os.Getpid())
	left("left-by-a-gone-process", 1<<22+12345) // above pid_max's default: no such process

	other, err := local.Open(local.Options{StateDir: dir}) // a second Env of this process, as a CLI command beside `serve`
	if err != nil {
		t.Fatal(err)
	}
	recs, err := other.Records()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.Name] = r.Status + " " + r.Error
	}
	want := map[string]string{
		"held":                   "RUNNING ",
		"left-by-this-process":   "ABORTED medic.Interrupted",
		"left-by-a-gone-process": "ABORTED medic.Interrupted",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s listed as %q, want %q", name, got[name], w)
		}
	}
}
