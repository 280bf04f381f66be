package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// command is one medic subcommand.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line
	summary string
	// help is the long description shown by `medic help NAME`.
	help string
	// setup defines the command's flags on fs and returns the function that
	// runs it with the remaining arguments.
	setup func(fs *flag.FlagSet) func(ctx context.Context, out *io2, args []string) error
}

var commands []*command

func init() {
	commands = []*command{
		demoCommand, runCommand, checkCommand, validateCommand,
		executionsCommand, showCommand, serveCommand, credentialsCommand,
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printOverview(w io.Writer) {
	fmt.Fprint(w, `medic checks that your HTTP(S) and TCP endpoints answer, and tells people
when they go down, go stale or come back. Locally it runs the real Step
Functions definition through an embedded engine; with --aws it drives the
deployed state machine.

Usage:
  medic <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'medic help <command>' for a command's flags.
Start with 'medic demo': a full local run with demo targets, no AWS needed.

Exit codes: 0 all UP, 1 some target DOWN or STALE, 2 usage or configuration
error, 3 the run failed.
`)
}

func helpCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printOverview(stdout)
		return exitOK
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(stderr, "medic help: unknown command %q\n\n", args[0])
		printOverview(stderr)
		return exitUsage
	}
	fs := flag.NewFlagSet("medic "+cmd.name, flag.ContinueOnError)
	cmd.setup(fs)
	printCommandHelp(stdout, cmd, fs)
	return exitOK
}

func printCommandHelp(w io.Writer, cmd *command, fs *flag.FlagSet) {
	usage := "medic " + cmd.name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		usage += " [flags]"
	}
	if cmd.args != "" {
		usage += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", usage, strings.TrimSpace(cmd.help))
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "(development build)"
}
