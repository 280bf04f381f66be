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

// run runs the command line args and returns the exit code. The first
// SIGINT or SIGTERM cancels the command's context; the second cancels its
// stop-now context (see stopNow); a third exits at once.
func run(args []string, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hard, cancelHard := context.WithCancel(context.Background())
	defer cancelHard()
	go func() {
		n := 0
		for range sigs {
			switch n++; n {
			case 1:
				cancel()
			case 2:
				cancelHard()
			default:
				fmt.Fprintln(stderr, "medic: stopped")
				os.Exit(exitFailure)
			}
		}
	}()
	return runContext(withStopNow(ctx, hard), args, stdout, stderr)
}

type stopNowKey struct{}

// withStopNow returns ctx carrying hard, the context a second interrupt
// cancels.
func withStopNow(ctx, hard context.Context) context.Context {
	return context.WithValue(ctx, stopNowKey{}, hard)
}

// stopNow is the context for work that a first interrupt lets finish: it
// ends only on a second interrupt (never, when ctx carries none), and it
// carries no cancellation from ctx.
func stopNow(ctx context.Context) context.Context {
	if hard, ok := ctx.Value(stopNowKey{}).(context.Context); ok {
		return hard
	}
	return context.WithoutCancel(ctx)
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
	// tty shows progress on stderr as on a terminal, whatever it is.
	tty bool
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
