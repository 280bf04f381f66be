// Command bootstrap is the Probe Lambda. It reads MEDIC_ALLOW_NETWORKS
// (public by default; private or all) and MEDIC_TARGET_SECRET_PARAMETER
// (the SecureString parameter holding the values of targets' secrets; when
// empty a target's secrets fail: the environment is never read) once and
// serves the handler. The parameter is read only when a batch has a target
// that needs a secret.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/medic-dev/medic/internal/probe"
	probetask "github.com/medic-dev/medic/tasks/probe"
)

func main() {
	log := lambdacontext.NewLogger()
	allow, err := probe.ParseNetworks(os.Getenv("MEDIC_ALLOW_NETWORKS"))
	if err != nil {
		log.Error("probe cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := &probetask.Handler{
		Prober: &probe.Prober{Allow: allow, Secrets: probetask.SecretSource(os.Getenv), Logger: log},
		Logger: log,
	}
	secrets := "none"
	if os.Getenv(probetask.TargetSecretEnv) != "" {
		secrets = probetask.TargetSecretEnv
	}
	log.Info("probe ready", "allowNetworks", allow.String(), "secrets", secrets)
	lambda.Start(h.Handle)
}
