package statemachines

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestDefinitionIsValidJSONAsWritten(t *testing.T) {
	var v map[string]any
	if err := json.Unmarshal([]byte(HealthCheck()), &v); err != nil {
		t.Fatalf("healthcheck.asl.json is not valid JSON: %v", err)
	}
}

func TestEveryPlaceholderHasAValueAndEveryValueAPlaceholder(t *testing.T) {
	got := Placeholders(HealthCheck())
	want := []string{MapConcurrency}
	for _, ph := range FunctionPlaceholders {
		want = append(want, ph)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("placeholders in the definition = %v, values provided for %v", got, want)
	}
	def, err := Local(DefaultMapConcurrency)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(def, "${") {
		t.Fatalf("rendered definition still has a placeholder")
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
	def, err := RenderSettings(HealthCheck(), map[string]string{MapConcurrency: "4"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, `"MaxConcurrency": 4`) {
		t.Fatalf("MaxConcurrency not rendered as a number")
	}
	if got := Placeholders(def); slices.Contains(got, MapConcurrency) || len(got) != len(FunctionPlaceholders) {
		t.Fatalf("placeholders left = %v, want only the function ARNs", got)
	}
}

// TestEveryNextNamesAState walks every state list, including the Map's
// ItemProcessor, and checks Next, Default, Choices[].Next, Catch[].Next and
// StartAt all name a state of the same list, and that every state is reachable.
func TestEveryNextNamesAState(t *testing.T) {
	def, err := Local(DefaultMapConcurrency)
	if err != nil {
		t.Fatal(err)
	}
	var root machine
	if err := json.Unmarshal([]byte(def), &root); err != nil {
		t.Fatal(err)
	}
	checkMachine(t, "root", root)
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
