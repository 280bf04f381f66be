package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/medic-dev/medic/internal/cadence"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

var runCommand = &command{
	name:    "run",
	summary: "run one health-check cycle locally (or one every --every) and print each target's status",
	help: `Runs the health-check state machine locally: the real definition, through
the embedded engine, with the real task handlers and an embedded S3 store
kept under --state-dir (so staleness and alerts work across runs). The
targets file is uploaded to config/targets.yaml in the bucket first.

Prints a table with each target's status (UP, DOWN, STALE, UNKNOWN), this
run's check (ok or FAIL), its latency and what failed, then the status
changes and the alerts sent. With --json, prints the same as one JSON object
(one per line with --every). Secrets named in the targets file (urlSecret,
tokenSecret, headerSecrets) are read from the environment variables
MEDIC_SECRET_<name> (no other variable is read) and never printed.

With --every, runs start on a fixed cadence from the first start (as an
EventBridge rate schedule does): run N starts at first + N*every, however
long the runs before took. A run longer than the cadence is reported and
the next starts at the next slot after it.

Ctrl-C (or SIGTERM) during a cycle lets it finish ("finishing the cycle
(Ctrl-C again to stop now)") and starts no other; a second Ctrl-C stops
the execution (exit 3). Between cycles, Ctrl-C stops at once.

Exit codes: 0 every target UP (or not yet known), 1 some target DOWN or
STALE, 2 usage or configuration error, 3 the run failed.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f localFlags
		f.register(fs, true)
		asJSON := fs.Bool("json", false, "print a JSON report instead of the table")
		every := fs.Duration("every", 0, "run a cycle at this cadence (like "+shortDuration(cadence.Default)+", the stack's default scheduleMinutes) until interrupted")
		count := fs.Int("count", 0, "with --every, stop after this many cycles (0: until interrupted)")
		wide := fs.Bool("wide", false, "add the latency's phases to the table: DNS, connect, TLS, first byte")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("run takes no arguments, got %q", args)
			}
			if *every < 0 || (*every > 0 && *every < time.Second) {
				return usagef("--every must be at least 1s, got %s", *every)
			}
			if *count < 0 {
				return usagef("--count must not be negative")
			}
			return runCycles(ctx, out, &f, runOptions{json: *asJSON, wide: *wide, every: *every, count: *count})
		}
	},
}

type runOptions struct {
	json  bool
	wide  bool
	every time.Duration
	count int
}

func runCycles(ctx context.Context, out *io2, f *localFlags, o runOptions) error {
	if err := f.validate(); err != nil {
		return err
	}
	data, err := loadTargetsFile(f.config, out.stderr)
	if err != nil {
		return err
	}
	rf := remoteFlags{local: *f}
	c, err := rf.connect(ctx, func(env *local.Env) error { return env.PutTargets(ctx, data) })
	if err != nil {
		return err
	}
	defer c.Close()
	return everyLoop(ctx, out, o, systemSchedule, func(ctx context.Context) (int, error) {
		r, err := runCycle(ctx, c, out, o, "run")
		if err != nil {
			return exitFailure, err
		}
		return r.exitCode(), nil
	})
}

// schedule is the clock of --every.
type schedule struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

var systemSchedule = schedule{now: time.Now, sleep: sleepContext}

// sleepContext waits d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// everyLoop runs cycle once, or with --every on a fixed cadence from the
// first start, as an EventBridge rate schedule does: run n starts at
// first + n*every, whatever the runs before took. A run that ends after
// the next start is reported, and the loop starts at the next slot after
// it instead of running late ones.
//
// A cycle runs under stopNow(ctx): a first interrupt (ctx done) lets it
// finish and starts no other; a second stops it. Between cycles an
// interrupt ends the loop at once. The exit code is the last cycle's.
func everyLoop(ctx context.Context, out *io2, o runOptions, sched schedule, cycle func(context.Context) (int, error)) error {
	first := sched.now()
	slot := 0 // the cadence slot the current run belongs to
	for n := 1; ; n++ {
		started := sched.now()
		notice := context.AfterFunc(ctx, func() {
			fmt.Fprintln(out.stderr, "\nmedic run: finishing the cycle (Ctrl-C again to stop now)")
		})
		code, err := cycle(stopNow(ctx))
		notice()
		if err != nil {
			return err
		}
		if o.every == 0 || (o.count > 0 && n >= o.count) || ctx.Err() != nil {
			return exitWith(code)
		}
		end := sched.now()
		next, at := nextSlot(first, o.every, slot, end)
		if skipped := next - slot - 1; skipped > 0 {
			fmt.Fprintf(out.stderr, "medic run: the run took %s, longer than --every %s: %s skipped\n",
				end.Sub(started).Round(time.Millisecond), o.every, plural(skipped, "start"))
		}
		slot = next
		if !o.json {
			fmt.Fprintf(out.stdout, "\nnext run at %s (in %s; Ctrl-C to stop)\n\n", at.Local().Format("15:04:05"), at.Sub(end).Round(time.Second))
		}
		if err := sched.sleep(ctx, at.Sub(end)); err != nil {
			return exitWith(code)
		}
	}
}

// nextSlot returns the first slot after slot on the cadence first +
// k*every that starts no earlier than end, and its start time.
func nextSlot(first time.Time, every time.Duration, slot int, end time.Time) (int, time.Time) {
	next := slot + 1
	if d := end.Sub(first); d > time.Duration(next)*every {
		next = int((d + every - 1) / every)
	}
	return next, first.Add(time.Duration(next) * every)
}

func exitWith(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

func (r *report) exitCode() int {
	switch {
	case r.Status != "SUCCEEDED":
		return exitFailure
	case r.anyDown():
		return exitDown
	}
	return exitOK
}

// runCycle runs one execution through the API, with progress on a
// terminal, and prints its report.
func runCycle(ctx context.Context, c *conn, out *io2, o runOptions, prefix string) (*report, error) {
	return runExecution(ctx, c, out, o, execName(prefix, time.Now()), `{"trigger":"schedule"}`)
}

func runExecution(ctx context.Context, c *conn, out *io2, o runOptions, name, input string) (*report, error) {
	prog := newProgress(out.stderr, c, out.tty)
	x, err := startAndFollow(ctx, c, name, input, prog.event)
	prog.done()
	if err != nil {
		return nil, err
	}
	r := buildReport(x)
	r.wide = o.wide
	if c.region != "" {
		r.ConsoleURL = consoleLink(c.region, r.ExecutionArn)
	}
	if err := addDetails(ctx, c, r, out.stderr); err != nil {
		return nil, err
	}
	if o.json {
		enc := json.NewEncoder(out.stdout)
		if err := enc.Encode(r); err != nil {
			return nil, fmt.Errorf("write the report: %w", err)
		}
	} else {
		printReport(out.stdout, r)
	}
	if c.env != nil {
		// The run did its work, but its record is not (all) on disk: say
		// why and where, rather than let a later listing call it ABORTED.
		if err := c.env.RecordError(r.ExecutionArn); err != nil {
			return nil, &exitError{code: exitFailure, err: err}
		}
	}
	return r, nil
}

// addDetails adds what the history lacks: the run's results (from the
// echo objects in its bucket) and, locally, every target's status after
// the run.
func addDetails(ctx context.Context, c *conn, r *report, stderr io.Writer) error {
	if err := addRunResults(ctx, c, r, stderr); err != nil {
		return err
	}
	if c.env == nil {
		return nil
	}
	statuses, err := readStatuses(ctx, c.env)
	if err != nil {
		return err
	}
	r.applyStatuses(statuses)
	r.stateIn = fmt.Sprintf("s3://%s/%s (and the STATUS column above)", c.env.Bucket(), status.Key)
	return nil
}

// readStatuses reads every target's state from state/status.json.
func readStatuses(ctx context.Context, env *local.Env) (map[string]status.TargetState, error) {
	st, err := env.Store(ctx)
	if err != nil {
		return nil, err
	}
	obj, err := st.Get(ctx, status.Key)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]status.TargetState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read target statuses: %w", err)
	}
	f, err := status.Parse(obj.Body)
	if err != nil {
		return nil, err
	}
	return f.Targets, nil
}

// loadTargetsFile reads and checks the targets file. A file that cannot be
// read at all is a usage error; skipped targets are warned about on stderr
// (the run reports them too).
func loadTargetsFile(path string, stderr io.Writer) ([]byte, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	if _, err := target.ParseFile(path, data, target.Options{}); err != nil {
		return nil, usagef("%v", err)
	}
	return data, nil
}

// execName names an execution: prefix, UTC time, and a random suffix.
func execName(prefix string, t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}
