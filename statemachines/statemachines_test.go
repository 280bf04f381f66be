package statemachines

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// definitions is the definition: as written, its numeric settings, and
// rendered for the local engine. (A list, so a second definition would
// have to pass the same checks.)
var definitions = []struct {
	file     string
	raw      func() string
	numeric  []string
	rendered func() (string, error)
}{
	{"healthcheck.asl.json", HealthCheck, []string{MapConcurrency, BatchSize, ToleratedFailurePercentage}, LocalDefault},
}

// TestOneDefinition: medic has one definition for every fleet size; a
// second *.asl.json would bring back a mode switch.
func TestOneDefinition(t *testing.T) {
	files, err := filepath.Glob("*.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{"healthcheck.asl.json"}) {
		t.Fatalf("definitions in statemachines/ = %v, want only healthcheck.asl.json", files)
	}
}

func TestDefinitionIsValidJSONAsWritten(t *testing.T) {
	for _, d := range definitions {
		var v map[string]any
		if err := json.Unmarshal([]byte(d.raw()), &v); err != nil {
			t.Errorf("%s is not valid JSON: %v", d.file, err)
		}
		def, err := d.rendered()
		if err != nil {
			t.Fatalf("%s: %v", d.file, err)
		}
		if err := json.Unmarshal([]byte(def), &v); err != nil {
			t.Errorf("%s rendered is not valid JSON: %v", d.file, err)
		}
	}
}

// TestExecutionsAreBounded: a Standard execution may otherwise run for a
// year; a run stuck in a task must end as TIMED_OUT, which the stack's
// ExecutionsTimedOut alarm reports, well before runs pile up.
func TestExecutionsAreBounded(t *testing.T) {
	for _, d := range definitions {
		var v struct{ TimeoutSeconds int }
		if err := json.Unmarshal([]byte(d.raw()), &v); err != nil {
			t.Fatal(err)
		}
		if v.TimeoutSeconds <= 0 || v.TimeoutSeconds > 3600 {
			t.Errorf("%s: TimeoutSeconds = %d, want a bound from 1 s to an hour", d.file, v.TimeoutSeconds)
		}
	}
}

func TestEveryPlaceholderHasAValueAndEveryValueAPlaceholder(t *testing.T) {
	for _, d := range definitions {
		t.Run(d.file, func(t *testing.T) {
			got := Placeholders(d.raw())
			want := slices.Clone(d.numeric)
			for _, ph := range FunctionPlaceholders {
				want = append(want, ph)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("placeholders in the definition = %v, values provided for %v", got, want)
			}
			for _, n := range d.numeric {
				if !strings.Contains(d.raw(), `"${`+n+`}"`) {
					t.Errorf("numeric placeholder %s is not written as the whole string \"${%s}\"", n, n)
				}
			}
			def, err := d.rendered()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(def, "${") {
				t.Fatalf("rendered definition still has a placeholder")
			}
		})
	}
}

// TestSettingsRenderAsNumbers checks each numeric setting lands in its
// field as a bare number.
func TestSettingsRenderAsNumbers(t *testing.T) {
	def, err := Local(7, 42, 15)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		States map[string]struct {
			MaxConcurrency             any `json:"MaxConcurrency"`
			ToleratedFailurePercentage any `json:"ToleratedFailurePercentage"`
			ItemBatcher                struct {
				MaxItemsPerBatch any `json:"MaxItemsPerBatch"`
			} `json:"ItemBatcher"`
		} `json:"States"`
	}
	if err := json.Unmarshal([]byte(def), &root); err != nil {
		t.Fatal(err)
	}
	m := root.States["ProbeTargets"]
	if m.MaxConcurrency != 7.0 || m.ItemBatcher.MaxItemsPerBatch != 42.0 || m.ToleratedFailurePercentage != 15.0 {
		t.Fatalf("ProbeTargets = %+v, want MaxConcurrency 7, MaxItemsPerBatch 42, ToleratedFailurePercentage 15", m)
	}
	for _, bad := range [][3]int{{0, 100, 10}, {10, 0, 10}, {10, 100, 101}, {10, 100, -1}} {
		if _, err := Local(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("Local%v: no error", bad)
		}
	}
}

// TestDefinitionShape pins what the tasks rely on in the definition: the
// ItemReader reads the list LoadTargets wrote, a batch's Items and
// BatchInput.run reach Probe, each child's output names its echo object,
// children are Express executions, and Notify gets CheckStaleness' count
// of pending alerts.
func TestDefinitionShape(t *testing.T) {
	def, err := LocalDefault()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal([]byte(def), &root); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = root
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: not an object at %s", strings.Join(path, "."), p)
			}
			v = m[p]
		}
		return v
	}
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"States", "ProbeTargets", "ItemReader", "Resource"}, "arn:aws:states:::s3:getObject"},
		{[]string{"States", "ProbeTargets", "ItemReader", "ReaderConfig", "InputType"}, "JSON"},
		{[]string{"States", "ProbeTargets", "ItemReader", "Parameters", "Bucket.$"}, "$.targetList.bucket"},
		{[]string{"States", "ProbeTargets", "ItemReader", "Parameters", "Key.$"}, "$.targetList.key"},
		{[]string{"States", "ProbeTargets", "ItemBatcher", "BatchInput", "run.$"}, "$$.Execution.Name"},
		{[]string{"States", "ProbeTargets", "ItemProcessor", "ProcessorConfig", "Mode"}, "DISTRIBUTED"},
		{[]string{"States", "ProbeTargets", "ItemProcessor", "ProcessorConfig", "ExecutionType"}, "EXPRESS"},
		{[]string{"States", "ProbeTargets", "ItemProcessor", "States", "Probe", "Parameters", "Payload", "targets.$"}, "$.Items"},
		{[]string{"States", "ProbeTargets", "ItemProcessor", "States", "Probe", "Parameters", "Payload", "run.$"}, "$.BatchInput.run"},
		{[]string{"States", "ProbeTargets", "ItemProcessor", "States", "WriteEcho", "ResultSelector", "echo.$"}, "$.Payload.echo"},
		{[]string{"States", "ProbeTargets", "ItemProcessor", "States", "WriteEcho", "ResultSelector", "written.$"}, "$.Payload.written"},
		{[]string{"States", "CheckStaleness", "Next"}, "Notify"},
		{[]string{"States", "Notify", "Parameters", "Payload", "pending.$"}, "$.pending"},
		{[]string{"States", "ProbeTargets", "Catch"}, nil},
		{[]string{"States", "CheckStaleness", "Parameters", "Payload", "loaded.$"}, "$.summary"},
	}
	for _, c := range checks {
		got := get(c.path...)
		if c.want == nil {
			if got == nil {
				t.Errorf("%s is missing", strings.Join(c.path, "."))
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	for _, task := range []string{"Probe", "WriteEcho"} {
		if get("States", "ProbeTargets", "ItemProcessor", "States", task, "Retry") == nil {
			t.Errorf("child task %s has no Retry", task)
		}
	}
}

func TestRenderRejectsMissingUnusedAndNonNumeric(t *testing.T) {
	def := `{"A":"${Fn}","N":"${MapConcurrency}"}`
	tests := []struct {
		name   string
		values map[string]string
		want   string
	}{
		{"missing", map[string]string{"Fn": "x"}, "no value for placeholder(s) MapConcurrency"},
		{"unused", map[string]string{"Fn": "x", "MapConcurrency": "2", "Extra": "y"}, "unknown placeholder(s) Extra"},
		{"not a number", map[string]string{"Fn": "x", "MapConcurrency": "ten"}, `MapConcurrency must be an integer, got "ten"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(def, tt.values)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	got, err := Render(def, map[string]string{"Fn": "arn:x", "MapConcurrency": "7"})
	if err != nil {
		t.Fatal(err)
	}
	if got != `{"A":"arn:x","N":7}` {
		t.Fatalf("Render = %s", got)
	}
}

func TestRenderSettingsLeavesArnsForCloudFormation(t *testing.T) {
	def, err := RenderSettings(HealthCheck(), map[string]string{MapConcurrency: "4", BatchSize: "50", ToleratedFailurePercentage: "10"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, `"MaxConcurrency": 4`) || !strings.Contains(def, `"MaxItemsPerBatch": 50`) || !strings.Contains(def, `"ToleratedFailurePercentage": 10`) {
		t.Fatalf("settings not rendered as numbers")
	}
	if got := Placeholders(def); len(got) != len(FunctionPlaceholders) {
		t.Fatalf("placeholders left = %v, want only the function ARNs", got)
	}
	if _, err := RenderSettings(HealthCheck(), map[string]string{MapConcurrency: "4"}); err == nil || !strings.Contains(err.Error(), "no value for setting BatchSize") {
		t.Fatalf("a missing setting: error = %v", err)
	}
}

// TestEveryNextNamesAState walks every state list, including the Map's
// ItemProcessor, and checks Next, Default, Choices[].Next, Catch[].Next and
// StartAt all name a state of the same list, and that every state is reachable.
func TestEveryNextNamesAState(t *testing.T) {
	for _, d := range definitions {
		def, err := d.rendered()
		if err != nil {
			t.Fatal(err)
		}
		var root machine
		if err := json.Unmarshal([]byte(def), &root); err != nil {
			t.Fatal(err)
		}
		checkMachine(t, d.file, root)
	}
}

type machine struct {
	StartAt string           `json:"StartAt"`
	States  map[string]state `json:"States"`
}

type state struct {
	Type          string   `json:"Type"`
	Next          string   `json:"Next"`
	End           bool     `json:"End"`
	Default       string   `json:"Default"`
	Choices       []target `json:"Choices"`
	Catch         []target `json:"Catch"`
	ItemProcessor *machine `json:"ItemProcessor"`
}

type target struct {
	Next string `json:"Next"`
}

func checkMachine(t *testing.T, where string, m machine) {
	t.Helper()
	if _, ok := m.States[m.StartAt]; !ok {
		t.Errorf("%s: StartAt %q is not a state", where, m.StartAt)
	}
	reached := map[string]bool{m.StartAt: true}
	for name, s := range m.States {
		var nexts []string
		if s.Next != "" {
			nexts = append(nexts, s.Next)
		}
		if s.Default != "" {
			nexts = append(nexts, s.Default)
		}
		for _, c := range append(s.Choices, s.Catch...) {
			nexts = append(nexts, c.Next)
		}
		for _, n := range nexts {
			if _, ok := m.States[n]; !ok {
				t.Errorf("%s: state %s: Next %q is not a state", where, name, n)
			}
			reached[n] = true
		}
		terminal := s.Type == "Succeed" || s.Type == "Fail" || s.Type == "Choice"
		if !terminal && (s.Next == "") == !s.End {
			t.Errorf("%s: state %s must have exactly one of Next and End", where, name)
		}
		if s.ItemProcessor != nil {
			checkMachine(t, where+"/"+name, *s.ItemProcessor)
		}
	}
	for name := range m.States {
		if !reached[name] {
			t.Errorf("%s: state %s is unreachable", where, name)
		}
	}
}
