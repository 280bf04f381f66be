package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/target"
)

var checkCommand = &command{
	name:    "check",
	args:    "NAME...",
	summary: "check the named targets now, printing each state's result as it happens",
	help: `Starts a targeted execution, {"targets": ["NAME", ...]}, and prints each
state's result as it happens, then the table of the checked targets.

Locally (the default) the targets file (--config) is uploaded first and
the execution runs in-process, through the same Step Functions API client
as --aws. With --aws it starts an execution of the deployed state machine
and prints its Step Functions console link; with --endpoint it uses any
Step Functions API (such as 'medic serve').

The targets' results are not in the execution's history (each batch is a
child execution); they are read from the run's echo objects in the
bucket (with --aws through the usual AWS credentials, with --endpoint
from --s3-endpoint).

Exit codes: 0 every named target passed its check, 1 some failed or is
DOWN/STALE, or a result could not be read from the bucket,
2 usage or configuration error, 3 the execution failed.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f remoteFlags
		f.register(fs, true)
		asJSON := fs.Bool("json", false, "print a JSON report instead of the table")
		wide := fs.Bool("wide", false, "add the latency's phases to the table: DNS, connect, TLS, first byte")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one target to check, like 'medic check api'")
			}
			return check(ctx, out, &f, args, runOptions{json: *asJSON, wide: *wide})
		}
	},
	complete: completeTargetNames,
}

// completeTargetNames completes target names from the --config file.
func completeTargetNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	path, err := cmd.Flags().GetString("config")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	f, err := target.ParseFile(path, data, target.Options{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, t := range f.Targets {
		if !slices.Contains(args, t.Name) {
			names = append(names, t.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func check(ctx context.Context, out *io2, f *remoteFlags, names []string, o runOptions) error {
	asJSON := o.json
	var prepare func(*local.Env) error
	if !f.aws && f.endpoint == "" {
		data, err := loadTargetsFile(f.local.config, out.stderr)
		if err != nil {
			return err
		}
		prepare = func(env *local.Env) error { return env.PutTargets(ctx, data) }
	}
	c, err := f.connect(ctx, prepare)
	if err != nil {
		return err
	}
	defer c.Close()
	input, _ := json.Marshal(map[string][]string{"targets": names})
	name := execName("check", time.Now())
	if !asJSON {
		fmt.Fprintf(out.stdout, "%s\n", name)
		if c.region != "" {
			fmt.Fprintf(out.stdout, "  %s\n", consoleLink(c.region, sfnapi.ExecutionArn(c.smArn, name)))
		}
	}
	sp := &statePrinter{w: out.stdout, names: map[int64]string{}}
	onEvent := func(ev types.HistoryEvent) {
		if !asJSON {
			sp.event(ev)
		}
	}
	x, err := startAndFollow(ctx, c, name, string(input), onEvent)
	if err != nil {
		return err
	}
	r := buildReport(x)
	r.wide = o.wide
	if c.region != "" {
		r.ConsoleURL = consoleLink(c.region, r.ExecutionArn)
	}
	if err := addDetails(ctx, c, r, out.stderr); err != nil {
		return err
	}
	if asJSON {
		if err := json.NewEncoder(out.stdout).Encode(r); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	} else {
		fmt.Fprintln(out.stdout)
		r.ConsoleURL = "" // printed above
		printReport(out.stdout, r)
	}
	if missing := missingTargets(r, names); len(missing) > 0 && r.Status == "SUCCEEDED" {
		return &exitError{code: exitUsage, err: fmt.Errorf("no target named %s: check the names with 'medic validate' (targets come from the targets file and pulse/)", strings.Join(missing, ", "))}
	}
	code := r.exitCode()
	if code == exitOK && r.anyFailing() {
		code = exitDown
	}
	if code == exitOK && r.ResultsIn != "" {
		// A scale-mode run whose results could not all be read: not a pass.
		fmt.Fprintf(out.stderr, "medic: not every checked target's result could be read, so the check is not confirmed; they are in %s*.json\n", r.ResultsIn)
		code = exitDown
	}
	return exitWith(code)
}

// missingTargets lists the requested names the run did not check. When
// the report has no targets because a scale-mode run's results are
// elsewhere (ResultsIn), a name is missing when LoadTargets reported a
// problem with it.
func missingTargets(r *report, names []string) []string {
	elsewhere := len(r.Targets) == 0 && r.ResultsIn != ""
	var missing []string
	for _, n := range names {
		var found bool
		if elsewhere {
			found = !slices.ContainsFunc(r.Problems, func(p target.Problem) bool { return p.Target == n })
		} else {
			found = slices.ContainsFunc(r.Targets, func(t targetReport) bool { return t.Name == n })
		}
		if !found {
			missing = append(missing, n)
		}
	}
	return missing
}

// statePrinter prints one line when a state ends or a task attempt fails.
type statePrinter struct {
	w io.Writer
	// names maps an event id to the state it belongs to.
	names map[int64]string
}

func (p *statePrinter) event(ev types.HistoryEvent) {
	w := p.w
	if ev.StateEnteredEventDetails != nil {
		p.names[ev.Id] = aws.ToString(ev.StateEnteredEventDetails.Name)
	} else {
		p.names[ev.Id] = p.names[ev.PreviousEventId]
	}
	state := p.names[ev.Id]
	at := ""
	if ev.Timestamp != nil {
		at = ev.Timestamp.Local().Format("15:04:05.000")
	}
	switch {
	case ev.StateExitedEventDetails != nil:
		d := ev.StateExitedEventDetails
		fmt.Fprintf(w, "  %s  %-15s %s\n", at, aws.ToString(d.Name), summarizeState(aws.ToString(d.Name), aws.ToString(d.Output)))
	case ev.LambdaFunctionFailedEventDetails != nil:
		d := ev.LambdaFunctionFailedEventDetails
		fmt.Fprintf(w, "  %s  %-15s attempt failed: %s: %s\n", at, state, aws.ToString(d.Error), oneLine(aws.ToString(d.Cause), 120))
	case ev.TaskFailedEventDetails != nil:
		d := ev.TaskFailedEventDetails
		fmt.Fprintf(w, "  %s  %-15s attempt failed: %s: %s\n", at, state, aws.ToString(d.Error), oneLine(aws.ToString(d.Cause), 120))
	case ev.ExecutionFailedEventDetails != nil:
		d := ev.ExecutionFailedEventDetails
		fmt.Fprintf(w, "  %s  execution failed: %s: %s\n", at, aws.ToString(d.Error), oneLine(aws.ToString(d.Cause), 200))
	}
}

// summarizeState says in a few words what a state's output holds.
func summarizeState(name, output string) string {
	switch name {
	case "LoadTargets":
		var lo loadOutput
		if json.Unmarshal([]byte(output), &lo) == nil {
			s := fmt.Sprintf("%s trigger: %s in %s", lo.Trigger, plural(lo.Summary.Targets, "target"), plural(lo.Summary.Batches, "batch"))
			if lo.Summary.ProblemCount > 0 {
				s += fmt.Sprintf(", %s skipped", plural(lo.Summary.ProblemCount, "problem"))
			}
			return s
		}
	case "ProbeTargets":
		var pt struct {
			Probed struct {
				Batches int      `json:"batches"`
				Echoes  []string `json:"echoes"`
			} `json:"probed"`
			ProbeError *struct {
				Error string `json:"Error"`
			} `json:"probeError"`
		}
		if json.Unmarshal([]byte(output), &pt) == nil {
			if pt.ProbeError != nil {
				return "failed: " + pt.ProbeError.Error + "; CheckStaleness runs anyway"
			}
			s := fmt.Sprintf("%s done", plural(pt.Probed.Batches, "batch"))
			switch n := len(pt.Probed.Echoes); {
			case n == 1:
				s += ": " + pt.Probed.Echoes[0]
			case n > 1:
				s += fmt.Sprintf(": %s … %s", pt.Probed.Echoes[0], pt.Probed.Echoes[n-1])
			}
			return s
		}
	case "CheckStaleness":
		var so staleOutput
		if json.Unmarshal([]byte(output), &so) == nil {
			return fmt.Sprintf("UP %d, DOWN %d, STALE %d, UNKNOWN %d; %s, %s pending",
				so.Statuses["UP"], so.Statuses["DOWN"], so.Statuses["STALE"], so.Statuses["UNKNOWN"], plural(so.changeCount(), "change"), plural(so.Pending, "alert"))
		}
	case "Notify":
		var d doneOutput
		if json.Unmarshal([]byte(output), &d) == nil && d.Notify != nil {
			return fmt.Sprintf("%d delivered, %d rejected, %d pending, %d dropped", d.Notify.Delivered, d.Notify.Rejected, d.Notify.Pending, d.Notify.Dropped)
		}
	case "AlertsHeldForNextRun":
		return "caught an error; see 'medic show'"
	}
	return oneLine(output, 100)
}
