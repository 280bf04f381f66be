package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/cost"
	"github.com/medic-dev/medic/internal/target"
)

// Cadences are the cadences the cost study prices: the stack's
// scheduleMinutes of 1, 5 and 10 (the default).
var Cadences = []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute}

// CadenceTargets are the target counts of the cadence table.
var CadenceTargets = []int{10, 1000, 10000}

// FailingShare is the cost study's assumption for in-run confirmation: in
// every run 1% of the targets fail their first check (an outage, or
// endpoints that stay down: a DOWN target is re-checked in every run).
const FailingShare = 0.01

// StudyConfirmations is the confirmation the cost study prices: the
// targets' default confirm block (target.DefaultConfirmAttempts re-checks,
// target.DefaultConfirmInterval apart) or, while confirmation is opt-in
// (no default attempts), 2 re-checks at the default interval, so that the
// table shows what turning it on costs. Each re-check is priced at the
// default target timeout, the upper bound of a failing check.
func StudyConfirmations() cost.Confirmations {
	attempts := target.DefaultConfirmAttempts
	if attempts == 0 {
		attempts = 2
	}
	return cost.Confirmations{FailingShare: FailingShare, Attempts: attempts,
		Interval: target.DefaultConfirmInterval, ProbeTime: target.DefaultTimeout}
}

// CadenceTable renders the all-in monthly cost of each target count's run
// at each cadence, without failures (every check passes, as in the measured
// runs) and with StudyConfirmations' failing share confirmed. run returns
// the measured (or extrapolated, marked) run at a target count.
func CadenceTable(run func(targets int) (r cost.Run, extrapolated, ok bool)) string {
	conf := StudyConfirmations()
	var w strings.Builder
	w.WriteString("| targets |")
	for _, c := range Cadences {
		fmt.Fprintf(&w, " every %s, all up | every %s, %.0f%% failing |", shortMinutes(c), shortMinutes(c), conf.FailingShare*100)
	}
	w.WriteString("\n|---:|" + strings.Repeat("---:|---:|", len(Cadences)) + "\n")
	for _, n := range CadenceTargets {
		r, extrapolated, ok := run(n)
		mark := ""
		if extrapolated {
			mark = "*"
		}
		fmt.Fprintf(&w, "| %s%s |", groupDigits(n), mark)
		for _, c := range Cadences {
			if !ok {
				w.WriteString(" – | – |")
				continue
			}
			fmt.Fprintf(&w, " %s | %s |", money(cost.MonthlyAt(r, c).Total()), money(cost.MonthlyAt(conf.Apply(r), c).Total()))
		}
		w.WriteString("\n")
	}
	fmt.Fprintf(&w, "\nRuns a month: %s at 1 minute, %s at 5, %s at 10 (30 days). \"All up\" prices the measured run; \"%.0f%% failing\" adds "+
		"in-run confirmation (`confirm: {attempts: %d, interval: %s}`) for %.0f%% of the targets failing their first check in every run, "+
		"each re-check at the %s default timeout (the upper bound of a failing check): a batch with a failing target keeps its Probe "+
		"invocation (256 MB) and Express child %s longer, whatever the number of its targets that fail (`cost.Confirmations`).\n",
		groupDigits(cost.MonthlyAt(cost.Run{}, time.Minute).Runs), groupDigits(cost.MonthlyAt(cost.Run{}, 5*time.Minute).Runs),
		groupDigits(cost.MonthlyAt(cost.Run{}, 10*time.Minute).Runs), conf.FailingShare*100, conf.Attempts, conf.Interval,
		conf.FailingShare*100, conf.ProbeTime, conf.Extra())
	return w.String()
}

func shortMinutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return d.String()
}
