// Command synth is medic's CDK app (what cdk.json runs): it synthesizes the
// "Medic" stack with the settings from CDK context, checked by cdk-nag's
// AwsSolutions pack, building the Lambda binaries locally (no Docker).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/infra"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	settings, err := infra.SettingsFromContext(app.Node())
	if err != nil {
		return err
	}
	if _, err := infra.NewStack(app, "Medic", &infra.StackProps{
		StackProps: awscdk.StackProps{Env: env()},
		Settings:   settings,
	}); err != nil {
		return err
	}
	infra.AddChecks(app)
	app.Synth(nil)
	return nil
}

// env deploys to the account and region of the CLI's credentials when
// known; otherwise the stack is environment-agnostic.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" && region == "" {
		return nil
	}
	e := &awscdk.Environment{}
	if account != "" {
		e.Account = jsii.String(account)
	}
	if region != "" {
		e.Region = jsii.String(region)
	}
	return e
}
