package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

// printReport writes the human-readable report of one run.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "%s  %s  %s\n", r.Execution, r.Status, runDuration(r))
	if r.ConsoleURL != "" {
		fmt.Fprintf(w, "  %s\n", r.ConsoleURL)
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		group, groupHead := func(targetReport) string { return "" }, ""
		if r.grouped() {
			group, groupHead = func(t targetReport) string { return orDash(t.Group) + "\t" }, "GROUP\t"
		}
		if r.wide {
			fmt.Fprintln(tw, "TARGET\t"+groupHead+"STATUS\tCHECK\tLATENCY\tDNS\tCONNECT\tTLS\tFIRST BYTE\tWHAT FAILED")
		} else {
			fmt.Fprintln(tw, "TARGET\t"+groupHead+"STATUS\tCHECK\tLATENCY\tWHAT FAILED")
		}
		for _, t := range r.Targets {
			if r.wide {
				fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\n", t.Name, group(t), orDash(t.Status), checkWord(t), latency(t), phases(t), failed(t))
				continue
			}
			fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\n", t.Name, group(t), orDash(t.Status), checkWord(t), latency(t), failed(t))
		}
		tw.Flush()
	} else if r.Status == "SUCCEEDED" && r.ResultsIn == "" {
		fmt.Fprintln(w, "\nNo targets were checked.")
	}
	switch {
	case r.replaced:
		fmt.Fprintf(w, "\n  per-target results of this run are no longer in %s*.json: each echo object keeps its targets' latest results, and a later run has replaced them\n", r.ResultsIn)
	case r.ResultsIn != "":
		fmt.Fprintf(w, "\n  per-target results of this run are in %s*.json (one JSON array per batch; this run's have \"run\": %q)\n", r.ResultsIn, r.Execution)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  skipped: %s\n", p)
	}
	if r.ProblemCount > len(r.Problems) {
		fmt.Fprintf(w, "  ... and %d more problems\n", r.ProblemCount-len(r.Problems))
	}
	if r.ProbeError != "" {
		fmt.Fprintf(w, "  batches failed: %s\n", oneLine(r.ProbeError, 300))
	}
	printAlerts(w, r)
	if r.Status != "SUCCEEDED" {
		fmt.Fprintf(w, "\nThe execution %s: %s: %s\n", strings.ToLower(r.Status), orDash(r.Error), oneLine(r.Cause, 300))
	}
}

func printAlerts(w io.Writer, r *report) {
	if len(r.Changes) == 0 && (r.Notify == nil || r.Notify.Delivered+r.Notify.Rejected+r.Notify.Dropped+r.Notify.Pending == 0) && r.NotifyError == "" {
		return
	}
	fmt.Fprintln(w)
	if len(r.Changes) > 0 {
		fmt.Fprintln(w, "Changes:")
	}
	for _, c := range r.Changes {
		kind := ""
		switch {
		case c.To == status.Up && (c.From == status.Down || c.From == status.Stale):
			kind = "RECOVERED"
		case c.To == status.Down || c.To == status.Stale:
			kind = c.To
		}
		fmt.Fprintf(w, "  %-22s %s → %s  %s\n", c.Target, c.From, c.To, kind)
	}
	if more := r.ChangeCount - len(r.Changes); more > 0 {
		where := "state/status.json in the bucket"
		if r.stateIn != "" {
			where = r.stateIn
		}
		fmt.Fprintf(w, "  ... and %d more (%d changes in all, the first %d listed); every target's status and last change is in %s\n",
			more, r.ChangeCount, len(r.Changes), where)
	}
	if n := r.Notify; n != nil && n.Delivered+n.Rejected+n.Pending+n.Dropped > 0 {
		fmt.Fprintf(w, "  alerts: %d delivered, %d rejected, %d pending, %d dropped\n", n.Delivered, n.Rejected, n.Pending, n.Dropped)
	}
	if r.NotifyError != "" {
		fmt.Fprintf(w, "  alerts held for the next run: %s\n", oneLine(r.NotifyError, 200))
	}
}

func runDuration(r *report) string {
	if r.StopDate.IsZero() || r.StartDate.IsZero() {
		return ""
	}
	return r.StopDate.Sub(r.StartDate).Round(time.Millisecond).String()
}

func checkWord(t targetReport) string {
	switch {
	case t.Skipped != "":
		return "-"
	case !t.Checked:
		return "-"
	case t.Up:
		return "ok"
	default:
		return "FAIL"
	}
}

func latency(t targetReport) string {
	if !t.Checked {
		return "-"
	}
	d := time.Duration(t.LatencyMS * float64(time.Millisecond))
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func failed(t targetReport) string {
	if t.Skipped != "" {
		return "(" + t.Skipped + ")"
	}
	if len(t.Failures) == 0 {
		return ""
	}
	return oneLine(strings.Join(t.Failures, "; "), 100)
}

// phases is the DNS, connect, TLS and first-byte columns.
func phases(t targetReport) string {
	p := t.Phases
	if !t.Checked || p == nil {
		return "-\t-\t-\t-"
	}
	d := func(v float64) string { return latency(targetReport{Checked: true, LatencyMS: v}) }
	// TLS and first byte are absent (0) for plain HTTP and for TCP.
	opt := func(v float64) string {
		if v == 0 {
			return "-"
		}
		return d(v)
	}
	return strings.Join([]string{d(p.DNSMS), d(p.ConnectMS), opt(p.TLSMS), opt(p.FirstByteMS)}, "\t")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine flattens s and cuts it to n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
