package target

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFileGroupAndDependsOn(t *testing.T) {
	const file = `defaults:
  group: shop
targets:
  - {name: router, tcp: 'router.internal:22', group: network}
  - {name: web, url: 'https://web.example', dependsOn: [router]}
  - {name: db, tcp: 'db.internal:5432', dependsOn: [router, web]}
`
	f, err := ParseFile("config/targets.yaml", []byte(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 {
		t.Fatalf("problems: %v", f.Problems)
	}
	got := map[string][2]any{}
	for _, tg := range f.Targets {
		got[tg.Name] = [2]any{tg.Group, tg.DependsOn}
	}
	want := map[string][2]any{
		"router": {"network", []string(nil)},
		"web":    {"shop", []string{"router"}},
		"db":     {"shop", []string{"router", "web"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("group, dependsOn = %v, want %v", got, want)
	}
}

// TestParseFileDependencyProblems: each mistake names the file, the
// target, dependsOn and its line, and skips only the targets at fault.
func TestParseFileDependencyProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want maps each skipped target to its error; the others are kept.
		want map[string]string
		kept []string
	}{
		{"unknown name", `
  - {name: web, url: 'https://web.example', dependsOn: [routr]}
  - {name: router, tcp: 'r:22'}`,
			map[string]string{"web": `dependsOn: "routr" is not a target of this file (its targets: router, web) (a target can depend only on targets of the targets file) (line 2)`},
			[]string{"router"}},
		{"itself", `
  - {name: web, url: 'https://web.example', dependsOn: [web]}`,
			map[string]string{"web": "dependsOn: a target cannot depend on itself (line 2)"}, nil},
		{"twice", `
  - {name: router, tcp: 'r:22'}
  - {name: web, url: 'https://web.example', dependsOn: [router, router]}`,
			map[string]string{"web": `dependsOn: "router" is listed twice (line 3)`}, []string{"router"}},
		{"not a name", `
  - {name: web, url: 'https://web.example', dependsOn: [Router]}`,
			map[string]string{"web": `dependsOn: "Router" is not a target name`}, nil},
		{"not a list", `
  - {name: web, url: 'https://web.example', dependsOn: router}`,
			map[string]string{"web": "dependsOn: must be a list of strings"}, nil},
		{"cycle of two", `
  - {name: a, tcp: 'a:1', dependsOn: [b]}
  - {name: b, tcp: 'b:1', dependsOn: [a]}
  - {name: c, tcp: 'c:1', dependsOn: [a]}`,
			map[string]string{
				"a": "dependsOn: the dependencies form a cycle: a → b → a (line 2)",
				"b": "dependsOn: the dependencies form a cycle: a → b → a (line 3)",
			}, []string{"c"}},
		{"cycle of three", `
  - {name: x, tcp: 'x:1', dependsOn: [y]}
  - {name: y, tcp: 'y:1', dependsOn: [z]}
  - {name: z, tcp: 'z:1', dependsOn: [x]}`,
			map[string]string{
				"x": "the dependencies form a cycle: x → y → z → x",
				"y": "the dependencies form a cycle: x → y → z → x",
				"z": "the dependencies form a cycle: x → y → z → x",
			}, nil},
		{"on a target skipped for a mistake", `
  - {name: router, tcp: 'no-port'}
  - {name: web, url: 'https://web.example', dependsOn: [router]}`,
			map[string]string{"router": "tcp: "}, []string{"web"}},
		{"bad group", `
  - {name: web, url: 'https://web.example', group: 'Front End'}`,
			map[string]string{"web": `group: invalid group "Front End"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile("config/targets.yaml", []byte("targets:"+tt.yaml+"\n"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, tg := range f.Targets {
				kept = append(kept, tg.Name)
			}
			if !reflect.DeepEqual(kept, tt.kept) {
				t.Errorf("kept %v, want %v", kept, tt.kept)
			}
			if len(f.Problems) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", f.Problems, len(tt.want))
			}
			for _, p := range f.Problems {
				want, ok := tt.want[p.Target]
				if !ok || p.Source != "config/targets.yaml" || !strings.Contains(p.Field+": "+p.Error, want) {
					t.Errorf("problem %q, want target %s with %q", p.String(), p.Target, want)
				}
			}
		})
	}
}

func TestDependsOnIsNotADefault(t *testing.T) {
	f, err := ParseFile("config/targets.yaml", []byte("defaults:\n  dependsOn: [router]\ntargets:\n  - {name: router, tcp: 'r:22'}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Targets) != 1 || f.Targets[0].DependsOn != nil {
		t.Fatalf("targets = %+v, want router without dependencies", f.Targets)
	}
	if len(f.Problems) != 1 || f.Problems[0].Field != "defaults.dependsOn" || !strings.Contains(f.Problems[0].Error, "dependsOn cannot be a default: set it on each target (line 2)") {
		t.Fatalf("problems = %v", f.Problems)
	}
}

func TestDependencyCycles(t *testing.T) {
	tests := []struct {
		deps map[string][]string
		want [][]string
	}{
		{map[string][]string{"a": {"b"}, "b": {"c"}}, nil},
		{map[string][]string{"a": {"b"}, "b": {"a"}}, [][]string{{"a", "b"}}},
		{map[string][]string{"b": {"c"}, "c": {"a"}, "a": {"b"}, "d": {"a"}}, [][]string{{"a", "b", "c"}}},
		// Two cycles through b; the target outside them (d, which reaches
		// them) is not on one.
		{map[string][]string{"a": {"b"}, "b": {"a", "c"}, "c": {"b"}, "d": {"c"}}, [][]string{{"a", "b"}, {"b", "c"}}},
		// A diamond is not a cycle.
		{map[string][]string{"top": {"l", "r"}, "l": {"base"}, "r": {"base"}}, nil},
	}
	for _, tt := range tests {
		if got := dependencyCycles(tt.deps); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("dependencyCycles(%v) = %v, want %v", tt.deps, got, tt.want)
		}
	}
}

func TestChannelDigestAfter(t *testing.T) {
	f, err := ParseFile("t.yaml", []byte("channels:\n  a: {type: sns}\n  b: {type: sns, digestAfter: 0}\n  c: {type: webhook, url: 'https://h.example', digestAfter: 20}\n"), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatal(err, f.Problems)
	}
	for name, want := range map[string]int{"a": DefaultDigestAfter, "b": 0, "c": 20} {
		if got := f.Channels[name].DigestAfter; got != want {
			t.Errorf("channel %s digestAfter = %d, want %d", name, got, want)
		}
	}
}
