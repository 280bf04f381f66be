package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"runtime"

	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
	"github.com/medic-dev/medic/tasks/checkstaleness"
	"github.com/medic-dev/medic/tasks/loadtargets"
	"github.com/medic-dev/medic/tasks/notify"
	probetask "github.com/medic-dev/medic/tasks/probe"
	"github.com/medic-dev/medic/tasks/writeecho"
)

// DefinitionFile is medic's definition, relative to the module root.
const DefinitionFile = "statemachines/healthcheck.asl.json"

// RepoRoot is the module root (this package's parent directory).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Definition renders medic's definition for the local engine
// (statemachines.Local).
func Definition(mapConcurrency, batchSize, toleratedPercent int) (string, error) {
	return statemachines.Local(mapConcurrency, batchSize, toleratedPercent)
}

// tasks binds the real task handlers as internal/local does: LoadTargets
// writes the target list to runs/, WriteEcho writes one echo/batch/ object
// per batch, CheckStaleness reads them. Probe and WriteEcho calls are
// attributed to their Express child by the batch's first target.
func (e *env) tasks(batchSize int) map[string]engine.Func {
	firstTarget := func(field string) func(json.RawMessage) string {
		return func(p json.RawMessage) string {
			var in map[string][]struct {
				Name   string `json:"name"`
				Target string `json:"target"`
			}
			_ = json.Unmarshal(p, &in)
			if xs := in[field]; len(xs) > 0 {
				return xs[0].Name + xs[0].Target
			}
			return ""
		}
	}
	load := target.LoadOptions{ConfigKey: target.DefaultConfigKey}
	handlers := map[string]any{
		"loadtargets":    (&loadtargets.Handler{Store: e.store, Opts: load, BatchSize: batchSize, Logger: e.log}).Handle,
		"probe":          (&probetask.Handler{Prober: &probe.Prober{Allow: probe.All}, Logger: e.log}).Handle,
		"writeecho":      (&writeecho.Handler{Store: e.store, Logger: e.log}).Handle,
		"checkstaleness": (&checkstaleness.Handler{Store: e.store, Load: load, Logger: e.log}).Handle,
		"notify": (&notify.Handler{
			Store: e.store,
			Channels: func(ctx context.Context) (map[string]target.Channel, error) {
				file, err := target.LoadFile(ctx, e.store, load)
				if err != nil {
					return nil, err
				}
				return file.Channels, nil
			},
			Deps:   registry.Deps{Secrets: secret.Env{Lookup: func(string) (string, bool) { return "", false }}, HTTP: http.DefaultClient},
			Logger: e.log,
		}).Handle,
	}
	children := map[string]func(json.RawMessage) string{"probe": firstTarget("targets"), "writeecho": firstTarget("results")}
	res := map[string]engine.Func{}
	for task, h := range handlers {
		res[statemachines.LocalFunctionArn(task)] = e.meter.Wrap(task, engine.LambdaHandler(h), children[task])
	}
	return res
}
