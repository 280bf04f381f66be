package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
)

var versionCommand = &command{
	name:    "version",
	summary: "print medic's version, the commit it was built from and when",
	help: `Prints the module version, the VCS revision and commit time (and whether
the work tree had changes) and the Go version, from the build information
Go stamps into the binary. 'medic --version' and 'medic -v' print the same.

A binary built with -buildvcs=false (or outside a git checkout) has no
revision; 'go run' builds report "(devel)" as the version.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		return func(_ context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("version takes no arguments, got %q", args)
			}
			fmt.Fprintln(out.stdout, version())
			return nil
		}
	},
}

// version describes this binary from its build information.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "medic (no build information)"
	}
	return versionOf(bi)
}

// versionOf formats build information as
//
//	medic v1.2.3 (revision 0123abcd..., 2026-12-03T17:00:00Z, modified) go1.26.8
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if rev := settings["vcs.revision"]; rev != "" {
		vcs = append(vcs, "revision "+rev)
		if t := settings["vcs.time"]; t != "" {
			vcs = append(vcs, t)
		}
		if settings["vcs.modified"] == "true" {
			vcs = append(vcs, "modified")
		}
	} else {
		vcs = append(vcs, "revision unknown: built without VCS information")
	}
	return fmt.Sprintf("medic %s (%s) %s", v, strings.Join(vcs, ", "), bi.GoVersion)
}
