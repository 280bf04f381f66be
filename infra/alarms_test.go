package infra

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestNoScheduledRunsAlarm: the "no scheduled run" alarm counts scheduled
// runs that succeeded (a rule on Step Functions' SUCCEEDED events whose
// input is the schedule's), treats a period without any as breaching, and
// an event put when the stack is created keeps it quiet for the first full
// period. TestEveryFailurePages matches sample events against the rule.
func TestNoScheduledRunsAlarm(t *testing.T) {
	s := defaultStack(t)
	topic := []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}}
	var ruleID string
	for id, r := range s.resources("AWS::Events::Rule") {
		if strings.Contains(id, "ScheduledRunSucceeded") {
			ruleID = id
		}
		_ = r
	}
	if ruleID == "" {
		t.Fatal("no ScheduledRunSucceeded rule")
	}
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": "AWS/Events", "MetricName": "TriggeredRules", "Statistic": "Sum",
		"Dimensions": []any{map[string]any{"Name": "RuleName", "Value": map[string]any{"Ref": ruleID}}},
		"Period":     2 * 10 * 60, "Threshold": 1, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
		"ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		"AlarmActions": topic, "OKActions": topic,
	})
	// Every execution counts in ExecutionsStarted, whatever started it.
	for id, a := range s.resources("AWS::CloudWatch::Alarm") {
		if p := a["Properties"].(map[string]any); p["MetricName"] == "ExecutionsStarted" {
			t.Errorf("alarm %s still watches ExecutionsStarted", id)
		}
	}

	// The event at creation: one PutEvents of the deploy event the rule
	// matches, on create only, by a role that may put only that source on
	// the default bus.
	var calls []map[string]any
	for id, r := range s.resources("Custom::AWS") {
		p := r["Properties"].(map[string]any)
		if _, ok := p["Update"]; ok {
			t.Errorf("custom resource %s also runs on update", id)
		}
		create, ok := p["Create"].(map[string]any)
		if !ok {
			t.Fatalf("custom resource %s: Create = %#v, want a JSON call", id, p["Create"])
		}
		calls = append(calls, create)
		if deps := fmt.Sprint(r["DependsOn"]); !strings.Contains(deps, ruleID) {
			t.Errorf("custom resource %s does not wait for the rule %s (DependsOn %s)", id, ruleID, deps)
		}
	}
	if len(calls) != 1 {
		t.Fatalf("%d AWS SDK custom resources, want the one creation event", len(calls))
	}
	text := arnText(calls[0])
	for _, w := range []string{`"service":"EventBridge"`, `"action":"putEvents"`, `"Source":"medic.deploy"`, `"DetailType":"medic stack created"`, "<AWS::StackId>"} {
		if !strings.Contains(text, w) {
			t.Errorf("creation call %s does not contain %s", text, w)
		}
	}
	found := false
	for _, r := range s.resources("AWS::IAM::Policy") {
		doc := r["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Action"] != "events:PutEvents" {
				continue
			}
			found = true
			want := map[string]any{"StringEquals": map[string]any{"events:source": "medic.deploy"}}
			if b, _ := json.Marshal(st["Condition"]); string(b) != mustMarshal(want) {
				t.Errorf("PutEvents condition = %s, want %s", b, mustMarshal(want))
			}
			if r := arnText(st["Resource"]); r != "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default" {
				t.Errorf("PutEvents on %s, want the default bus alone", r)
			}
		}
	}
	if !found {
		t.Error("no policy allows the creation event's PutEvents")
	}
}

func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
