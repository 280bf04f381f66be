package main

import (
	"context"
	"fmt"

	"github.com/medic-dev/medic/internal/localauth"
	"github.com/spf13/pflag"
)

var credentialsCommand = &command{
	name:    "credentials",
	summary: "print the local endpoints' credentials as shell exports",
	help: `Prints the key pair that 'medic serve' and the embedded S3 store accept,
as shell exports, so the AWS CLI and SDKs sign their requests with it:

  eval "$(medic credentials)"
  aws s3 ls s3://medic/ --recursive --endpoint-url http://127.0.0.1:8084

The pair is generated the first time (by this command, 'medic serve' or any
local run) and kept in STATE-DIR/credentials (mode 0600), an AWS shared
credentials file: AWS_SHARED_CREDENTIALS_FILE may point at it instead.
Delete the file to make a new pair.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		stateDir := fs.String("state-dir", defaultStateDir, "the state directory whose credentials to print")
		return func(_ context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("credentials takes no arguments, got %q", args)
			}
			c, err := localauth.LoadOrCreate(*stateDir)
			if err != nil {
				return err
			}
			fmt.Fprint(out.stdout, c.Exports())
			// The local endpoints' region, unless the shell has one.
			fmt.Fprintln(out.stdout, "export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}")
			return nil
		}
	},
}
