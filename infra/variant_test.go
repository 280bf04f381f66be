package infra

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestSettingsReachTheStack synthesizes with every setting changed, given
// as `cdk synth -c key=value` gives them (strings), in a concrete account
// and region as the CDK CLI sets them. The function assets come from CDK's
// cache, so nothing is rebuilt.
func TestSettingsReachTheStack(t *testing.T) {
	const (
		channelParam = "/prod/medic/channels"
		targetParam  = "prod-medic-targets"
		keyArn       = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	)
	s, err := synth(map[string]any{
		CtxScheduleMinutes:       "5",
		CtxStaleAfter:            "30m",
		CtxBatchSize:             "1",
		CtxMapConcurrency:        "3",
		CtxAlarmNamePrefix:       "web-",
		CtxSecretParameter:       channelParam,
		CtxTargetSecretParameter: targetParam,
		CtxSecretKeyArn:          keyArn,
		CtxLogRetentionDays:      "7",
		CtxAllowPrivateNetworks:  "true",
	}, &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.findings {
		t.Errorf("cdk-nag: %s", f)
	}

	s.tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{"ScheduleExpression": "rate(5 minutes)"})
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": "TriggeredRules", "ComparisonOperator": "LessThanThreshold", "Period": 600})
	s.tpl.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 7})

	env := func(task string) map[string]any {
		return s.props(s.logicalID(s.stack.Functions[task]))["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	for task, want := range map[string]map[string]any{
		"loadtargets":    {"MEDIC_BATCH_SIZE": "1", "MEDIC_STALE_AFTER": "30m"},
		"checkstaleness": {"MEDIC_STALE_AFTER": "30m"},
		"probe":          {"MEDIC_ALLOW_NETWORKS": "private", "MEDIC_TARGET_SECRET_PARAMETER": targetParam},
		"notify":         {"MEDIC_SECRET_PARAMETER": channelParam, "MEDIC_ALLOW_NETWORKS": "private"},
	} {
		for k, v := range want {
			if got := env(task)[k]; got != v {
				t.Errorf("%s %s = %v, want %v", task, k, got, v)
			}
		}
	}

	def := s.props(s.logicalID(s.stack.StateMachine))["DefinitionString"].(string)
	var parsed struct {
		States map[string]struct{ MaxConcurrency any }
	}
	if err := json.Unmarshal([]byte(def), &parsed); err != nil {
		t.Fatal(err)
	}
	if mc := parsed.States["ProbeTargets"].MaxConcurrency; mc != 3.0 {
		t.Errorf("MaxConcurrency = %#v, want 3", mc)
	}

	// Each function reads its own parameter, in the stack's account and
	// region, and may decrypt with the customer managed key only through
	// Parameter Store and only for that parameter.
	for task, want := range map[string]string{
		"notify": "arn:<AWS::Partition>:ssm:eu-west-1:123456789012:parameter/prod/medic/channels",
		"probe":  "arn:<AWS::Partition>:ssm:eu-west-1:123456789012:parameter/prod-medic-targets",
	} {
		var reads, decrypts []statement
		for _, st := range s.statementsOf(s.logicalID(s.stack.Functions[task].Role())) {
			switch {
			case reflect.DeepEqual(st.actions(), []string{"ssm:GetParameter"}):
				reads = append(reads, st)
			case reflect.DeepEqual(st.actions(), []string{"kms:Decrypt"}):
				decrypts = append(decrypts, st)
			}
		}
		if len(reads) != 1 || len(reads[0].resources()) != 1 || arnText(reads[0].resources()[0]) != want {
			t.Errorf("%s reads parameters %v, want %s", task, reads, want)
		}
		cond, _ := json.Marshal(map[string]any{"StringEquals": map[string]any{
			"kms:EncryptionContext:PARAMETER_ARN": want, "kms:ViaService": "ssm.eu-west-1.amazonaws.com"}})
		if len(decrypts) != 1 || !reflect.DeepEqual(decrypts[0].resources(), []any{keyArn}) || flatCondition(decrypts[0]) != string(cond) {
			t.Errorf("%s decrypts %v, want kms:Decrypt on %s via ssm for %s", task, decrypts, keyArn, want)
		}
	}

	// The alarm rule exists with the prefix and starts the state machine
	// with the event as input.
	sm := map[string]any{"Ref": s.logicalID(s.stack.StateMachine)}
	var alarmRules int
	for id, rule := range s.resources("AWS::Events::Rule") {
		p := rule["Properties"].(map[string]any)
		pattern := p["EventPattern"].(map[string]any)
		if !reflect.DeepEqual(pattern["source"], []any{"aws.cloudwatch"}) {
			continue
		}
		alarmRules++
		want := map[string]any{
			"source":      []any{"aws.cloudwatch"},
			"detail-type": []any{"CloudWatch Alarm State Change"},
			"detail": map[string]any{
				"alarmName": []any{map[string]any{"prefix": "web-"}},
				"state":     map[string]any{"value": []any{"ALARM", "OK"}},
			},
		}
		if !reflect.DeepEqual(pattern, want) {
			t.Errorf("alarm rule pattern = %v\nwant %v", pattern, want)
		}
		target := p["Targets"].([]any)[0].(map[string]any)
		if !reflect.DeepEqual(target["Arn"], sm) || target["Input"] != nil {
			t.Errorf("alarm rule target = %v, want the state machine with the event as input", target)
		}
		assertOnlyStartsStateMachine(t, s, id, target["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string), sm)
	}
	if alarmRules != 1 {
		t.Errorf("%d alarm rules, want 1", alarmRules)
	}
}

// TestAssetHashIsReproducible rebuilds every function from scratch (CDK's
// asset cache cleared) and expects the same asset hashes: an unchanged
// function is not redeployed.
func TestAssetHashIsReproducible(t *testing.T) {
	keys := func(s *synthesized) map[string]string {
		out := map[string]string{}
		for _, task := range Tasks {
			out[task] = s.props(s.logicalID(s.stack.Functions[task]))["Code"].(map[string]any)["S3Key"].(string)
		}
		return out
	}
	first := keys(defaultStack(t)) // built before the cache is cleared
	awscdk.AssetStaging_ClearAssetHashCache()
	again, err := synth(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := keys(again)
	if !reflect.DeepEqual(first, second) {
		t.Errorf("asset hashes differ between two builds:\n%v\n%v", first, second)
	}
	seen := map[string]string{}
	for task, k := range first {
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s have the same asset %s", task, other, k)
		}
		seen[k] = task
		if !strings.HasSuffix(k, ".zip") {
			t.Errorf("%s asset %s", task, k)
		}
	}
}

// flatCondition is a statement's Condition as JSON, each Fn::Join rendered
// as text.
func flatCondition(st statement) string {
	var walk func(v any) any
	walk = func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		if _, join := m["Fn::Join"]; join {
			return arnText(m)
		}
		out := map[string]any{}
		for k, x := range m {
			out[k] = walk(x)
		}
		return out
	}
	b, _ := json.Marshal(walk(st["Condition"]))
	return string(b)
}
