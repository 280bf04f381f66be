package checkstaleness_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/medic-dev/medic/tasks/checkstaleness"
)

// TestCoverageLogLine: every run logs one JSON line whose msg and
// notMonitored field are what the stack's TargetsNotMonitored metric
// filter reads ({ $.message = "monitoring coverage" }, value $.notMonitored).
func TestCoverageLogLine(t *testing.T) {
	e := newEnv(t, baseConfig)
	var logs bytes.Buffer
	// The Lambda's log format (lambdacontext.NewLogger): "message", not "msg".
	e.h.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	e.echo("web", true)
	e.echo("db", true)
	e.run()
	e.put("config/targets.yaml", strings.Replace(baseConfig, "name: db,", "name: db, tiemout: 1s,", 1))
	e.clk.Advance(time.Minute)
	out := e.run()
	if out.NotMonitored != 1 {
		t.Fatalf("notMonitored = %d, want 1 (db, with a typo)", out.NotMonitored)
	}
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == checkstaleness.CoverageLogMessage {
			last = m
		}
	}
	if last == nil || last["notMonitored"] != float64(1) {
		t.Fatalf("last coverage line = %v, want notMonitored 1 as a JSON number\n%s", last, logs.String())
	}
}
