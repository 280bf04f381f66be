package infra

import (
	"encoding/json"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestNoScheduledRunsAlarm: the "no run started" alarm counts scheduled
// runs only (LoadTargets' line for trigger "schedule"), treats a period
// without any as breaching, and a heartbeat put when the stack is created
// keeps it quiet for the first full period.
func TestNoScheduledRunsAlarm(t *testing.T) {
	s := defaultStack(t)
	topic := []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}}
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": "medic", "MetricName": "ScheduleHeartbeat", "Statistic": "Sum",
		"Period": 2 * 10 * 60, "Threshold": 1, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
		"ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		"AlarmActions": topic, "OKActions": topic,
	})
	// Every execution counts in ExecutionsStarted, whatever started it.
	for id, a := range s.resources("AWS::CloudWatch::Alarm") {
		if p := a["Properties"].(map[string]any); p["MetricName"] == "ExecutionsStarted" {
			t.Errorf("alarm %s still watches ExecutionsStarted", id)
		}
	}
	s.tpl.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), map[string]any{
		"LogGroupName":  map[string]any{"Ref": s.logicalID(s.stack.Functions["loadtargets"].LogGroup())},
		"FilterPattern": `{ ($.message = "targets loaded") && ($.trigger = "schedule") }`,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "medic", "MetricName": "ScheduleHeartbeat", "MetricValue": "1", "Unit": "Count",
		}},
	})

	// The heartbeat at creation: one PutMetricData into the same metric,
	// on create only, by a role that may put medic's metrics and no others.
	var calls []map[string]any
	for id, r := range s.resources("Custom::AWS") {
		p := r["Properties"].(map[string]any)
		if _, ok := p["Update"]; ok {
			t.Errorf("custom resource %s also runs on update", id)
		}
		create, ok := p["Create"].(string)
		if !ok {
			t.Fatalf("custom resource %s: Create = %#v, want a JSON call", id, p["Create"])
		}
		var call map[string]any
		if err := json.Unmarshal([]byte(create), &call); err != nil {
			t.Fatalf("custom resource %s: Create %q: %v", id, create, err)
		}
		calls = append(calls, call)
	}
	if len(calls) != 1 {
		t.Fatalf("%d AWS SDK custom resources, want the one heartbeat", len(calls))
	}
	c := calls[0]
	params, _ := c["parameters"].(map[string]any)
	data, _ := params["MetricData"].([]any)
	if c["service"] != "CloudWatch" || c["action"] != "putMetricData" || params["Namespace"] != "medic" || len(data) != 1 {
		t.Fatalf("heartbeat call = %v, want one CloudWatch putMetricData in medic", c)
	}
	if d := data[0].(map[string]any); d["MetricName"] != "ScheduleHeartbeat" || d["Value"] != float64(1) {
		t.Errorf("heartbeat data = %v, want ScheduleHeartbeat 1", d)
	}
	found := false
	for _, r := range s.resources("AWS::IAM::Policy") {
		doc := r["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Action"] != "cloudwatch:PutMetricData" {
				continue
			}
			found = true
			want := map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "medic"}}
			if b, _ := json.Marshal(st["Condition"]); string(b) != mustMarshal(want) {
				t.Errorf("PutMetricData condition = %s, want %s", b, mustMarshal(want))
			}
		}
	}
	if !found {
		t.Error("no policy allows the heartbeat's PutMetricData")
	}
}

func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
