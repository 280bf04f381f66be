package main

import (
	"context"
	"flag"
)

var demoCommand = &command{
	name:    "demo",
	summary: "a full local run: demo targets, outages, alerts and recoveries (no AWS, no network)",
	help:    `Runs the demo.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *io2, []string) error {
		return func(ctx context.Context, out *io2, args []string) error {
			return usagef("demo is not ready yet")
		}
	},
}
