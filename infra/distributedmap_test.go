package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestDistributedMapDefinition: the Distributed Map runs Express
// children, the state machine logs without execution data, and
// LoadTargets' batch size is the ItemBatcher's.
func TestDistributedMapDefinition(t *testing.T) {
	s := defaultStack(t)
	p := s.props(s.logicalID(s.stack.StateMachine))
	def, _ := p["DefinitionString"].(string)
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
	if env := s.props(s.logicalID(s.stack.Functions["loadtargets"]))["Environment"].(map[string]any)["Variables"].(map[string]any); env["MEDIC_BATCH_SIZE"] != "100" || env["MEDIC_MODE"] != nil {
		t.Errorf("loadtargets environment = %v, want the ItemBatcher's batch size and no mode", env)
	}
}

// TestDistributedMapIAM: the state machine may start, describe and stop
// only its own child executions and read only runs/; LoadTargets reads,
// writes and lists runs/ besides config/ and pulse/.
func TestDistributedMapIAM(t *testing.T) {
	s := defaultStack(t)
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
	want := map[string][]string{"s3:GetObject": {"config/", "pulse/", "runs/", "state/holds.json"}, "s3:PutObject": {"runs/"}, "s3:ListBucket": {"config/", "pulse/", "runs/", "state/holds.json"}}
	if !reflect.DeepEqual(lt, want) {
		t.Errorf("loadtargets S3 access = %v\nwant %v", lt, want)
	}
}

// TestEchoLifecycle: target lists expire after a day, echo objects after
// two (an active one is rewritten every run), and their old versions
// after a day.
func TestEchoLifecycle(t *testing.T) {
	s := defaultStack(t)
	rules := s.props(s.logicalID(s.stack.Bucket))["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
	found := map[string][2]any{}
	for _, r := range rules {
		m := r.(map[string]any)
		if p, ok := m["Prefix"].(string); ok && (p == "runs/" || p == "echo/batch/") {
			nv, _ := m["NoncurrentVersionExpiration"].(map[string]any)
			found[p] = [2]any{m["ExpirationInDays"], nv["NoncurrentDays"]}
			if m["Status"] != "Enabled" {
				t.Errorf("rule for %s is %v", p, m["Status"])
			}
		}
	}
	want := map[string][2]any{"runs/": {1.0, 1.0}, "echo/batch/": {2.0, 1.0}}
	if !reflect.DeepEqual(found, want) {
		t.Errorf("lifecycle rules (expiration, noncurrent days) = %v, want %v", found, want)
	}
}

func TestMapConcurrencySetting(t *testing.T) {
	s, err := ParseSettings(map[string]any{CtxMapConcurrency: 1000.0})
	if err != nil || s.MapConcurrency != 1000 {
		t.Fatalf("settings = %+v, %v", s, err)
	}
	if _, err := ParseSettings(map[string]any{CtxMapConcurrency: 10001.0}); err == nil || !strings.Contains(err.Error(), "from 1 to 10000") {
		t.Fatalf("map concurrency 10001: %v", err)
	}
	if _, err := ParseSettings(map[string]any{"scaleMode": true}); err == nil || !strings.Contains(err.Error(), "scaleMode") {
		t.Fatalf("the removed scaleMode setting: %v (want an error naming it)", err)
	}
}
