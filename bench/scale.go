package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/trigger"
	"github.com/medic-dev/medic/statemachines"
	probetask "github.com/medic-dev/medic/tasks/probe"
)

// ScaleDefinitionFile is the scale-mode definition, relative to the module root.
const ScaleDefinitionFile = "statemachines/healthcheck-scale.asl.json"

// RepoRoot is the module root (this package's parent directory).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// ScaleDefinition renders the scale-mode definition for the local engine.
// Its numeric placeholders (MapConcurrency, BatchSize,
// ToleratedFailurePercentage) are written as "${Name}" strings, as in the
// inline definition; statemachines.Numeric lists only MapConcurrency, so
// they are substituted here.
func ScaleDefinition(mapConcurrency, batchSize, toleratedPercent int) (string, error) {
	b, err := os.ReadFile(filepath.Join(RepoRoot(), ScaleDefinitionFile))
	if err != nil {
		return "", fmt.Errorf("read the scale definition: %w", err)
	}
	def := string(b)
	for name, v := range map[string]int{"MapConcurrency": mapConcurrency, "BatchSize": batchSize, "ToleratedFailurePercentage": toleratedPercent} {
		def = strings.ReplaceAll(def, `"${`+name+`}"`, strconv.Itoa(v))
	}
	values := map[string]string{}
	for task, ph := range statemachines.FunctionPlaceholders {
		values[ph] = statemachines.LocalFunctionArn(task)
	}
	return statemachines.Render(def, values)
}

// Scale-mode layout the stand-ins use (what the tasks would need).
const (
	targetListPrefix = "runs/targets-"
	batchEchoPrefix  = "echo/batch/"
)

// scaleTasks binds the scale-mode tasks: the real Probe handler, and
// stand-ins for LoadTargets, WriteEcho and CheckStaleness that make the S3
// requests the batch layout needs (they skip the tasks' decisions, which
// cost CPU time but no requests). Notify is not reached: no alerts.
func (e *env) scaleTasks() map[string]engine.Func {
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
	probeH := (&probetask.Handler{Prober: &probe.Prober{Allow: probe.All}, Logger: e.log}).Handle
	fns := map[string]engine.Func{
		"loadtargets":    e.meter.Wrap("loadtargets", engine.LambdaHandler(e.loadTargetList), nil),
		"probe":          e.meter.Wrap("probe", engine.LambdaHandler(probeH), firstTarget("targets")),
		"writeecho":      e.meter.Wrap("writeecho", engine.LambdaHandler(e.writeBatchEcho), firstTarget("results")),
		"checkstaleness": e.meter.Wrap("checkstaleness", engine.LambdaHandler(e.checkBatchEchoes), nil),
	}
	res := map[string]engine.Func{}
	for task, f := range fns {
		res[statemachines.LocalFunctionArn(task)] = f
	}
	return res
}

type targetList struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// loadTargetList is LoadTargets in scale mode: it writes the selected
// targets to S3 under a content-addressed key (read first, PUT when absent).
func (e *env) loadTargetList(ctx context.Context, in json.RawMessage) (map[string]any, error) {
	trig, err := trigger.Parse(in)
	if err != nil {
		return nil, err
	}
	set, err := target.Load(ctx, e.store, target.LoadOptions{ConfigKey: target.DefaultConfigKey})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(set.Targets)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	key := targetListPrefix + hex.EncodeToString(sum[:]) + ".json"
	// A GET (read price) first: the list changes only when the targets do.
	if _, err := e.store.Get(ctx, key); errors.Is(err, store.ErrNotFound) {
		if _, err := e.store.Put(ctx, key, body, store.Condition{}); err != nil {
			return nil, fmt.Errorf("write %s: %w", key, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	e.log.Info("targets loaded", "targets", len(set.Targets), "list", key)
	return map[string]any{"trigger": trig.Kind, "requested": []string{},
		"targetList": targetList{Bucket: Bucket, Key: key},
		"summary":    map[string]any{"targets": len(set.Targets), "batches": 0, "problems": []any{}, "problemCount": len(set.Problems)}}, nil
}

// writeBatchEcho is WriteEcho in the batch layout: one object per batch.
func (e *env) writeBatchEcho(ctx context.Context, in probetask.Out) (map[string]int, error) {
	if len(in.Results) == 0 {
		return map[string]int{"written": 0}, nil
	}
	key := batchEchoPrefix + in.Results[0].Target + "--" + in.Results[len(in.Results)-1].Target + ".json"
	if _, err := e.store.PutJSON(ctx, key, in.Results, store.Condition{}); err != nil {
		return nil, fmt.Errorf("write %s: %w", key, err)
	}
	e.log.Info("echo written", "run", in.Run, "key", key, "results", len(in.Results))
	return map[string]int{"written": len(in.Results)}, nil
}

// checkBatchEchoes makes CheckStaleness's requests in the batch layout:
// read the targets file, list and read the batch echoes, read and write
// the state file, list the outbox.
func (e *env) checkBatchEchoes(ctx context.Context, in json.RawMessage) (map[string]any, error) {
	set, err := target.Load(ctx, e.store, target.LoadOptions{ConfigKey: target.DefaultConfigKey})
	if err != nil {
		return nil, err
	}
	infos, err := e.store.List(ctx, batchEchoPrefix)
	if err != nil {
		return nil, fmt.Errorf("list echoes: %w", err)
	}
	up := 0
	for _, info := range infos {
		var results []probe.Result
		if _, err := e.store.GetJSON(ctx, info.Key, &results); err != nil {
			return nil, fmt.Errorf("read %s: %w", info.Key, err)
		}
		for _, r := range results {
			if r.Up {
				up++
			}
		}
	}
	var prev json.RawMessage
	etag, err := e.store.GetJSON(ctx, status.Key, &prev)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	next := map[string]any{"targets": len(set.Targets), "up": up}
	if _, err := e.store.PutJSON(ctx, status.Key, next, store.Condition{IfMatch: etag, IfNoneMatch: etag == ""}); err != nil {
		return nil, fmt.Errorf("save state: %w", err)
	}
	if _, err := e.store.List(ctx, "outbox/"); err != nil {
		return nil, err
	}
	e.log.Info("staleness checked", "targets", len(set.Targets), "up", up)
	return map[string]any{"statuses": map[string]int{"UP": up}, "changes": []any{}, "pending": 0}, nil
}
