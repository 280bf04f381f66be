// Command medic runs medic's health checks locally and drives the deployed
// state machine on AWS. Run `medic help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0 // everything checked is UP
	exitDown    = 1 // some target is DOWN or STALE (or a check found it failing)
	exitUsage   = 2 // bad command line or configuration
	exitFailure = 3 // the run itself failed (execution failed, store unreachable, ...)
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit code. SIGINT and
// SIGTERM cancel the command's context.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// usageError is a mistake on the command line or in the configuration: it
// exits 2 and its message says what to do.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError ends a command with a given code after it printed its own output.
type exitError struct {
	code int
	err  error // may be nil: nothing more to print
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printOverview(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return helpCommand(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "medic", version())
		return exitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "medic: unknown command %q\n\n", name)
		printOverview(stderr)
		return exitUsage
	}
	fs := flag.NewFlagSet("medic "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runner := cmd.setup(fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(stdout, cmd, fs)
			return exitOK
		}
		fmt.Fprintf(stderr, "medic %s: %v\n", cmd.name, err)
		fmt.Fprintf(stderr, "Run 'medic help %s' for usage.\n", cmd.name)
		return exitUsage
	}
	err := runner(ctx, &io2{stdout: stdout, stderr: stderr}, fs.Args())
	return exitCode(stderr, cmd.name, err)
}

// io2 is where a command writes.
type io2 struct {
	stdout, stderr io.Writer
}

func exitCode(stderr io.Writer, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "medic %s: %s\n", cmd, ue.msg)
		if !strings.Contains(ue.msg, "medic help") {
			fmt.Fprintf(stderr, "Run 'medic help %s' for usage.\n", cmd)
		}
		return exitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "medic %s: %v\n", cmd, ee.err)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "medic %s: interrupted\n", cmd)
		return exitFailure
	}
	fmt.Fprintf(stderr, "medic %s: %v\n", cmd, err)
	return exitFailure
}
