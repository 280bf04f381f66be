// Command bootstrap is the Probe Lambda. It reads MEDIC_ALLOW_NETWORKS
// (public by default; private or all) once and serves the handler.
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
		Prober: &probe.Prober{Allow: allow},
		Logger: log,
	}
	log.Info("probe ready", "allowNetworks", allow.String())
	lambda.Start(h.Handle)
}
