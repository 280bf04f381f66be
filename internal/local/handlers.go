package local

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/channel/sns"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
	"github.com/medic-dev/medic/tasks/checkstaleness"
	"github.com/medic-dev/medic/tasks/loadtargets"
	"github.com/medic-dev/medic/tasks/notify"
	probetask "github.com/medic-dev/medic/tasks/probe"
	"github.com/medic-dev/medic/tasks/writeecho"
)

// buildResources builds the five task handlers over the bucket, as their
// bootstrap/main.go does in Lambda, and binds each to its local function
// ARN through the aws-lambda-go handler interface. Locally the probe may
// reach every address (MEDIC_ALLOW_NETWORKS=all: loopback included), and
// secrets (channels' and targets' headerSecrets) come from the environment
// variables MEDIC_SECRET_<name>, and sns channels publish to the SNS API
// AWS_ENDPOINT_URL_SNS names.
func (e *Env) buildResources(api *s3.Client) (map[string]engine.Func, error) {
	st := store.New(api, e.opts.Bucket)
	load := target.LoadOptions{ConfigKey: target.DefaultConfigKey, StaleAfter: e.opts.StaleAfter}
	log := e.opts.Log
	getenv := e.opts.Getenv
	lookup := func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}
	handlers := map[string]any{
		"loadtargets": (&loadtargets.Handler{Store: st, Opts: load, BatchSize: e.opts.BatchSize, Clock: e.opts.Clock, Logger: log}).Handle,
		"probe": (&probetask.Handler{
			// The pauses before re-checks go through the engine's clock:
			// real with `medic run`, none with the demo's instant clock.
			Prober: &probe.Prober{Allow: probe.All, Now: e.opts.Clock.Now, Sleep: e.opts.EngineClock.Sleep, Secrets: secret.Env{Lookup: lookup}, Logger: log},
			Now:    e.opts.Clock.Now,
			Logger: log,
		}).Handle,
		"writeecho":      (&writeecho.Handler{Store: st, Logger: log}).Handle,
		"checkstaleness": (&checkstaleness.Handler{Store: st, Load: load, Clock: e.opts.Clock, Logger: log}).Handle,
		"notify": (&notify.Handler{
			Store: st,
			Channels: func(ctx context.Context) (map[string]target.Channel, error) {
				file, err := target.LoadFile(ctx, st, load)
				if err != nil {
					return nil, err
				}
				return file.Channels, nil
			},
			Deps: registry.Deps{
				Secrets: secret.Env{Lookup: lookup},
				HTTP:    e.opts.HTTPClient,
				// Only to the SNS API AWS_ENDPOINT_URL_SNS names; without
				// it, sns channels' alerts stay pending (sns.ErrNoEndpoint).
				SNS:             sns.LocalClient(getenv, e.opts.HTTPClient),
				DefaultTopicArn: getenv("MEDIC_SNS_TOPIC_ARN"),
			},
			Clock:  e.opts.Clock,
			Logger: log,
		}).Handle,
	}
	res := map[string]engine.Func{}
	for task := range statemachines.FunctionPlaceholders {
		h, ok := handlers[task]
		if !ok {
			return nil, fmt.Errorf("no local handler for task %s", task)
		}
		res[statemachines.LocalFunctionArn(task)] = engine.LambdaHandler(h)
	}
	return res, nil
}
