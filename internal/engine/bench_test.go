package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

// BenchmarkMapTransitions measures state transitions per second on a
// Map-heavy definition: 100 items, each through a Task, a Choice and a Pass.
func BenchmarkMapTransitions(b *testing.B) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":10,
		"ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","run.$":"$$.Execution.Name"},
		"ItemProcessor":{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"` + fnArn + `","ResultSelector":{"ok.$":"$.v"},"ResultPath":"$.r","Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$.r.ok","NumericGreaterThan":50,"Next":"Big"}],"Default":"Small"},
			"Big":{"Type":"Pass","Result":"big","ResultPath":"$.size","End":true},
			"Small":{"Type":"Pass","Result":"small","ResultPath":"$.size","End":true}}},
		"ResultSelector":{"n.$":"States.ArrayLength($)"},"End":true}}}`
	m, err := engine.Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]string, 100)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	input := json.RawMessage(`{"items":[` + strings.Join(items, ",") + `]}`)
	opts := engine.Options{Resources: map[string]engine.Func{fnArn: echo}, Clock: engine.NewInstantClock(epoch)}
	transitions := 0
	b.ReportAllocs()
	for b.Loop() {
		x := m.Run(context.Background(), input, opts)
		if x.Status != engine.StatusSucceeded {
			b.Fatalf("%s: %s", x.Error, x.Cause)
		}
		transitions += x.Transitions
	}
	b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
}
