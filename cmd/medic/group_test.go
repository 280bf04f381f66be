package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/status"
)

// The run's table has a GROUP column only when a target has a group; a
// target without one shows "-", and the state fills in the group of a
// target the run did not list.
func TestReportGroupColumn(t *testing.T) {
	tests := []struct {
		name    string
		targets []targetReport
		states  map[string]status.TargetState
		want    []string
	}{
		{"no groups", []targetReport{{Name: "web", Checked: true, Up: true}}, map[string]status.TargetState{"web": {Status: status.Up}},
			[]string{"TARGET  STATUS  CHECK  LATENCY  WHAT FAILED", "web     UP      ok"}},
		{"groups", []targetReport{{Name: "web", Group: "shop", Checked: true, Up: true}, {Name: "db", Checked: true}},
			map[string]status.TargetState{"web": {Status: status.Up}, "db": {Status: status.Down}, "beat": {Status: status.Up, Group: "jobs"}},
			[]string{"TARGET  GROUP  STATUS  CHECK  LATENCY  WHAT FAILED", "web     shop   UP      ok", "db      -      DOWN    FAIL", "beat    jobs   UP      -"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report{Execution: "x", Status: "SUCCEEDED", Trigger: "schedule", Targets: tt.targets}
			r.applyStatuses(tt.states)
			var b bytes.Buffer
			printReport(&b, r)
			var lines []string
			for _, l := range strings.Split(b.String(), "\n") {
				lines = append(lines, strings.TrimRight(l, " "))
			}
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					if strings.HasPrefix(l, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no line starting %q in\n%s", w, b.String())
				}
			}
		})
	}
}
