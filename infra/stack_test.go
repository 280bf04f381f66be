package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/statemachines"
)

func TestNagFindsNothingUnsuppressed(t *testing.T) {
	for _, f := range defaultStack(t).findings {
		t.Errorf("cdk-nag: %s", f)
	}
}

func TestResourceCounts(t *testing.T) {
	tpl := defaultStack(t).tpl
	for typ, n := range map[string]float64{
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::S3::Bucket":                  1,
		"AWS::Scheduler::Schedule":         1,
		"AWS::Events::Rule":                3, // pulse uploads and the two alarms' rules; no alarm rule without a prefix
		"AWS::CloudWatch::Alarm":           5,
		"AWS::SNS::Topic":                  1,
		"AWS::SecretsManager::Secret":      0, // secrets are SecureString parameters the operator creates
		"AWS::SSM::Parameter":              0,
		"Custom::CDKBucketDeployment":      1,
		"AWS::Logs::LogGroup":              6, // five functions and the state machine
	} {
		tpl.ResourceCountIs(jsii.String(typ), jsii.Number(n))
	}
	provided := defaultStack(t).tpl.FindResources(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Properties": map[string]any{"Runtime": "provided.al2023"},
	})
	if got := len(*provided); got != len(Tasks) {
		t.Errorf("%d provided.al2023 functions, want %d", got, len(Tasks))
	}
}

func TestFunctions(t *testing.T) {
	s := defaultStack(t)
	bucket := map[string]any{"Ref": s.logicalID(s.stack.Bucket)}
	wantEnv := map[string]map[string]any{
		"loadtargets":    {"MEDIC_CONFIG_KEY": "config/targets.yaml", "MEDIC_BATCH_SIZE": "100", "MEDIC_STALE_AFTER": "15m"},
		"probe":          {"MEDIC_ALLOW_NETWORKS": "public", "MEDIC_TARGET_SECRET_PARAMETER": "/medic/targets"},
		"writeecho":      {},
		"checkstaleness": {"MEDIC_CONFIG_KEY": "config/targets.yaml", "MEDIC_STALE_AFTER": "15m"},
		"notify": {
			"MEDIC_CONFIG_KEY":       "config/targets.yaml",
			"MEDIC_ALLOW_NETWORKS":   "public",
			"MEDIC_SECRET_PARAMETER": "/medic/channels",
			"MEDIC_SNS_TOPIC_ARN":    map[string]any{"Ref": s.logicalID(s.stack.Topic)},
		},
	}
	// 80% of each function's memory.
	goMemLimits := map[string]string{"loadtargets": "102MiB", "probe": "204MiB", "writeecho": "102MiB", "checkstaleness": "409MiB", "notify": "102MiB"}
	memory := map[string]float64{"loadtargets": 128, "probe": 256, "writeecho": 128, "checkstaleness": 512, "notify": 128}
	timeout := map[string]float64{"loadtargets": 30, "probe": 90, "writeecho": 30, "checkstaleness": 60, "notify": 60}
	for _, task := range Tasks {
		t.Run(task, func(t *testing.T) {
			p := s.props(s.logicalID(s.stack.Functions[task]))
			want := map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    memory[task],
				"Timeout":       timeout[task],
				"TracingConfig": map[string]any{"Mode": "Active"},
			}
			for k, v := range want {
				if !reflect.DeepEqual(p[k], v) {
					t.Errorf("%s = %#v, want %#v", k, p[k], v)
				}
			}
			logging := p["LoggingConfig"].(map[string]any)
			if logging["LogFormat"] != "JSON" || logging["LogGroup"] == nil {
				t.Errorf("LoggingConfig = %v, want JSON to its own log group", logging)
			}
			env := map[string]any{"MEDIC_BUCKET": bucket, "GOMEMLIMIT": goMemLimits[task]}
			for k, v := range wantEnv[task] {
				env[k] = v
			}
			got := p["Environment"].(map[string]any)["Variables"]
			if !reflect.DeepEqual(got, env) {
				t.Errorf("environment = %v\nwant %v", got, env)
			}
			key := p["Code"].(map[string]any)["S3Key"].(string)
			if !regexp.MustCompile(`^[0-9a-f]{64}\.zip$`).MatchString(key) {
				t.Errorf("code S3Key %q is not an asset hash", key)
			}
		})
	}
}

func TestLogRetention(t *testing.T) {
	defaultStack(t).tpl.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
}

// TestDefinition checks the definition in the template: the embedded one,
// with MapConcurrency rendered and every other placeholder substituted by
// CloudFormation with the matching function's ARN, and no substitution
// left unused.
func TestDefinition(t *testing.T) {
	s := defaultStack(t)
	p := s.props(s.logicalID(s.stack.StateMachine))
	def, ok := p["DefinitionString"].(string)
	if !ok {
		t.Fatalf("DefinitionString is %T, want the definition as a string", p["DefinitionString"])
	}
	want, err := statemachines.RenderSettings(statemachines.HealthCheck(), map[string]string{
		statemachines.MapConcurrency: "10", statemachines.BatchSize: "100", statemachines.ToleratedFailurePercentage: "10"})
	if err != nil {
		t.Fatal(err)
	}
	if def != want {
		t.Errorf("definition differs from the embedded one rendered with MapConcurrency 10, BatchSize 100")
	}
	subs := p["DefinitionSubstitutions"].(map[string]any)
	placeholders := statemachines.Placeholders(def)
	for _, ph := range placeholders {
		if _, ok := subs[ph]; !ok {
			t.Errorf("placeholder ${%s} has no substitution", ph)
		}
	}
	for name := range subs {
		if !slices.Contains(placeholders, name) {
			t.Errorf("substitution %s is not used by the definition", name)
		}
	}
	for task, ph := range statemachines.FunctionPlaceholders {
		wantArn := map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.Functions[task]), "Arn"}}
		if !reflect.DeepEqual(subs[ph], wantArn) {
			t.Errorf("%s = %v, want %v", ph, subs[ph], wantArn)
		}
	}
	var parsed struct {
		States map[string]struct{ MaxConcurrency any }
	}
	if err := json.Unmarshal([]byte(def), &parsed); err != nil {
		t.Fatalf("definition is not JSON: %v", err)
	}
	if mc := parsed.States["ProbeTargets"].MaxConcurrency; mc != 10.0 {
		t.Errorf("ProbeTargets.MaxConcurrency = %#v, want the number 10", mc)
	}
}

func TestStateMachine(t *testing.T) {
	s := defaultStack(t)
	s.tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"StateMachineType":     "STANDARD",
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": map[string]any{
			"Level":                "ALL",
			"IncludeExecutionData": false,
			"Destinations": []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{
				"LogGroupArn": assertions.Match_AnyValue(),
			}}},
		},
	})
	// Invoke on exactly the five functions, nothing else of Lambda.
	var want []any
	for _, task := range Tasks {
		want = append(want, map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.Functions[task]), "Arn"}})
	}
	var invoke []statement
	for _, st := range s.statementsOf(s.logicalID(s.stack.StateMachine.Role())) {
		if slices.ContainsFunc(st.actions(), func(a string) bool { return strings.HasPrefix(a, "lambda:") }) {
			invoke = append(invoke, st)
		}
	}
	if len(invoke) != 1 || !reflect.DeepEqual(invoke[0].actions(), []string{"lambda:InvokeFunction"}) ||
		!reflect.DeepEqual(invoke[0].resources(), want) {
		t.Errorf("state machine Lambda statements = %v, want InvokeFunction on %v", invoke, want)
	}
}

func TestSchedule(t *testing.T) {
	s := defaultStack(t)
	sm := map[string]any{"Ref": s.logicalID(s.stack.StateMachine)}
	s.tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"ScheduleExpression": "rate(10 minutes)",
		"State":              "ENABLED",
		"Target": map[string]any{
			"Arn":   sm,
			"Input": `{"trigger":"schedule"}`,
		},
	})
	for id, sched := range s.resources("AWS::Scheduler::Schedule") {
		role := sched["Properties"].(map[string]any)["Target"].(map[string]any)["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		assertOnlyStartsStateMachine(t, s, id, role, sm)
	}
}

func TestPulseRule(t *testing.T) {
	s := defaultStack(t)
	sm := map[string]any{"Ref": s.logicalID(s.stack.StateMachine)}
	s.tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventPattern": map[string]any{
			"source":      []any{"aws.s3"},
			"detail-type": []any{"Object Created"},
			"detail": map[string]any{
				"bucket": map[string]any{"name": []any{map[string]any{"Ref": s.logicalID(s.stack.Bucket)}}},
				"object": map[string]any{"key": []any{map[string]any{"wildcard": "pulse/*.json"}}},
			},
		},
		"State": "ENABLED",
	})
	for id, rule := range s.resources("AWS::Events::Rule") {
		targets, ok := rule["Properties"].(map[string]any)["Targets"].([]any)
		if !ok {
			continue // the alarms' rules only count events (TestEveryFailurePages)
		}
		if len(targets) != 1 {
			t.Fatalf("rule %s has %d targets, want 1", id, len(targets))
		}
		target := targets[0].(map[string]any)
		if !reflect.DeepEqual(target["Arn"], sm) {
			t.Errorf("rule %s targets %v, want the state machine", id, target["Arn"])
		}
		if target["Input"] != nil || target["InputPath"] != nil || target["InputTransformer"] != nil {
			t.Errorf("rule %s changes the input; the event itself must be the execution input", id)
		}
		role := target["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		assertOnlyStartsStateMachine(t, s, id, role, sm)
	}
}

// assertOnlyStartsStateMachine checks that role may do nothing but start
// the state machine.
func assertOnlyStartsStateMachine(t *testing.T, s *synthesized, what, role string, sm any) {
	t.Helper()
	sts := s.statementsOf(role)
	if len(sts) == 0 {
		t.Errorf("%s: role %s has no statements", what, role)
	}
	for _, st := range sts {
		if !reflect.DeepEqual(st.actions(), []string{"states:StartExecution"}) || !reflect.DeepEqual(st.resources(), []any{sm}) {
			t.Errorf("%s: role %s may %v on %v, want only states:StartExecution on the state machine", what, role, st.actions(), st.resources())
		}
	}
	if p := s.props(role); p["ManagedPolicyArns"] != nil {
		t.Errorf("%s: role %s has managed policies %v", what, role, p["ManagedPolicyArns"])
	}
}

func TestBucketSecurity(t *testing.T) {
	s := defaultStack(t)
	s.tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30}, "Status": "Enabled"}),
			assertions.Match_ObjectLike(&map[string]any{"Prefix": "echo/", "ExpirationInDays": 90}),
			assertions.Match_ObjectLike(&map[string]any{"Prefix": "state/settled/", "ExpirationInDays": 90}),
			assertions.Match_ObjectLike(&map[string]any{"Prefix": "state/dropped/", "ExpirationInDays": 90}),
			assertions.Match_ObjectLike(&map[string]any{"Prefix": "outbox/", "ExpirationInDays": 30}),
		})},
	})
	// TLS only: deny any request without aws:SecureTransport.
	s.tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"Bucket": map[string]any{"Ref": s.logicalID(s.stack.Bucket)},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Action":    "s3:*",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}),
		})},
	})
	// Object events go to EventBridge (the pulse rule depends on it).
	s.tpl.HasResourceProperties(jsii.String("Custom::S3BucketNotifications"), map[string]any{
		"BucketName":                map[string]any{"Ref": s.logicalID(s.stack.Bucket)},
		"NotificationConfiguration": map[string]any{"EventBridgeConfiguration": map[string]any{}},
	})
	// The example targets file is deployed into config/.
	s.tpl.HasResourceProperties(jsii.String("Custom::CDKBucketDeployment"), map[string]any{
		"DestinationBucketName":      map[string]any{"Ref": s.logicalID(s.stack.Bucket)},
		"DestinationBucketKeyPrefix": "config/",
	})
}

func TestTopicRequiresTLS(t *testing.T) {
	s := defaultStack(t)
	s.tpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"Topics": []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}),
		})},
	})
}

func TestAlarms(t *testing.T) {
	s := defaultStack(t)
	topic := []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}}
	sm := []any{map[string]any{"Name": "StateMachineArn", "Value": map[string]any{"Ref": s.logicalID(s.stack.StateMachine)}}}
	for _, a := range []struct {
		metric, comparison, missing string
		period                      float64
	}{
		{"ExecutionThrottled", "GreaterThanOrEqualToThreshold", "notBreaching", 300},
	} {
		s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace":          "AWS/States",
			"MetricName":         a.metric,
			"Dimensions":         sm,
			"Statistic":          "Sum",
			"Period":             a.period,
			"Threshold":          1,
			"EvaluationPeriods":  1,
			"ComparisonOperator": a.comparison,
			"TreatMissingData":   a.missing,
			"AlarmActions":       topic,
			"OKActions":          topic,
		})
	}
}

// TestAlertDeliveryAlarms: Notify's failures are caught by the state
// machine, so delivery problems get alarms of their own: any ERROR line of
// the notify function (a rejected or dropped alert), and function errors in
// three runs in a row (a channel that stays unreachable).
func TestAlertDeliveryAlarms(t *testing.T) {
	s := defaultStack(t)
	topic := []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}}
	notify := s.stack.Functions["notify"]
	s.tpl.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), map[string]any{
		"LogGroupName":  map[string]any{"Ref": s.logicalID(notify.LogGroup())},
		"FilterPattern": `{ $.level = "ERROR" }`,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "medic", "MetricName": "MonitorProblems", "MetricValue": "1",
		}},
	})
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": "medic", "MetricName": "MonitorProblems", "Statistic": "Maximum", "Period": 10 * 60,
		"Threshold": 1, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"TreatMissingData": "notBreaching", "AlarmActions": topic, "OKActions": topic,
	})
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": "AWS/Lambda", "MetricName": "Errors",
		"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": s.logicalID(notify)}}},
		"Statistic":  "Sum", "Period": 10 * 60, "Threshold": 1, "EvaluationPeriods": 3, "DatapointsToAlarm": 3,
		"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
		"AlarmActions": topic, "OKActions": topic,
	})
}

// TestCoverageAlarm: the stack alarms while CheckStaleness reports targets
// it does not monitor, reading the count from its once-a-run log line (in
// Lambda's JSON log format, the text is "message").
func TestCoverageAlarm(t *testing.T) {
	s := defaultStack(t)
	topic := []any{map[string]any{"Ref": s.logicalID(s.stack.Topic)}}
	s.tpl.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), map[string]any{
		"LogGroupName":  map[string]any{"Ref": s.logicalID(s.stack.Functions["checkstaleness"].LogGroup())},
		"FilterPattern": `{ ($.message = "monitoring coverage") && ($.notMonitored > 0) }`,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "medic", "MetricName": "MonitorProblems", "MetricValue": "$.notMonitored",
		}},
	})
	s.tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"Namespace": "medic", "MetricName": "MonitorProblems", "Statistic": "Maximum", "Period": 10 * 60,
		"Threshold": 1, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"TreatMissingData": "notBreaching", "AlarmActions": topic, "OKActions": topic,
	})
}

func TestOutputs(t *testing.T) {
	s := defaultStack(t)
	outputs := s.json["Outputs"].(map[string]any)
	for _, name := range []string{"StateMachineArn", "BucketName", "AlertsTopicArn", "ChannelSecretParameter", "TargetSecretParameter", "ConsoleUrl", "CheckCommand", "MedicCheckCommand"} {
		if outputs[name] == nil {
			t.Errorf("no output %s", name)
		}
	}
	flat := func(name string) string {
		b, _ := json.Marshal(outputs[name])
		return string(b)
	}
	for name, want := range map[string][]string{
		"ConsoleUrl":        {"console.aws.amazon.com/states/home?region=", "#/statemachines/view/"},
		"CheckCommand":      {"aws stepfunctions start-execution", "--state-machine-arn ", `--input '{\"targets\":[\"NAME\"]}'`},
		"MedicCheckCommand": {"AWS_REGION=", " medic check NAME --aws --state-machine-arn "},
	} {
		smRef := `{"Ref":"` + s.logicalID(s.stack.StateMachine) + `"}`
		for _, w := range append(want, smRef) {
			if !strings.Contains(flat(name), w) {
				t.Errorf("output %s = %s, want it to contain %s", name, flat(name), w)
			}
		}
	}
}

// TestCDKJSONMatchesDefaults keeps cdk.json's context and the app command in
// step with DefaultSettings and cmd/synth.
func TestCDKJSONMatchesDefaults(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.App != "go run ./cmd/synth" {
		t.Errorf("cdk.json app = %q", cfg.App)
	}
	for _, k := range ContextKeys {
		if _, ok := cfg.Context[k]; !ok {
			t.Errorf("cdk.json has no default for %s", k)
		}
	}
	got, err := ParseSettings(cfg.Context)
	if err != nil {
		t.Fatal(err)
	}
	if got != DefaultSettings() {
		t.Errorf("cdk.json context = %+v, want DefaultSettings %+v", got, DefaultSettings())
	}
}

func TestMissingEntryPointIsAClearError(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewStack(nil, "Medic", &StackProps{Settings: DefaultSettings(), RepoRoot: root})
	if err == nil || !strings.Contains(err.Error(), "task loadtargets has no Lambda entry point") {
		t.Errorf("NewStack without tasks: err = %v", err)
	}
}
