package infra

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// alarmDelivery walks a synthesized template from every alarm's actions
// (AlarmActions, OKActions, InsufficientDataActions) to the SNS topics they
// name and to those topics' policies, and reports every alarm notification
// CloudWatch could not publish. It returns how many alarms have an SNS
// action. A topic with no AWS::SNS::TopicPolicy keeps SNS's default policy,
// which lets the owning account's services publish. With a topic policy,
// publishing needs an Allow for the cloudwatch.amazonaws.com service on
// sns:Publish and the topic, conditioned on aws:SourceAccount and on an
// aws:SourceArn that names this alarm, and no Deny that applies to it (a
// Deny on aws:SecureTransport false does not: CloudWatch publishes over
// TLS).
func alarmDelivery(tpl map[string]any) (alarms int, problems []string) {
	resources, _ := tpl["Resources"].(map[string]any)
	typeOf := func(id string) string {
		r, _ := resources[id].(map[string]any)
		t, _ := r["Type"].(string)
		return t
	}
	policies := map[string][]map[string]any{} // topic ID → its policies' statements
	for _, id := range sortedKeys(resources) {
		r := resources[id].(map[string]any)
		if r["Type"] != "AWS::SNS::TopicPolicy" {
			continue
		}
		p, _ := r["Properties"].(map[string]any)
		doc, _ := p["PolicyDocument"].(map[string]any)
		var statements []map[string]any
		for _, s := range asList(doc["Statement"]) {
			if m, ok := s.(map[string]any); ok {
				statements = append(statements, m)
			}
		}
		for _, topic := range asList(p["Topics"]) {
			if ref, ok := refOf(topic); ok {
				policies[ref] = append(policies[ref], statements...)
			}
		}
	}
	for _, alarmID := range sortedKeys(resources) {
		if typeOf(alarmID) != "AWS::CloudWatch::Alarm" {
			continue
		}
		props, _ := resources[alarmID].(map[string]any)["Properties"].(map[string]any)
		hasSNS := false
		for _, key := range []string{"AlarmActions", "OKActions", "InsufficientDataActions"} {
			for _, action := range asList(props[key]) {
				if s, ok := action.(string); ok && strings.Contains(s, ":sns:") {
					hasSNS = true
					problems = append(problems, fmt.Sprintf("alarm %s %s: topic %s is outside the template; its policy cannot be checked", alarmID, key, s))
					continue
				}
				topicID, ok := refOf(action)
				if !ok || typeOf(topicID) != "AWS::SNS::Topic" {
					continue
				}
				hasSNS = true
				statements, ok := policies[topicID]
				if !ok {
					continue // SNS's default policy
				}
				if why := cloudWatchMayPublish(statements, topicID, alarmID); why != "" {
					problems = append(problems, fmt.Sprintf("alarm %s %s: CloudWatch may not publish to topic %s: %s", alarmID, key, topicID, why))
				}
			}
		}
		if hasSNS {
			alarms++
		}
	}
	return alarms, problems
}

// cloudWatchMayPublish says why the statements do not let CloudWatch
// publish alarmID's notification to topicID ("" when they do).
func cloudWatchMayPublish(statements []map[string]any, topicID, alarmID string) string {
	allowed := false
	var why []string
	for _, s := range statements {
		applies := principalIs(s["Principal"], "cloudwatch.amazonaws.com") && actionCovers(s["Action"], "sns:publish") && resourceCovers(s["Resource"], topicID)
		switch s["Effect"] {
		case "Deny":
			if (applies || principalIs(s["Principal"], "*")) && !onlyInsecureTransport(s["Condition"]) {
				return fmt.Sprintf("statement %v denies it", s["Sid"])
			}
		case "Allow":
			if !applies {
				continue
			}
			cond, _ := s["Condition"].(map[string]any)
			switch {
			case !conditionHas(cond, "aws:SourceAccount", func(v any) bool { return isAccount(v) }):
				why = append(why, fmt.Sprintf("statement %v has no aws:SourceAccount condition on this account", s["Sid"]))
			case !conditionHas(cond, "aws:SourceArn", func(v any) bool { return isArnOf(v, alarmID) }):
				why = append(why, fmt.Sprintf("statement %v has no aws:SourceArn condition naming the alarm", s["Sid"]))
			default:
				allowed = true
			}
		}
	}
	if allowed {
		return ""
	}
	if len(why) == 0 {
		return "no statement allows cloudwatch.amazonaws.com to sns:Publish (no resource-based policy allows the SNS:Publish action)"
	}
	return strings.Join(why, "; ")
}

func principalIs(p any, service string) bool {
	if p == "*" {
		return service == "*"
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	if service == "*" {
		for _, v := range m {
			for _, x := range asList(v) {
				if x == "*" {
					return true
				}
			}
		}
		return false
	}
	for _, x := range asList(m["Service"]) {
		if x == service {
			return true
		}
	}
	return false
}

func actionCovers(a any, action string) bool {
	for _, x := range asList(a) {
		s, _ := x.(string)
		s = strings.ToLower(s)
		if s == action || s == "sns:*" || s == "*" {
			return true
		}
	}
	return false
}

func resourceCovers(r any, topicID string) bool {
	for _, x := range asList(r) {
		if x == "*" {
			return true
		}
		if ref, ok := refOf(x); ok && ref == topicID {
			return true
		}
	}
	return false
}

// onlyInsecureTransport reports whether a Deny's condition limits it to
// requests without TLS.
func onlyInsecureTransport(c any) bool {
	want := map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}
	return reflect.DeepEqual(c, want)
}

// conditionHas reports whether any operator of cond tests key (condition
// keys are case-insensitive) with a value ok accepts.
func conditionHas(cond map[string]any, key string, ok func(any) bool) bool {
	for _, op := range cond {
		m, _ := op.(map[string]any)
		for k, v := range m {
			if !strings.EqualFold(k, key) {
				continue
			}
			for _, x := range asList(v) {
				if ok(x) {
					return true
				}
			}
		}
	}
	return false
}

func isAccount(v any) bool {
	if ref, ok := refOf(v); ok {
		return ref == "AWS::AccountId"
	}
	s, _ := v.(string)
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

func isArnOf(v any, id string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	return reflect.DeepEqual(m["Fn::GetAtt"], []any{id, "Arn"})
}

func refOf(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["Ref"].(string)
	return s, ok
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestAlarmsCanPublishToTheirTopic walks the default stack's template from
// every alarm's actions to the Alerts topic's policy.
func TestAlarmsCanPublishToTheirTopic(t *testing.T) {
	s := defaultStack(t)
	alarms, problems := alarmDelivery(s.json)
	if alarms == 0 {
		t.Fatal("no alarm with an SNS action: the check matched nothing")
	}
	if want := len(s.resources("AWS::CloudWatch::Alarm")); alarms != want {
		t.Errorf("%d alarms notify a topic, want all %d", alarms, want)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestAlarmDeliveryWalker checks the walker itself on small templates, so
// that TestAlarmsCanPublishToTheirTopic cannot pass by checking nothing.
func TestAlarmDeliveryWalker(t *testing.T) {
	alarm := func(actions ...any) map[string]any {
		return map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{"AlarmActions": actions, "OKActions": actions}}
	}
	topicRef := map[string]any{"Ref": "Topic"}
	denyInsecure := map[string]any{"Sid": "EnforceSSL", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": topicRef,
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}
	allow := func(cond map[string]any) map[string]any {
		return map[string]any{"Sid": "Allow", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Resource": topicRef, "Condition": cond}
	}
	scoped := map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
		"ArnEquals":    map[string]any{"aws:SourceArn": []any{map[string]any{"Fn::GetAtt": []any{"Alarm", "Arn"}}}},
	}
	policy := func(statements ...any) map[string]any {
		return map[string]any{"Type": "AWS::SNS::TopicPolicy", "Properties": map[string]any{
			"Topics": []any{topicRef}, "PolicyDocument": map[string]any{"Statement": statements}}}
	}
	template := func(res map[string]any) map[string]any {
		res["Topic"] = map[string]any{"Type": "AWS::SNS::Topic"}
		return map[string]any{"Resources": res}
	}
	tests := []struct {
		name       string
		tpl        map[string]any
		wantAlarms int
		wantIn     string // in the problems; "" means none
	}{
		{"no alarm at all", template(map[string]any{}), 0, ""},
		{"only the EnforceSSL deny", template(map[string]any{"Alarm": alarm(topicRef), "Policy": policy(denyInsecure)}), 1,
			"no resource-based policy allows the SNS:Publish action"},
		{"allow without conditions", template(map[string]any{"Alarm": alarm(topicRef), "Policy": policy(denyInsecure, allow(nil))}), 1,
			"no aws:SourceAccount condition"},
		{"allow for another alarm", template(map[string]any{"Alarm": alarm(topicRef), "Policy": policy(denyInsecure, allow(map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
			"ArnEquals":    map[string]any{"aws:SourceArn": []any{map[string]any{"Fn::GetAtt": []any{"Other", "Arn"}}}},
		}))}), 1, "no aws:SourceArn condition naming the alarm"},
		{"an unconditional deny", template(map[string]any{"Alarm": alarm(topicRef), "Policy": policy(allow(scoped),
			map[string]any{"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": "*"})}), 1, "denies it"},
		{"topic outside the template", template(map[string]any{"Alarm": alarm("arn:aws:sns:us-east-1:123456789012:elsewhere")}), 1, "outside the template"},
		{"scoped allow", template(map[string]any{"Alarm": alarm(topicRef), "Policy": policy(denyInsecure, allow(scoped))}), 1, ""},
		{"default topic policy", template(map[string]any{"Alarm": alarm(topicRef)}), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alarms, problems := alarmDelivery(tt.tpl)
			if alarms != tt.wantAlarms {
				t.Errorf("alarms = %d, want %d", alarms, tt.wantAlarms)
			}
			got := strings.Join(problems, "\n")
			if (tt.wantIn == "") != (got == "") || !strings.Contains(got, tt.wantIn) {
				t.Errorf("problems = %q, want them to contain %q", got, tt.wantIn)
			}
		})
	}
}
