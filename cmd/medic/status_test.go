package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/site"
)

// TestStatusAndHistory: 'medic status' and 'medic history' read what the
// runs recorded, as a table and as JSON, with run's exit codes; before any
// run, and for an unknown target, they say what to do.
func TestStatusAndHistory(t *testing.T) {
	f := newFixture(t)
	state := []string{"--state-dir", f.stateDir}
	if code, _, errOut := medic(t, append([]string{"status"}, state...)...); code != exitUsage || !strings.Contains(errOut, "no status recorded yet") {
		t.Fatalf("status before any run: exit %d, %q", code, errOut)
	}
	for range 2 {
		// db fails both runs (DOWN at the first: its failure is confirmed
		// by the re-checks within the run).
		if code, out, errOut := medic(t, append([]string{"run"}, f.flags()...)...); code != exitDown {
			t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
		}
	}
	code, out, _ := medic(t, append([]string{"status"}, state...)...)
	if code != exitDown || !strings.Contains(out, "1 of 2 targets down") ||
		!regexpMatch(`(?m)^web\s+UP\s+100\.00%\s+100\.00%\s+100\.00%\s+100\.00%`, out) ||
		!regexpMatch(`(?m)^db\s+DOWN\s+0\.00%.*since .*connection refused`, out) {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	code, out, _ = medic(t, append([]string{"status", "--json"}, state...)...)
	var p site.Page
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != exitDown || len(p.Targets) != 2 || p.Counts["DOWN"] != 1 {
		t.Fatalf("status --json: exit %d, %v\n%s", code, err, out)
	}
	code, out, _ = medic(t, append([]string{"history", "db", "--json"}, state...)...)
	var h struct {
		Incidents []struct{ Status, Reason string }
		Days      []struct {
			Checks, Failures int
			Uptime           *float64
		}
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil || code != exitOK {
		t.Fatalf("history --json: exit %d, %v\n%s", code, err, out)
	}
	today := h.Days[len(h.Days)-1]
	if len(h.Days) != 90 || today.Checks != 2 || today.Failures != 2 || h.Days[0].Uptime != nil ||
		len(h.Incidents) != 1 || h.Incidents[0].Status != "DOWN" || h.Incidents[0].Reason != "connection refused" {
		t.Fatalf("history db --json: %+v", h)
	}
	if code, out, _ = medic(t, append([]string{"history", "web", "--days", "3"}, state...)...); code != exitOK ||
		!strings.Contains(out, "Incidents (last 90 days)\n  none") || !regexpMatch(`\s2\s+0\s+100\.00%`, out) {
		t.Fatalf("history web: exit %d\n%s", code, out)
	}
	if code, _, errOut := medic(t, append([]string{"history", "nosuch"}, state...)...); code != exitUsage || !strings.Contains(errOut, "no history of a target named nosuch") {
		t.Fatalf("history nosuch: exit %d, %q", code, errOut)
	}
	if code, _, errOut := medic(t, "status", "--endpoint", "http://127.0.0.1:1"); code != exitUsage || !strings.Contains(errOut, "--s3-endpoint") {
		t.Fatalf("status --endpoint without --s3-endpoint: exit %d, %q", code, errOut)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
