package bench

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/medic-dev/medic/internal/engine"
)

// instantDefinition is the engine benchmark's workload: medic's inline-Map
// health check (statemachines/healthcheck.asl.json as statemachines.Local(10)
// rendered it), kept as a copy so that the engine and its peer run the same
// definition whatever medic deploys: aws-local-stepfunctions cannot run a
// Distributed Map's ItemReader, so a definition reading its targets from S3
// could not be compared.
//
//go:embed testdata/instant.asl.json
var instantDefinition string

// instantTasks are the functions instantDefinition calls.
var instantTasks = []string{"loadtargets", "probe", "writeecho", "checkstaleness", "notify"}

// InstantBatchSize is the batch size of the engine benchmark's LoadTargets
// output (internal/local's default).
const InstantBatchSize = 10

// InstantTasks is the inline-Map workload's tasks as instant functions:
// LoadTargets returns n targets (each only a name, so that 10,000 fit in
// the 256 KB payload limit) in batches of InstantBatchSize, Probe echoes
// its input, WriteEcho and CheckStaleness return fixed results (no alerts,
// so Notify is not reached). The same results drive the peer.
func InstantTasks(n int) map[string]json.RawMessage {
	type batch struct {
		Targets []map[string]string `json:"targets"`
	}
	var batches []batch
	for i := 0; i < n; i += InstantBatchSize {
		var b batch
		for j := i; j < min(i+InstantBatchSize, n); j++ {
			b.Targets = append(b.Targets, map[string]string{"name": TargetName(j)})
		}
		batches = append(batches, b)
	}
	load, _ := json.Marshal(map[string]any{"trigger": "schedule", "requested": []string{}, "batches": batches,
		"summary": map[string]any{"targets": n, "batches": len(batches), "problems": []any{}, "problemCount": 0}})
	return map[string]json.RawMessage{
		"loadtargets":    load,
		"writeecho":      json.RawMessage(`{"written":10}`),
		"checkstaleness": json.RawMessage(`{"statuses":{"UP":0,"DOWN":0,"STALE":0,"UNKNOWN":0},"changes":[],"pending":0}`),
	}
}

// InstantMachine parses instantDefinition and binds InstantTasks.
func InstantMachine(n int) (*engine.Machine, engine.Options, error) {
	m, err := engine.Parse([]byte(instantDefinition))
	if err != nil {
		return nil, engine.Options{}, err
	}
	res := map[string]engine.Func{}
	for _, task := range instantTasks {
		out, ok := InstantTasks(n)[task]
		res["arn:aws:lambda:us-east-1:000000000000:function:"+functionName(task)] = func(_ context.Context, p json.RawMessage) (json.RawMessage, error) {
			if !ok {
				return p, nil
			}
			return out, nil
		}
	}
	return m, engine.Options{Resources: res, Clock: engine.NewInstantClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		ExecutionName: "bench", StateMachineName: "medic"}, nil
}

// PeerDir holds the peer runner and its pinned npm install.
func PeerDir() string { return filepath.Join(RepoRoot(), "bench", "peer") }

// EnsurePeer installs aws-local-stepfunctions (pinned by
// bench/peer/package-lock.json) when it is missing.
func EnsurePeer(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(PeerDir(), "node_modules", "aws-local-stepfunctions", "package.json")); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = PeerDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s (the engine benchmark's peer needs npm and the registry): %w\n%s", PeerDir(), err, out)
	}
	return nil
}

// PeerRuns is what one Node process of the peer runner measured.
type PeerRuns struct {
	// Durations is each run's duration as the runner measured it.
	Durations []time.Duration
	// CPU is the Node process's user + system CPU time, start-up and the
	// warm-up run included.
	CPU time.Duration
}

// RunPeer runs instantDefinition with InstantTasks(n) through
// aws-local-stepfunctions iterations times (after a warm-up run) in one
// Node process.
func RunPeer(ctx context.Context, n, iterations int) (PeerRuns, error) {
	tasks := map[string]any{}
	for task, out := range InstantTasks(n) {
		tasks[functionName(task)] = map[string]any{"kind": "result", "value": out}
	}
	in, err := json.Marshal(map[string]any{
		"definition": json.RawMessage(instantDefinition), "input": map[string]string{"trigger": "schedule"}, "iterations": iterations, "tasks": tasks,
		"context": map[string]any{
			"Execution":    map[string]any{"Id": "arn:aws:states:us-east-1:000000000000:execution:medic:bench", "Name": "bench", "StartTime": "2026-01-02T03:04:05.000Z", "RoleArn": "arn:aws:iam::000000000000:role/medic"},
			"StateMachine": map[string]any{"Id": "arn:aws:states:us-east-1:000000000000:stateMachine:medic", "Name": "medic"},
		},
	})
	if err != nil {
		return PeerRuns{}, err
	}
	cmd := exec.CommandContext(ctx, "node", "runner.mjs")
	cmd.Dir = PeerDir()
	cmd.Stdin = bytesReader(in)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return PeerRuns{}, fmt.Errorf("node runner.mjs: %w\n%s", err, ee.Stderr)
		}
		return PeerRuns{}, fmt.Errorf("node runner.mjs: %w", err)
	}
	var res struct {
		Status, Error string
		MS            []float64
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return PeerRuns{}, fmt.Errorf("runner output %q: %w", out, err)
	}
	if res.Status != "SUCCEEDED" {
		return PeerRuns{}, fmt.Errorf("aws-local-stepfunctions: %s %s", res.Status, res.Error)
	}
	ds := make([]time.Duration, len(res.MS))
	for i, ms := range res.MS {
		ds[i] = time.Duration(ms * float64(time.Millisecond))
	}
	return PeerRuns{Durations: ds, CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}

func functionName(task string) string { return "medic-" + task }

// PeerExtraRuns is how many more runs the second peer process makes than
// the first (BenchmarkPeer): at least 8, and enough for about span at the
// first process's median run time, at most 5,000.
func PeerExtraRuns(runs []time.Duration, span time.Duration) int {
	if len(runs) == 0 {
		return 8
	}
	s := slices.Clone(runs)
	slices.Sort(s)
	med := max(s[len(s)/2], time.Microsecond)
	return min(max(8, int((span+med-1)/med)), 5000)
}
