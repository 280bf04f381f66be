package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// repoRoot is the module's root directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd)) // cmd/medic
}

// medicBinary builds the medic command once per test binary (with VCS
// stamping where the checkout allows it) and returns its path.
func medicBinary(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "medic-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "medic")
		if runtime.GOOS == "windows" {
			binPath += ".exe"
		}
		args := []string{"build", "-o", binPath}
		if vcsStamped(root) {
			args = append(args, "-buildvcs=true")
		}
		cmd := exec.Command("go", append(args, "./cmd/medic")...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = &buildError{string(out), err}
		}
	})
	if binErr != nil {
		t.Fatalf("build medic: %v", binErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// vcsStamped reports whether 'go build' can stamp VCS information in root:
// a git checkout whose .git is a directory (the go command does not stamp
// from a linked worktree, whose .git is a file).
func vcsStamped(root string) bool {
	fi, err := os.Stat(filepath.Join(root, ".git"))
	if err != nil || !fi.IsDir() {
		return false
	}
	_, err = exec.LookPath("git")
	return err == nil
}

// TestVersionFromBuildInfo: a built medic prints the revision it was built
// from (where the checkout lets go stamp it) and the Go version.
func TestVersionFromBuildInfo(t *testing.T) {
	bin := medicBinary(t)
	root := repoRoot(t)
	var outs []string
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("medic %v: %v\n%s", args, err, out)
		}
		outs = append(outs, string(out))
	}
	if outs[0] != outs[1] || outs[0] != outs[2] {
		t.Fatalf("version, --version and -v differ: %q", outs)
	}
	v := outs[0]
	if !strings.HasPrefix(v, "medic ") || !strings.Contains(v, runtime.Version()) {
		t.Fatalf("version %q lacks the name or %s", v, runtime.Version())
	}
	if !vcsStamped(root) {
		t.Logf("skipped the revision check: %s is not a git checkout with a .git directory (a linked worktree is not stamped); version: %s", root, v)
		return
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	if want := "revision " + strings.TrimSpace(string(head)); !strings.Contains(v, want) {
		t.Fatalf("version %q lacks %q", v, want)
	}
}
