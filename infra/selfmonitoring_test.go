package infra

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestEveryFailurePages lists each way the monitor itself can fail that an
// alarm caught before the alarms were made cheaper (issue 13: no loss of
// self-monitoring) and checks, on the synthesized template, that an alarm
// still catches it and notifies the topic: for the failures Step Functions
// reports as events, by matching a sample event against the rule the
// alarm counts; for the ones a log line reports, by the metric filter's
// pattern and log group; for the rest, by the AWS metric the alarm reads.
func TestEveryFailurePages(t *testing.T) {
	s := defaultStack(t)
	smRef := map[string]any{"Ref": s.logicalID(s.stack.StateMachine)}
	otherSM := "arn:aws:states:us-east-1:123456789012:stateMachine:someone-else"
	var scheduleInput string
	for _, sched := range s.resources("AWS::Scheduler::Schedule") {
		scheduleInput = sched["Properties"].(map[string]any)["Target"].(map[string]any)["Input"].(string)
	}
	if scheduleInput == "" {
		t.Fatal("no schedule input")
	}
	status := func(st string, sm any, input string) map[string]any {
		return map[string]any{"source": "aws.states", "detail-type": "Step Functions Execution Status Change",
			"detail": map[string]any{"status": st, "stateMachineArn": sm, "input": input,
				"executionArn": "arn:aws:states:us-east-1:123456789012:execution:x:y", "name": "y"}}
	}
	pulseInput := `{"source":"aws.s3","detail-type":"Object Created"}`

	// byEvents: the alarm counts a rule (TriggeredRules) that matches
	// every event of match and none of miss.
	type byEvents struct {
		match, miss       []map[string]any
		breachWhenMissing bool
	}
	// byLog: the alarm reads the metric of a filter on fn's log group whose
	// pattern is want.
	type byLog struct{ fn, pattern string }
	// byMetric: the alarm reads an AWS metric of the state machine or a
	// function.
	type byMetric struct {
		namespace, name, fn string
		periods             float64
	}
	classes := []struct {
		failure string
		how     any
	}{
		{"an execution fails (a task's error after its retries, LoadTargets or CheckStaleness failing, a payload over the limit)",
			byEvents{match: []map[string]any{status("FAILED", smRef, scheduleInput), status("FAILED", smRef, pulseInput)},
				miss: []map[string]any{status("FAILED", otherSM, scheduleInput), status("SUCCEEDED", smRef, scheduleInput)}}},
		{"an execution times out (stuck for the state machine's 1-hour timeout)",
			byEvents{match: []map[string]any{status("TIMED_OUT", smRef, scheduleInput)}, miss: []map[string]any{status("TIMED_OUT", otherSM, "{}")}}},
		{"an execution is aborted (stopped by hand or by medic check's second Ctrl-C)",
			byEvents{match: []map[string]any{status("ABORTED", smRef, "{}")}, miss: []map[string]any{status("RUNNING", smRef, "{}")}}},
		{"no scheduled run succeeds for twice the cadence (schedule deleted or disabled, its role broken, every scheduled run failing), even while pulse or alarm runs succeed",
			byEvents{breachWhenMissing: true,
				match: []map[string]any{status("SUCCEEDED", smRef, scheduleInput),
					{"source": "medic.deploy", "detail-type": "medic stack created", "detail": map[string]any{"stackId": map[string]any{"Ref": "AWS::StackId"}}}},
				miss: []map[string]any{status("SUCCEEDED", smRef, pulseInput), status("FAILED", smRef, scheduleInput),
					status("SUCCEEDED", otherSM, scheduleInput), status("SUCCEEDED", smRef, `{"trigger":"schedule","targets":["web"]}`)}}},
		{"Step Functions throttles a state transition", byMetric{namespace: "AWS/States", name: "ExecutionThrottled"}},
		{"an alert is rejected by a channel, dropped at its deadline, or its outcome cannot be recorded (notify's ERROR lines)",
			byLog{fn: "notify", pattern: `{ $.level = "ERROR" }`}},
		{"alert delivery fails in three runs in a row (a channel down, or Notify crashing or timing out)",
			byMetric{namespace: "AWS/Lambda", name: "Errors", fn: "notify", periods: 3}},
		{"targets are known but not monitored (a bad definition or pulse file, a pulse file deleted)",
			byLog{fn: "checkstaleness", pattern: `{ ($.message = "monitoring coverage") && ($.notMonitored > 0) }`}},
	}

	topic := []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}}
	alarms := s.resources("AWS::CloudWatch::Alarm")
	rules := s.resources("AWS::Events::Rule")
	filters := s.resources("AWS::Logs::MetricFilter")
	used := map[string]bool{}
	for _, c := range classes {
		var found []string
		for id, a := range alarms {
			p := a["Properties"].(map[string]any)
			if !reflect.DeepEqual(p["AlarmActions"], topic) || !reflect.DeepEqual(p["OKActions"], topic) {
				continue
			}
			dims := map[string]any{}
			for _, d := range asSlice(p["Dimensions"]) {
				d := d.(map[string]any)
				dims[d["Name"].(string)] = d["Value"]
			}
			ok := false
			switch h := c.how.(type) {
			case byEvents:
				ref, _ := dims["RuleName"].(map[string]any)
				rule, isRule := rules[fmt.Sprint(ref["Ref"])]
				if p["Namespace"] != "AWS/Events" || p["MetricName"] != "TriggeredRules" || !isRule {
					break
				}
				pattern := rule["Properties"].(map[string]any)["EventPattern"].(map[string]any)
				ok = true
				for _, e := range h.match {
					if !matches(t, pattern, e) {
						ok = false
					}
				}
				for _, e := range h.miss {
					if matches(t, pattern, e) {
						ok = false
					}
				}
				if h.breachWhenMissing {
					ok = ok && p["ComparisonOperator"] == "LessThanThreshold" && p["TreatMissingData"] == "breaching" &&
						p["Period"] == float64(2*s.stack.Settings.ScheduleMinutes*60)
				} else {
					ok = ok && p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
				}
			case byLog:
				for _, f := range filters {
					fp := f["Properties"].(map[string]any)
					tr := fp["MetricTransformations"].([]any)[0].(map[string]any)
					if fp["FilterPattern"] == h.pattern &&
						reflect.DeepEqual(fp["LogGroupName"], map[string]any{"Ref": s.logicalID(s.stack.Functions[h.fn].LogGroup())}) &&
						tr["MetricNamespace"] == p["Namespace"] && tr["MetricName"] == p["MetricName"] {
						ok = p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" && p["TreatMissingData"] == "notBreaching"
					}
				}
			case byMetric:
				want := smRef
				if h.fn != "" {
					want = map[string]any{"Ref": s.logicalID(s.stack.Functions[h.fn])}
				}
				periods := h.periods
				if periods == 0 {
					periods = 1
				}
				var got any = dims["StateMachineArn"]
				if h.fn != "" {
					got = dims["FunctionName"]
				}
				ok = p["Namespace"] == h.namespace && p["MetricName"] == h.name && reflect.DeepEqual(got, want) &&
					p["EvaluationPeriods"] == periods && p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
			}
			if ok {
				found = append(found, id)
				used[id] = true
			}
		}
		if len(found) == 0 {
			t.Errorf("no alarm pages the operator when %s", c.failure)
		}
	}
	for id := range alarms {
		if !used[id] {
			t.Errorf("alarm %s covers none of the listed failures: add its failure to the list", id)
		}
	}
}

// matches reports whether an EventBridge event pattern matches event, for
// the parts of the pattern language medic's rules use: exact values in
// arrays, nested objects, prefix and wildcard strings, and $or. Anything
// else fails the test, so that a rule cannot pass by using syntax this
// does not understand.
func matches(t *testing.T, pattern, event map[string]any) bool {
	t.Helper()
	for k, want := range pattern {
		if k == "$or" {
			matched := false
			for _, branch := range asSlice(want) {
				if matches(t, branch.(map[string]any), event) {
					matched = true
				}
			}
			if !matched {
				return false
			}
			continue
		}
		got, present := event[k]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !present || !ok || !matches(t, w, sub) {
				return false
			}
		case []any:
			if !present || !matchesValue(t, w, got) {
				return false
			}
		default:
			t.Fatalf("pattern field %s = %#v: not an array or object", k, want)
		}
	}
	return true
}

func matchesValue(t *testing.T, values []any, got any) bool {
	t.Helper()
	for _, v := range values {
		if m, ok := v.(map[string]any); ok {
			if _, isRef := m["Ref"]; isRef {
				if reflect.DeepEqual(m, got) {
					return true
				}
				continue
			}
			s, isString := got.(string)
			switch {
			case m["prefix"] != nil:
				if isString && strings.HasPrefix(s, m["prefix"].(string)) {
					return true
				}
			case m["wildcard"] != nil:
				w := m["wildcard"].(string)
				if isString && strings.HasPrefix(s, strings.TrimSuffix(w, "*")) && strings.Count(w, "*") == 1 && strings.HasSuffix(w, "*") {
					return true
				}
			default:
				b, _ := json.Marshal(m)
				t.Fatalf("pattern operator %s: not understood by this test", b)
			}
			continue
		}
		if reflect.DeepEqual(v, got) {
			return true
		}
	}
	return false
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
