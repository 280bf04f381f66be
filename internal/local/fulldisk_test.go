package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
)

// openAt opens an Env on dir with a manual clock and the web target.
func openAt(t *testing.T, dir string, web *httptest.Server) *local.Env {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env, err := local.Open(local.Options{StateDir: dir, Clock: clk, EngineClock: local.InstantClock(clk)})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.PutTargets(context.Background(), targetsFor(web.URL)); err != nil {
		t.Fatal(err)
	}
	return env
}

func webServer(t *testing.T) *httptest.Server {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(web.Close)
	return web
}

// noTempFiles fails the test if a partial file is left in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("partial file left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

// onDisk reads an execution's record file as it is.
func onDisk(t *testing.T, dir, name string) local.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "executions", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec local.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("the record on disk is not whole: %v\n%s", err, b)
	}
	return rec
}

// enospc writes the first half of b, then fails as a full disk does.
func enospc(f *os.File, b []byte) (int, error) {
	n, _ := f.Write(b[:len(b)/2])
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// TestFullDiskWhileRecording: a run that did its work but whose record
// cannot be written (an injected "no space left on device") is reported as
// it ended, with the cause and the path; no partial file is left; the
// record on disk stays whole (the outcome without the history when that
// still fits, else the RUNNING record). Before, the write error went to a
// discarded log, a .tmp file stayed, and the run was listed ABORTED: "the
// process running it stopped".
func TestFullDiskWhileRecording(t *testing.T) {
	cases := []struct {
		name string
		// fail says whether the n-th record write (from 1) fails, given its size.
		fail      func(n int, size int) bool
		wantSaved string
		// onDisk is the status of the record a new Env reads.
		onDisk string
	}{
		{name: "the history does not fit", fail: func(n, size int) bool { return size > 8<<10 },
			wantSaved: "only its outcome was saved, without the history", onDisk: sfnapi.StatusSucceeded},
		{name: "nothing more fits", fail: func(n, _ int) bool { return n > 1 },
			wantSaved: "its outcome could not be saved either", onDisk: sfnapi.StatusAborted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := openAt(t, dir, webServer(t))
			var writes atomic.Int32
			local.SetWriteFile(env, func(f *os.File, b []byte) (int, error) {
				if tc.fail(int(writes.Add(1)), len(b)) {
					return enospc(f, b)
				}
				return f.Write(b)
			})
			rec, err := env.Run(context.Background(), "full", `{"trigger":"schedule"}`)
			var rerr *local.RecordError
			if !errors.As(err, &rerr) || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Run error = %v, want a *RecordError for ENOSPC", err)
			}
			for _, want := range []string{"execution full SUCCEEDED, but its record could not be saved", "no space left on device",
				filepath.Join(dir, "executions", "full.json."), tc.wantSaved} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if rec.Status != sfnapi.StatusSucceeded || len(rec.Events) == 0 {
				t.Errorf("record %s with %d events, want the run as it ended", rec.Status, len(rec.Events))
			}
			x, err := env.Describe(context.Background(), rec.Arn)
			if err != nil || x.Status != sfnapi.StatusSucceeded {
				t.Errorf("Describe in the same process = %s (%s: %s), %v; want SUCCEEDED", x.Status, x.Error, x.Cause, err)
			}
			noTempFiles(t, filepath.Join(dir, "executions"))
			if err := env.Close(); err != nil {
				t.Fatal(err)
			}
			onDisk(t, dir, "full") // whole JSON
			again, err := local.Open(local.Options{StateDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			recs, err := again.Records()
			if err != nil || len(recs) != 1 || recs[0].Status != tc.onDisk {
				t.Fatalf("a later listing: %+v, %v; want one %s", recs, err, tc.onDisk)
			}
			if tc.onDisk == sfnapi.StatusSucceeded && !strings.Contains(recs[0].HistoryLost, "no space left on device") {
				t.Errorf("historyLost = %q, want the cause", recs[0].HistoryLost)
			}
		})
	}
	t.Run("at the start", func(t *testing.T) {
		dir := t.TempDir()
		env := openAt(t, dir, webServer(t))
		defer env.Close()
		local.SetWriteFile(env, enospc)
		_, err := env.Run(context.Background(), "full", `{"trigger":"schedule"}`)
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), filepath.Join(dir, "executions", "full.json.")) {
			t.Fatalf("Run error = %v, want ENOSPC naming the record's file", err)
		}
		noTempFiles(t, filepath.Join(dir, "executions"))
		if recs, err := env.Records(); err != nil || len(recs) != 0 {
			t.Errorf("records %+v, %v; want none for an execution that never started", recs, err)
		}
	})
}

// TestFullDiskOnTmpfs: the same on a real full disk, a small tmpfs as the
// state directory (root only: it mounts one).
func TestFullDiskOnTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs; run as root (go test ./internal/local -run TestFullDiskOnTmpfs) to include it")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); run as root where mount is allowed", err, out)
	}
	t.Cleanup(func() {
		if err := exec.Command("umount", mnt).Run(); err != nil {
			_ = exec.Command("umount", "-l", mnt).Run()
		}
	})
	dir := filepath.Join(mnt, "state")
	web := webServer(t)
	env := openAt(t, dir, web)
	t.Cleanup(func() { _ = env.Close() }) // before the unmount
	ctx := context.Background()
	for _, name := range []string{"warm-1", "warm-2"} { // the store reaches its steady size
		if _, err := env.Run(ctx, name, `{"trigger":"schedule"}`); err != nil {
			t.Fatal(err)
		}
	}
	size := len(mustRead(t, filepath.Join(dir, "executions", "warm-2.json")))
	// Fill the disk, then free room for the RUNNING and the outcome-only
	// records but not for the whole record.
	fill(t, mnt)
	if size < 12<<10 {
		t.Fatalf("a record is %d bytes, too small for this test's room of 8 KiB", size)
	}
	free(t, mnt, 2)
	rec, err := env.Run(ctx, "full", `{"trigger":"schedule"}`)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Run error = %v, want the record's ENOSPC", err)
	}
	if rec.Status != sfnapi.StatusSucceeded {
		t.Errorf("the run is %s (%s: %s), want SUCCEEDED: it did its work", rec.Status, rec.Error, rec.Cause)
	}
	if x, err := env.Describe(ctx, rec.Arn); err != nil || x.Status != sfnapi.StatusSucceeded {
		t.Errorf("Describe = %s (%s), %v; want SUCCEEDED", x.Status, x.Cause, err)
	}
	noTempFiles(t, filepath.Join(dir, "executions"))
	onDisk(t, dir, "full")
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fill writes 4 KiB files under dir/fill until the disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	d := filepath.Join(dir, "fill")
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	page := make([]byte, 4096)
	for i := 0; ; i++ {
		err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%06d", i)), page, 0o600)
		if errors.Is(err, syscall.ENOSPC) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// free removes n of fill's files.
func free(t *testing.T, dir string, n int) {
	t.Helper()
	d := filepath.Join(dir, "fill")
	entries, err := os.ReadDir(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[:n] {
		if err := os.Remove(filepath.Join(d, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}
