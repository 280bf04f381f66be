// Command medic runs medic's health checks locally and drives the deployed
// state machine on AWS. Run `medic help` for the commands.
package main

import (
	"context"
	"errors"
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
	root := newRoot(&io2{stdout: stdout, stderr: stderr})
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	name := "medic"
	if cmd != nil && cmd != root {
		name = "medic " + cmd.Name()
	}
	var re *runError
	if err != nil && !errors.As(err, &re) {
		// cobra refused the command line: an unknown command or flag.
		var ue *usageError
		if !errors.As(err, &ue) {
			err = &usageError{err.Error()}
		}
	} else if re != nil {
		err = re.err
	}
	return exitCode(stderr, name, err)
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
		fmt.Fprintf(stderr, "%s: %s\n", cmd, ue.msg)
		if !strings.Contains(ue.msg, "medic help") {
			fmt.Fprintf(stderr, "Run '%s' for usage.\n", strings.Replace(cmd, "medic", "medic help", 1))
		}
		return exitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd, ee.err)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "%s: interrupted\n", cmd)
		return exitFailure
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	return exitFailure
}
