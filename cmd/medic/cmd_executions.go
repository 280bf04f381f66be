package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/spf13/pflag"

	"github.com/medic-dev/medic/internal/sfnapi"
)

var executionsCommand = &command{
	name:    "executions",
	summary: "list recent runs, newest first",
	help: `Lists recent executions, newest first: name, status, start time and
duration. Locally (the default) they are the runs recorded under
--state-dir; with --aws, the deployed state machine's executions, each with
its Step Functions console link; with --endpoint, those of any Step
Functions API.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f remoteFlags
		f.register(fs, false)
		limit := fs.Int("limit", 20, "how many executions to list (1-1000)")
		statusFilter := fs.String("status", "", "list only executions with this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
		asJSON := fs.Bool("json", false, "print JSON lines instead of the table")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("executions takes no arguments, got %q", args)
			}
			if *limit < 1 || *limit > 1000 {
				return usagef("--limit must be between 1 and 1000, got %d", *limit)
			}
			st := strings.ToUpper(*statusFilter)
			switch st {
			case "", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED":
			default:
				return usagef("--status must be RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED, got %q", *statusFilter)
			}
			c, err := f.connect(ctx, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			return listExecutions(ctx, out, c, *limit, types.ExecutionStatus(st), *asJSON)
		}
	},
}

func listExecutions(ctx context.Context, out *io2, c *conn, limit int, st types.ExecutionStatus, asJSON bool) error {
	var items []types.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(c.client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(c.smArn), StatusFilter: st, MaxResults: int32(min(limit, 100))})
	for p.HasMorePages() && len(items) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list executions of %s: %w", c.smArn, err)
		}
		items = append(items, page.Executions...)
	}
	items = items[:min(limit, len(items))]
	if asJSON {
		enc := json.NewEncoder(out.stdout)
		for _, e := range items {
			line := map[string]any{"name": aws.ToString(e.Name), "executionArn": aws.ToString(e.ExecutionArn), "status": e.Status, "startDate": e.StartDate}
			if e.StopDate != nil {
				line["stopDate"] = e.StopDate
			}
			if c.region != "" {
				line["consoleUrl"] = consoleLink(c.region, aws.ToString(e.ExecutionArn))
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		return nil
	}
	if len(items) == 0 {
		fmt.Fprintln(out.stdout, "No executions yet. Start one with 'medic run' (or 'medic check NAME').")
		return nil
	}
	tw := tabwriter.NewWriter(out.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tSTARTED\tDURATION")
	for _, e := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", aws.ToString(e.Name), e.Status, timeString(e.StartDate), durationString(e.StartDate, e.StopDate))
		if c.region != "" {
			fmt.Fprintf(tw, "  %s\t\t\t\n", consoleLink(c.region, aws.ToString(e.ExecutionArn)))
		}
	}
	return tw.Flush()
}

func timeString(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func durationString(start, stop *time.Time) string {
	if start == nil || stop == nil {
		return "-"
	}
	return stop.Sub(*start).Round(time.Millisecond).String()
}

var showCommand = &command{
	name:    "show",
	args:    "EXECUTION",
	summary: "show one run: its states in order, inputs, outputs, failures, retries and durations",
	help: `Shows one execution: its status and input, then every state in the order
it ran (Map iterations indented under their Map state) with its duration,
retries, failures and output; then the table of targets.

EXECUTION is an execution name (as 'medic executions' lists it) or ARN.
Locally (the default) it is read from --state-dir; with --aws, from Step
Functions (with the console link); with --endpoint, from any Step Functions
API.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f remoteFlags
		f.register(fs, false)
		asJSON := fs.Bool("json", false, "print the report and the raw history events as JSON")
		full := fs.Bool("full", false, "print state inputs and outputs in full instead of cut to one line")
		wide := fs.Bool("wide", false, "add the latency's phases to the table: DNS, connect, TLS, first byte")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) != 1 {
				return usagef("name one execution, like 'medic show run-20260301-120000-a1b2c3' (see 'medic executions')")
			}
			c, err := f.connect(ctx, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			return show(ctx, out, c, args[0], *asJSON, *full, *wide)
		}
	},
}

func show(ctx context.Context, out *io2, c *conn, ref string, asJSON, full, wide bool) error {
	arn := ref
	if !strings.HasPrefix(ref, "arn:") {
		arn = sfnapi.ExecutionArn(c.smArn, ref)
	}
	if a, err := sfnapi.ParseArn(arn); err != nil || a.Resource != "execution" {
		return usagef("%q is not an execution name or ARN (a name is 1-80 characters, without whitespace or any of <>{}[]?*\"#%%\\^|~`$&,;:/): list them with 'medic executions'", ref)
	}
	desc, err := c.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		var nf *types.ExecutionDoesNotExist
		if errors.As(err, &nf) {
			return &exitError{code: exitUsage, err: fmt.Errorf("no execution %q: list them with 'medic executions'", ref)}
		}
		return fmt.Errorf("describe %s: %w", ref, err)
	}
	events, err := history(ctx, c.client, arn)
	if err != nil {
		return err
	}
	x := &execution{desc: desc, events: events}
	r := buildReport(x)
	r.wide = wide
	if c.region != "" {
		r.ConsoleURL = consoleLink(c.region, arn)
	}
	if err := addRunResults(ctx, c, r, out.stderr); err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(out.stdout).Encode(struct {
			*report
			Input  json.RawMessage      `json:"input"`
			Output json.RawMessage      `json:"output,omitempty"`
			Events []types.HistoryEvent `json:"events"`
		}{r, rawJSON(aws.ToString(desc.Input)), rawJSON(aws.ToString(desc.Output)), events})
	}
	printExecution(out.stdout, r, x, full)
	return nil
}

func rawJSON(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return nil
	}
	return json.RawMessage(s)
}

// printExecution prints the header, the states in order, and the report.
func printExecution(w io.Writer, r *report, x *execution, full bool) {
	fmt.Fprintf(w, "%s  %s\n", r.Execution, r.Status)
	if r.ConsoleURL != "" {
		fmt.Fprintf(w, "  %s\n", r.ConsoleURL)
	}
	fmt.Fprintf(w, "  started   %s\n", timeString(x.desc.StartDate))
	if x.desc.StopDate != nil {
		fmt.Fprintf(w, "  duration  %s\n", durationString(x.desc.StartDate, x.desc.StopDate))
	}
	fmt.Fprintf(w, "  input     %s\n", cut(aws.ToString(x.desc.Input), full))
	if r.Error != "" {
		fmt.Fprintf(w, "  error     %s: %s\n", r.Error, cut(r.Cause, full))
	}
	fmt.Fprintln(w, "\nStates:")
	lastOutput := ""
	for _, s := range statesOf(x.events) {
		line := fmt.Sprintf("  %s%-*s %8s", strings.Repeat("  ", s.depth), 22-2*s.depth, s.name, s.duration())
		if s.retries > 0 {
			line += fmt.Sprintf("  %s", plural(s.retries, "retry"))
		}
		fmt.Fprintln(w, line)
		for _, f := range s.failures {
			fmt.Fprintf(w, "  %s    ! %s\n", strings.Repeat("  ", s.depth), cut(f, full))
		}
		if s.output != "" && s.output != lastOutput {
			fmt.Fprintf(w, "  %s    → %s\n", strings.Repeat("  ", s.depth), cut(s.output, full))
		}
		lastOutput = s.output
	}
	fmt.Fprintln(w)
	printReport(w, r)
}

func cut(s string, full bool) string {
	if full {
		return s
	}
	return oneLine(s, 160)
}

// stateRun is one state's entry and exit in a history.
type stateRun struct {
	name           string
	depth          int
	entered, ended *time.Time
	retries        int
	failures       []string
	output         string
}

func (s *stateRun) duration() string {
	if s.entered == nil || s.ended == nil {
		return "running"
	}
	return s.ended.Sub(*s.entered).Round(time.Millisecond).String()
}

// statesOf pairs each state's entered and exited events, in order of
// entry. A state inside a Map iteration is one level deeper; a failed task
// attempt that was retried counts as a retry.
func statesOf(events []types.HistoryEvent) []*stateRun {
	var out []*stateRun
	byID := map[int64]*stateRun{} // the state that an event belongs to, by event id
	depth := 0
	for _, ev := range events {
		prev := byID[ev.PreviousEventId]
		switch {
		case ev.Type == types.HistoryEventTypeMapIterationStarted:
			depth = 1
		case ev.StateEnteredEventDetails != nil:
			s := &stateRun{name: aws.ToString(ev.StateEnteredEventDetails.Name), entered: ev.Timestamp, depth: depth}
			if ev.Type == types.HistoryEventTypeMapStateEntered {
				s.depth = 0
			}
			out = append(out, s)
			byID[ev.Id] = s
			continue
		case ev.StateExitedEventDetails != nil:
			name := aws.ToString(ev.StateExitedEventDetails.Name)
			if prev == nil || prev.name != name {
				prev = lastOpen(out, name)
			}
			if prev != nil {
				prev.ended, prev.output = ev.Timestamp, aws.ToString(ev.StateExitedEventDetails.Output)
				if ev.Type == types.HistoryEventTypeMapStateExited {
					depth = 0
				}
			}
			continue
		case ev.LambdaFunctionFailedEventDetails != nil && prev != nil:
			d := ev.LambdaFunctionFailedEventDetails
			prev.failures = append(prev.failures, aws.ToString(d.Error)+": "+aws.ToString(d.Cause))
		case ev.TaskFailedEventDetails != nil && prev != nil:
			d := ev.TaskFailedEventDetails
			prev.failures = append(prev.failures, aws.ToString(d.Error)+": "+aws.ToString(d.Cause))
		case (ev.Type == types.HistoryEventTypeLambdaFunctionScheduled || ev.Type == types.HistoryEventTypeTaskScheduled) && prev != nil && len(prev.failures) > prev.retries:
			prev.retries++
		}
		if prev != nil {
			byID[ev.Id] = prev
		}
	}
	return out
}

func lastOpen(states []*stateRun, name string) *stateRun {
	for i := len(states) - 1; i >= 0; i-- {
		if states[i].name == name && states[i].ended == nil {
			return states[i]
		}
	}
	return nil
}
