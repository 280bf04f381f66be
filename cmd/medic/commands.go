package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// command is one medic subcommand.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line
	summary string
	// help is the long description shown by `medic help NAME`.
	help string
	// setup defines the command's flags on fs and returns the function that
	// runs it with the positional arguments.
	setup func(fs *pflag.FlagSet) func(ctx context.Context, out *io2, args []string) error
	// complete, if set, completes the positional arguments in a shell.
	complete func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)
}

var commands []*command

func init() {
	// Commands are listed in the order of the table: the first to try first.
	cobra.EnableCommandSorting = false
	commands = []*command{
		demoCommand, runCommand, checkCommand, validateCommand,
		executionsCommand, showCommand, statusCommand, historyCommand,
		pauseCommand, resumeCommand, ackCommand, serveCommand, credentialsCommand,
		versionCommand,
	}
}

const overview = `medic checks that your HTTP(S) and TCP endpoints answer, and tells people
when they go down, go stale or come back. Locally it runs the real Step
Functions definition through an embedded engine; with --aws it drives the
deployed state machine.

Start with 'medic demo': a full local run with demo targets, no AWS needed.
Flags go before or after the arguments: 'medic check api --aws'.

Exit codes: 0 all UP, 1 some target DOWN or STALE, 2 usage or configuration
error, 3 the run failed.`

// runError marks an error returned by a command's own code, as opposed to
// one cobra returns for a bad command line (an unknown command or flag).
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// newRoot builds the command tree. Flags are defined afresh for every
// command line, so their defaults read the environment of this run.
func newRoot(out *io2) *cobra.Command {
	root := &cobra.Command{
		Use:           "medic",
		Short:         "a serverless health monitor, run locally or on AWS",
		Long:          overview,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		// A bare 'medic' prints the overview on stderr and exits 2.
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(out.stderr)
			_ = cmd.Help()
			return &runError{&exitError{code: exitUsage}}
		},
	}
	root.SetOut(out.stdout)
	root.SetErr(out.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	root.SetHelpCommand(helpCommand(root))
	for _, c := range commands {
		root.AddCommand(c.cobra(out))
	}
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.RunE = func(_ *cobra.Command, args []string) error {
				if len(args) == 0 {
					return usagef("name a shell: 'medic completion bash', zsh, fish or powershell")
				}
				return usagef("no completion for %q: choose bash, zsh, fish or powershell", args[0])
			}
		}
	}
	return root
}

// cobra turns c into a cobra command that runs in out.
func (c *command) cobra(out *io2) *cobra.Command {
	use := c.name + " [flags]"
	if c.args != "" {
		use += " " + c.args
	}
	cc := &cobra.Command{
		Use:               use,
		Short:             c.summary,
		Long:              strings.TrimSpace(c.help),
		ValidArgsFunction: c.complete,
	}
	if cc.ValidArgsFunction == nil {
		cc.ValidArgsFunction = cobra.NoFileCompletions
	}
	runner := c.setup(cc.Flags())
	cc.RunE = func(cmd *cobra.Command, args []string) error {
		if err := runner(cmd.Context(), out, args); err != nil {
			return &runError{err}
		}
		return nil
	}
	return cc
}

// helpCommand is 'medic help [COMMAND]'; an unknown command is a usage
// error (cobra's own help command prints a note and exits 0).
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the help of medic or of one command",
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name()+"\t"+c.Short)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return usagef("unknown command %q: run 'medic help' for the list", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}
