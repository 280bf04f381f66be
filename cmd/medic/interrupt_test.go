package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// slowTarget is a target whose response waits until release is closed;
// entered gets a value when a probe arrives.
func slowTarget(t *testing.T) (config string, entered chan struct{}, release func()) {
	t.Helper()
	entered = make(chan struct{}, 10)
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	config = filepath.Join(t.TempDir(), "targets.yaml")
	body := fmt.Sprintf("targets:\n  - name: slow\n    url: %s/\n    timeout: 60s\n    expect: {body: ok}\n", srv.URL)
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return config, entered, release
}

// startRun starts the built medic binary's 'run' on config and waits until
// its probe reaches the target.
func startRun(t *testing.T, config, stateDir string, entered chan struct{}, extra ...string) (*exec.Cmd, *syncBuffer, *syncBuffer, chan error) {
	t.Helper()
	var stdout, stderr syncBuffer
	cmd := exec.Command(medicBinary(t), append([]string{"run", "--config", config, "--state-dir", stateDir}, extra...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-entered:
	case err := <-done:
		t.Fatalf("medic run ended before probing: %v\n%s%s", err, stdout.String(), stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("medic run never probed the target\n%s%s", stdout.String(), stderr.String())
	}
	return cmd, &stdout, &stderr, done
}

func waitFor(t *testing.T, what string, buf *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never printed %q:\n%s", what, want, buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exitStatus(t *testing.T, done chan error) int {
	t.Helper()
	select {
	case err := <-done:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatalf("wait: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("medic run did not exit")
	}
	return -1
}

// TestRunInterrupt sends SIGINT to a real 'medic run' process: the first
// lets the cycle finish (and says so), the second stops the execution and
// exits 3.
func TestRunInterrupt(t *testing.T) {
	t.Run("once: the cycle finishes", func(t *testing.T) {
		config, entered, release := slowTarget(t)
		stateDir := filepath.Join(t.TempDir(), "state")
		cmd, stdout, stderr, done := startRun(t, config, stateDir, entered, "--every", "1h")
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "stderr", stderr, "finishing the cycle (Ctrl-C again to stop now)")
		release()
		if code := exitStatus(t, done); code != exitOK {
			t.Fatalf("exit %d, want 0 (the cycle finished, slow is UP)\n%s%s", code, stdout.String(), stderr.String())
		}
		out := stdout.String()
		if !strings.Contains(out, "SUCCEEDED") || !strings.Contains(out, "slow") || strings.Contains(out, "next run at") {
			t.Fatalf("the cycle did not finish, or another was scheduled:\n%s", out)
		}
	})
	t.Run("twice: the execution stops", func(t *testing.T) {
		config, entered, _ := slowTarget(t)
		stateDir := filepath.Join(t.TempDir(), "state")
		cmd, stdout, stderr, done := startRun(t, config, stateDir, entered)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "stderr", stderr, "finishing the cycle (Ctrl-C again to stop now)")
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if code := exitStatus(t, done); code != exitFailure {
			t.Fatalf("exit %d, want %d\n%s%s", code, exitFailure, stdout.String(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "medic run: interrupted") {
			t.Errorf("stderr lacks the interruption:\n%s", stderr.String())
		}
		// The execution was stopped, as check does: it is recorded ABORTED.
		code, out, errOut := medic(t, "executions", "--state-dir", stateDir)
		if code != exitOK || !strings.Contains(out, "ABORTED") {
			t.Fatalf("executions after the second Ctrl-C: exit %d\n%s%s", code, out, errOut)
		}
	})
}
