package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPhaseTimings: run and check show DNS, connect, TLS and first-byte
// times with --wide, and --json carries them.
func TestPhaseTimings(t *testing.T) {
	f := newFixture(t)
	code, out, errOut := medic(t, append([]string{"run", "--wide"}, f.flags()...)...)
	if code != exitOK && code != exitDown {
		t.Fatalf("run --wide: exit %d\n%s%s", code, out, errOut)
	}
	var header, web string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "TARGET"):
			header = line
		case strings.HasPrefix(line, "web "):
			web = line
		}
	}
	if strings.Join(strings.Fields(header), " ") != "TARGET STATUS CHECK LATENCY DNS CONNECT TLS FIRST BYTE WHAT FAILED" {
		t.Fatalf("run --wide header %q:\n%s", header, out)
	}
	// web: name, status, ok, latency, DNS, connect, TLS (- for plain HTTP), first byte.
	if fs := strings.Fields(web); len(fs) < 8 || fs[2] != "ok" || fs[5] == "-" || fs[6] != "-" || fs[7] == "-" {
		t.Fatalf("run --wide line for web %q: no connect or first-byte time:\n%s", web, out)
	}

	for _, args := range [][]string{{"run", "--json"}, {"check", "web", "--json"}} {
		code, out, errOut = medic(t, append(args, f.flags()...)...)
		if code != exitOK && code != exitDown {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		var found bool
		for _, tr := range r.Targets {
			if tr.Name == "web" {
				found = true
				if tr.Phases == nil || tr.Phases.ConnectMS <= 0 || tr.Phases.FirstByteMS <= 0 || tr.Phases.FirstByteMS > tr.LatencyMS {
					t.Errorf("%v: web's phases %+v (latency %vms)", args, tr.Phases, tr.LatencyMS)
				}
			}
		}
		if !found {
			t.Errorf("%v: no web in %s", args, out)
		}
	}
	code, out, errOut = medic(t, append([]string{"check", "web", "--wide"}, f.flags()...)...)
	if code != exitOK || !strings.Contains(out, "FIRST BYTE") {
		t.Fatalf("check web --wide: exit %d\n%s%s", code, out, errOut)
	}
}

// TestChangesCut: CheckStaleness lists at most 50 changes; the report says
// how many more there are and where to see them.
func TestChangesCut(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(web.Close)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 62 {
		fmt.Fprintf(&b, "  - name: t%02d\n    url: %s/%d\n", i, web.URL, i)
	}
	config := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(dir, "state")
	code, out, errOut := medic(t, "run", "--config", config, "--state-dir", stateDir)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(out, "UNKNOWN → UP"); n != 50 {
		t.Errorf("%d changes listed, want 50", n)
	}
	want := "... and 12 more (62 changes in all, the first 50 listed); every target's status and last change is in s3://medic/state/status.json"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	// The next run has no changes, and says nothing about more.
	code, out, _ = medic(t, "run", "--config", config, "--state-dir", stateDir, "--json")
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != exitOK {
		t.Fatalf("second run: exit %d, %v", code, err)
	}
	if r.ChangeCount != 0 || len(r.Changes) != 0 {
		t.Errorf("second run: %d changes, changeCount %d", len(r.Changes), r.ChangeCount)
	}
	// show of the first run says the same, and its --json counts them all.
	code, out, errOut = medic(t, "executions", "--state-dir", stateDir, "--json")
	if code != exitOK {
		t.Fatalf("executions: exit %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var first struct{ Name string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &first); err != nil {
		t.Fatal(err)
	}
	code, out, _ = medic(t, "show", first.Name, "--state-dir", stateDir, "--json")
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != exitOK {
		t.Fatalf("show --json: exit %d, %v", code, err)
	}
	if r.ChangeCount != 62 || len(r.Changes) != 50 {
		t.Errorf("show --json: %d changes listed, changeCount %d; want 50 and 62", len(r.Changes), r.ChangeCount)
	}
	code, out, _ = medic(t, "show", first.Name, "--state-dir", stateDir)
	if code != exitOK || !strings.Contains(out, "... and 12 more (62 changes in all, the first 50 listed); every target's status and last change is in state/status.json in the bucket") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
}
