package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/medic-dev/medic/internal/target"
	"github.com/spf13/pflag"
)

var validateCommand = &command{
	name:    "validate",
	args:    "[FILE]",
	summary: "check a targets file and exit",
	help: `Checks a targets file (YAML, or JSON when the name ends in .json) and exits.
FILE defaults to --config (targets.yaml). Every error names the file, the
target and the field, and the line where it helps:

  targets.yaml: target api: expect.status: ...

Also warns about channel secrets that are not set in the environment (a
local run reads a secret named K from the environment variable K).

Exit codes: 0 the file is valid, 2 it is not (or cannot be read).`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		config := fs.String("config", defaultConfig, "the targets file to check when FILE is not given")
		return func(_ context.Context, out *io2, args []string) error {
			path := *config
			switch len(args) {
			case 0:
			case 1:
				path = args[0]
			default:
				return usagef("validate takes one file, got %d arguments", len(args))
			}
			return validateFile(out, path)
		}
	},
}

func validateFile(out *io2, path string) error {
	data, err := readConfig(path)
	if err != nil {
		return err
	}
	f, err := target.ParseFile(path, data, target.Options{})
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	for _, p := range f.Problems {
		fmt.Fprintln(out.stdout, p.String())
	}
	for _, w := range missingSecrets(f) {
		fmt.Fprintf(out.stderr, "warning: %s\n", w)
	}
	if len(f.Problems) > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %d problem(s); fix them and run 'medic validate %s' again", path, len(f.Problems), path)}
	}
	fmt.Fprintf(out.stdout, "%s: OK: %s, %s\n", path, plural(len(f.Targets), "target"), plural(len(f.Channels), "channel"))
	return nil
}

// missingSecrets lists the channel secrets that are not in the environment.
func missingSecrets(f *target.File) []string {
	var out []string
	names := make([]string, 0, len(f.Channels))
	for n := range f.Channels {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ch := f.Channels[n]
		secrets := []string{ch.URLSecret, ch.TokenSecret}
		for _, s := range ch.HeaderSecrets {
			secrets = append(secrets, s)
		}
		slices.Sort(secrets)
		for _, s := range slices.Compact(secrets) {
			if s != "" && os.Getenv(s) == "" {
				out = append(out, fmt.Sprintf("channel %s: secret %s is not set in the environment; local runs cannot deliver to it", n, s))
			}
		}
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	switch {
	case strings.HasSuffix(word, "y"):
		word = strings.TrimSuffix(word, "y") + "ie"
	case strings.HasSuffix(word, "ch"), strings.HasSuffix(word, "s"), strings.HasSuffix(word, "o"):
		word += "e"
	}
	return fmt.Sprintf("%d %ss", n, word)
}
