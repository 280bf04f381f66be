package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/medic-dev/medic/internal/channel/sns"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/loadtargets"
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
local run reads a secret named K from the environment variable
MEDIC_SECRET_K, and from no other), and about sns channels a local run
cannot publish to: it publishes only to the SNS API that
AWS_ENDPOINT_URL_SNS names, to the channel's topicArn or
MEDIC_SNS_TOPIC_ARN. Alerts for such a channel stay pending in the outbox.

Also checks the file against medic's limits, as a run would: at most
10,000 targets, at most 1,000 batches of --batch-size targets, no target
larger than a batch may carry (docs/scale.md).

With --json, prints one JSON object instead: file, valid, targets (the
valid targets' names), channels (the valid channels' names), problems
(source, target, field, error), warnings, and error (a file that cannot
be read or parsed at all).

Exit codes: 0 the file is valid, 2 it is not (or cannot be read).`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		config := fs.String("config", defaultConfig, "the targets file to check when FILE is not given")
		asJSON := fs.Bool("json", false, "print a JSON object instead of text")
		size := fs.Int("batch-size", envInt("MEDIC_BATCH_SIZE", local.DefaultBatchSize), "the batch size runs use (the stack's batchSize), for the check of medic's limits; $MEDIC_BATCH_SIZE sets the default")
		return func(_ context.Context, out *io2, args []string) error {
			path := *config
			switch len(args) {
			case 0:
			case 1:
				path = args[0]
			default:
				return usagef("validate takes one file, got %d arguments", len(args))
			}
			if *size < 1 {
				return usagef("--batch-size must be at least 1, got %d", *size)
			}
			if *asJSON {
				return validateJSON(out, path, *size)
			}
			return validateFile(out, path, *size)
		}
	},
}

// parseForRun parses the file at path and adds a problem for what a run
// would reject as a whole (over medic's limits: loadtargets.CheckFleet,
// with batches of batchSize); a file over the size a run reads is an error
// from readConfig.
func parseForRun(path string, batchSize int) (*target.File, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	f, err := target.ParseFile(path, data, target.Options{})
	if err != nil {
		return nil, err
	}
	if err := loadtargets.CheckFleet(f, batchSize); err != nil {
		f.Problems = append(f.Problems, target.Problem{Source: path, Error: "a run would fail: " + err.Error()})
	}
	return f, nil
}

func validateFile(out *io2, path string, batchSize int) error {
	f, err := parseForRun(path, batchSize)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{code: exitUsage, err: err}
	}
	for _, p := range f.Problems {
		fmt.Fprintln(out.stdout, p.String())
	}
	warnings := append(missingSecrets(f), undeliverable(f, os.Getenv)...)
	for _, w := range append(unverifiedTargets(f), warnings...) {
		fmt.Fprintf(out.stderr, "warning: %s\n", w)
	}
	if len(f.Problems) > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %d problem(s); fix them and run 'medic validate %s' again", path, len(f.Problems), path)}
	}
	fmt.Fprintf(out.stdout, "%s: OK: %s, %s", path, plural(len(f.Targets), "target"), plural(len(f.Channels), "channel"))
	if len(warnings) > 0 {
		fmt.Fprintf(out.stdout, "; %s: a local run cannot deliver everywhere (its alerts wait in the outbox)", plural(len(warnings), "warning"))
	}
	fmt.Fprintln(out.stdout)
	return nil
}

// validation is the --json output of validate.
type validation struct {
	File     string           `json:"file"`
	Valid    bool             `json:"valid"`
	Targets  []string         `json:"targets"`
	Channels []string         `json:"channels"`
	Problems []target.Problem `json:"problems"`
	Warnings []string         `json:"warnings"`
	Error    string           `json:"error,omitempty"`
}

func validateJSON(out *io2, path string, batchSize int) error {
	v := validation{File: path, Targets: []string{}, Channels: []string{}, Problems: []target.Problem{}, Warnings: []string{}}
	var fail error
	if f, err := parseForRun(path, batchSize); err != nil {
		v.Error, fail = err.Error(), err
	} else {
		for _, t := range f.Targets {
			v.Targets = append(v.Targets, t.Name)
		}
		for n := range f.Channels {
			v.Channels = append(v.Channels, n)
		}
		slices.Sort(v.Channels)
		v.Problems = append(v.Problems, f.Problems...)
		v.Warnings = append(v.Warnings, unverifiedTargets(f)...)
		v.Warnings = append(v.Warnings, missingSecrets(f)...)
		v.Warnings = append(v.Warnings, undeliverable(f, os.Getenv)...)
		v.Valid = len(f.Problems) == 0
		if !v.Valid {
			fail = fmt.Errorf("%s: %d problem(s)", path, len(f.Problems))
		}
	}
	if err := json.NewEncoder(out.stdout).Encode(v); err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	if fail != nil {
		return &exitError{code: exitUsage}
	}
	return nil
}

// undeliverable lists the sns channels a local run cannot publish to with
// this environment, and why.
func undeliverable(f *target.File, getenv func(string) string) []string {
	var out []string
	names := make([]string, 0, len(f.Channels))
	for n := range f.Channels {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ch := f.Channels[n]
		if ch.Type != target.ChannelSNS {
			continue
		}
		if err := sns.Problem(ch, getenv); err != nil {
			out = append(out, fmt.Sprintf("channel %s: %v; local runs keep its alerts pending", n, err))
		}
	}
	return out
}

// unverifiedTargets warns about each target whose TLS certificate is not
// verified (tls.insecureSkipVerify).
func unverifiedTargets(f *target.File) []string {
	var out []string
	for _, t := range f.Targets {
		if t.TLS != nil && t.TLS.InsecureSkipVerify {
			out = append(out, fmt.Sprintf("target %s: tls.insecureSkipVerify is set: its certificate is not verified, so the check cannot tell the server from an impostor", t.Name))
		}
	}
	return out
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
			if s != "" && os.Getenv(secret.EnvVar(s)) == "" {
				out = append(out, fmt.Sprintf("channel %s: secret %s is not set (environment variable %s); local runs cannot deliver to it", n, s, secret.EnvVar(s)))
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
