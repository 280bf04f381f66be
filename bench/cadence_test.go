package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/cost"
)

// TestCadenceTable: each cell is cost.MonthlyAt of the run (with the
// confirmations for the failing columns), and a shorter cadence never
// costs less.
func TestCadenceTable(t *testing.T) {
	run := cost.Run{Targets: 1000, Transitions: 5, S3Writes: 15, SchedulerInvocations: 1, ExpressRequests: 10,
		Functions: []cost.Function{{Name: "probe", MemoryMB: 256, Invocations: 10, BilledMs: 3000}}}
	table := CadenceTable(func(n int) (cost.Run, bool, bool) {
		if n != 1000 {
			return cost.Run{}, false, false
		}
		return run, false, true
	})
	lines := strings.Split(table, "\n")
	var row []string
	for _, l := range lines {
		if strings.HasPrefix(l, "| 1,000 |") {
			row = strings.Split(strings.Trim(l, "| "), " | ")
		}
	}
	if len(row) != 1+2*len(Cadences) {
		t.Fatalf("1,000-target row = %q\n%s", row, table)
	}
	conf := StudyConfirmations()
	for i, c := range Cadences {
		up, failing := money(cost.MonthlyAt(run, c).Total()), money(cost.MonthlyAt(conf.Apply(run), c).Total())
		if row[1+2*i] != up || row[2+2*i] != failing {
			t.Errorf("every %s: cells %q %q, want %q %q", c, row[1+2*i], row[2+2*i], up, failing)
		}
	}
	if cost.MonthlyAt(run, time.Minute).Total() <= cost.MonthlyAt(run, 10*time.Minute).Total() {
		t.Error("a 1-minute cadence costs no more than a 10-minute one")
	}
	if !strings.Contains(table, "| 10 | – | – |") {
		t.Errorf("a target count without a run is not shown as –:\n%s", table)
	}
}
