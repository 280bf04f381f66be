package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/medic-dev/medic/statemachines"
)

// scaleSynth is the stack with scaleMode=true (given as `cdk synth -c
// scaleMode=true` gives it), synthesized once per test process, on first
// use. The function assets come from CDK's cache.
var scaleSynth = struct {
	once sync.Once
	s    *synthesized
	err  error
}{}

func scaleStack(t testing.TB) *synthesized {
	t.Helper()
	scaleSynth.once.Do(func() {
		scaleSynth.s, scaleSynth.err = synth(map[string]any{CtxScaleMode: "true", CtxMapConcurrency: "100"}, nil)
	})
	if scaleSynth.err != nil {
		t.Fatalf("synthesize the scale-mode stack: %v", scaleSynth.err)
	}
	return scaleSynth.s
}

func TestScaleModeNagFindsNothingUnsuppressed(t *testing.T) {
	for _, f := range scaleStack(t).findings {
		t.Errorf("cdk-nag: %s", f)
	}
}

// TestScaleModeDefinition: the scale definition, with its numeric
// settings rendered, every function placeholder substituted.
func TestScaleModeDefinition(t *testing.T) {
	s := scaleStack(t)
	p := s.props(s.logicalID(s.stack.StateMachine))
	def, _ := p["DefinitionString"].(string)
	want, err := statemachines.RenderSettings(statemachines.HealthCheckScale(), map[string]string{
		statemachines.MapConcurrency: "100", statemachines.BatchSize: "100",
		statemachines.ToleratedFailurePercentage: "10",
	})
	if err != nil {
		t.Fatal(err)
	}
	if def != want {
		t.Fatalf("definition differs from the scale definition rendered with MapConcurrency 100, BatchSize 100")
	}
	subs := p["DefinitionSubstitutions"].(map[string]any)
	placeholders := statemachines.Placeholders(def)
	if len(placeholders) != len(subs) {
		t.Errorf("placeholders %v, substitutions %v", placeholders, subs)
	}
	for _, ph := range placeholders {
		if _, ok := subs[ph]; !ok {
			t.Errorf("placeholder ${%s} has no substitution", ph)
		}
	}
	var parsed struct {
		States map[string]struct {
			ItemProcessor struct {
				ProcessorConfig struct{ Mode, ExecutionType string }
			}
		}
	}
	if err := json.Unmarshal([]byte(def), &parsed); err != nil {
		t.Fatal(err)
	}
	if pc := parsed.States["ProbeTargets"].ItemProcessor.ProcessorConfig; pc.Mode != "DISTRIBUTED" || pc.ExecutionType != "EXPRESS" {
		t.Errorf("ProcessorConfig = %+v", pc)
	}
	logging := p["LoggingConfiguration"].(map[string]any)
	if logging["IncludeExecutionData"] != false || logging["Level"] != "ALL" {
		t.Errorf("logging = %v, want level ALL without execution data (the Express children would log every result)", logging)
	}
	if env := s.props(s.logicalID(s.stack.Functions["loadtargets"]))["Environment"].(map[string]any)["Variables"].(map[string]any); env["MEDIC_MODE"] != "scale" || env["MEDIC_BATCH_SIZE"] != "100" {
		t.Errorf("loadtargets environment = %v, want MEDIC_MODE=scale and the ItemBatcher's batch size", env)
	}
}

// TestScaleModeIAM: the state machine may start, describe and stop only
// its own child executions and read only runs/; LoadTargets reads, writes
// and lists runs/ besides its inline access.
func TestScaleModeIAM(t *testing.T) {
	s := scaleStack(t)
	smID := s.logicalID(s.stack.StateMachine)
	bucketArn := map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.Bucket), "Arn"}}
	got := map[string][]string{}
	for _, st := range s.statementsOf(s.logicalID(s.stack.StateMachine.Role())) {
		for _, a := range st.actions() {
			for _, r := range st.resources() {
				b, _ := json.Marshal(r)
				got[a] = append(got[a], string(b))
			}
		}
	}
	smArn, _ := json.Marshal(map[string]any{"Ref": smID})
	if !reflect.DeepEqual(got["states:StartExecution"], []string{string(smArn)}) {
		t.Errorf("StartExecution on %v, want only the state machine %s", got["states:StartExecution"], smArn)
	}
	for _, a := range []string{"states:DescribeExecution", "states:StopExecution"} {
		rs := got[a]
		if len(rs) != 1 || !strings.Contains(rs[0], `":execution:"`) || !strings.Contains(rs[0], `"Fn::GetAtt":["`+smID+`","Name"]`) || !strings.Contains(rs[0], `"/*"`) {
			t.Errorf("%s on %v, want execution:<this state machine's name>/*", a, rs)
		}
	}
	var reads []string
	for _, st := range s.statementsOf(s.logicalID(s.stack.StateMachine.Role())) {
		if slices.Contains(st.actions(), "s3:GetObject") {
			for _, r := range st.resources() {
				p, ok := objectPrefix(r, bucketArn)
				if !ok {
					t.Errorf("state machine s3:GetObject on %v", r)
				}
				reads = append(reads, p)
			}
		}
		for _, a := range st.actions() {
			if strings.HasPrefix(a, "s3:") && a != "s3:GetObject" {
				t.Errorf("state machine role has %s", a)
			}
		}
	}
	if !reflect.DeepEqual(reads, []string{"runs/"}) {
		t.Errorf("state machine reads %v, want runs/ only", reads)
	}

	lt := map[string][]string{}
	for _, st := range s.statementsOf(s.logicalID(s.stack.Functions["loadtargets"].Role())) {
		for _, a := range st.actions() {
			if a == "s3:ListBucket" {
				cond, _ := st["Condition"].(map[string]any)["StringLike"].(map[string]any)
				for _, p := range stringsOf(cond["s3:prefix"]) {
					lt[a] = append(lt[a], strings.TrimSuffix(p, "*"))
				}
				continue
			}
			if !strings.HasPrefix(a, "s3:") {
				continue
			}
			for _, r := range st.resources() {
				if p, ok := objectPrefix(r, bucketArn); ok {
					lt[a] = append(lt[a], p)
				}
			}
		}
	}
	for a := range lt {
		slices.Sort(lt[a])
	}
	// state/holds.json: the pauses LoadTargets skips (docs/status.md).
	want := map[string][]string{"s3:GetObject": {"config/", "pulse/", "runs/", "state/holds.json"}, "s3:PutObject": {"runs/"}, "s3:ListBucket": {"config/", "pulse/", "runs/", "state/holds.json"}}
	if !reflect.DeepEqual(lt, want) {
		t.Errorf("loadtargets S3 access = %v\nwant %v", lt, want)
	}
}

// TestScaleModeLifecycle: target lists expire after a day, batch echoes
// after two (an active one is rewritten every run).
func TestScaleModeLifecycle(t *testing.T) {
	check := func(s *synthesized, wantScaleRules bool) {
		t.Helper()
		rules := s.props(s.logicalID(s.stack.Bucket))["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
		found := map[string]float64{}
		for _, r := range rules {
			m := r.(map[string]any)
			if p, ok := m["Prefix"].(string); ok && (p == "runs/" || p == "echo/batch/") {
				found[p] = m["ExpirationInDays"].(float64)
				if m["Status"] != "Enabled" {
					t.Errorf("rule for %s is %v", p, m["Status"])
				}
			}
		}
		want := map[string]float64{}
		if wantScaleRules {
			want = map[string]float64{"runs/": 1, "echo/batch/": 2}
		}
		if !reflect.DeepEqual(found, want) {
			t.Errorf("scale lifecycle rules = %v, want %v", found, want)
		}
	}
	check(scaleStack(t), true)
	check(defaultStack(t), false)
}

func TestScaleModeSettings(t *testing.T) {
	s, err := ParseSettings(map[string]any{CtxScaleMode: true, CtxMapConcurrency: 1000.0})
	if err != nil || !s.ScaleMode || s.MapConcurrency != 1000 || s.Mode() != "scale" {
		t.Fatalf("scale settings = %+v, %v", s, err)
	}
	if _, err := ParseSettings(map[string]any{CtxMapConcurrency: 1000.0}); err == nil || !strings.Contains(err.Error(), "from 1 to 40") {
		t.Fatalf("inline map concurrency 1000: %v", err)
	}
	if _, err := ParseSettings(map[string]any{CtxScaleMode: "sometimes"}); err == nil || !strings.Contains(err.Error(), "scaleMode") {
		t.Fatalf("scaleMode=sometimes: %v", err)
	}
	if DefaultSettings().ScaleMode || DefaultSettings().Mode() != "inline" {
		t.Fatalf("the default is not the inline mode")
	}
}
