package target

import (
	"reflect"
	"strings"
	"testing"
)

// TestHeaderSecrets: a url target's headerSecrets name secrets, never carry
// values, and the names are kept as written in the parsed target.
func TestHeaderSecrets(t *testing.T) {
	const head = "channels:\n  ops: {type: sns}\n"
	tests := []struct {
		name string
		yaml string
		want map[string]map[string]string // target → HeaderSecrets
		// problem, when set, is "field: text" of the single expected problem.
		problem string
		target  string
	}{
		{
			name: "on a url target",
			yaml: "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {Authorization: API_TOKEN, X-Api-Key: KEY_2}}\n",
			want: map[string]map[string]string{"a": {"Authorization": "API_TOKEN", "X-Api-Key": "KEY_2"}},
		},
		{
			name: "with headers that differ",
			yaml: "targets:\n  - {name: a, url: 'https://a.example', headers: {Accept: text/plain}, headerSecrets: {Authorization: API_TOKEN}}\n",
			want: map[string]map[string]string{"a": {"Authorization": "API_TOKEN"}},
		},
		{
			name: "from defaults",
			yaml: "defaults: {headerSecrets: {Authorization: API_TOKEN}}\ntargets:\n  - {name: a, url: 'https://a.example'}\n  - {name: b, url: 'https://b.example', headerSecrets: {X-Key: OTHER}}\n  - {name: c, tcp: 'c.example:22'}\n",
			want: map[string]map[string]string{"a": {"Authorization": "API_TOKEN"}, "b": {"X-Key": "OTHER"}, "c": nil},
		},
		{
			name: "an empty mapping overrides defaults",
			yaml: "defaults: {headerSecrets: {Authorization: API_TOKEN}}\ntargets:\n  - {name: a, url: 'https://a.example', headerSecrets: {}}\n",
			want: map[string]map[string]string{"a": nil},
		},
		{
			name:    "a value instead of a name",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {Authorization: 'Bearer abc123'}}\n",
			target:  "a",
			problem: `headerSecrets: header "Authorization": "Bearer abc123" is not a secret name`,
		},
		{
			name:    "a name with a dash",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {Authorization: API-TOKEN}}\n",
			target:  "a",
			problem: "headerSecrets: header \"Authorization\": \"API-TOKEN\" is not a secret name",
		},
		{
			name:    "an empty name",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {Authorization: ''}}\n",
			target:  "a",
			problem: "headerSecrets: header \"Authorization\": \"\" is not a secret name",
		},
		{
			name:    "a bad header name",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {'X Key': API_TOKEN}}\n",
			target:  "a",
			problem: `headerSecrets: invalid header name "X Key"`,
		},
		{
			name:    "Host",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {host: API_TOKEN}}\n",
			target:  "a",
			problem: "headerSecrets: the Host header cannot come from a secret",
		},
		{
			name:    "in both headers and headerSecrets",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headers: {authorization: 'Bearer x'}, headerSecrets: {Authorization: API_TOKEN}}\n",
			target:  "a",
			problem: `headerSecrets: header "Authorization" is in both headers and headerSecrets`,
		},
		{
			name:    "headers beside a default secret",
			yaml:    "defaults: {headerSecrets: {Authorization: API_TOKEN}}\ntargets:\n  - {name: a, url: 'https://a.example', headers: {Authorization: 'Bearer x'}}\n",
			target:  "a",
			problem: `headerSecrets: header "Authorization" is in both headers and headerSecrets`,
		},
		{
			name:    "one header twice",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: {X-Key: A, x-key: B}}\n",
			target:  "a",
			problem: `headerSecrets: headers "X-Key" and "x-key" are the same header`,
		},
		{
			name:    "on a tcp target",
			yaml:    "targets:\n  - {name: a, tcp: 'db.example:5432', headerSecrets: {Authorization: API_TOKEN}}\n",
			target:  "a",
			problem: "headerSecrets: only applies to url targets, not to a tcp target",
		},
		{
			name:    "not a mapping",
			yaml:    "targets:\n  - {name: a, url: 'https://a.example', headerSecrets: [API_TOKEN]}\n",
			target:  "a",
			problem: "headerSecrets: must be a mapping of names to strings",
		},
		{
			name:    "a bad default is dropped",
			yaml:    "defaults: {headerSecrets: {Authorization: 'Bearer abc'}}\ntargets:\n  - {name: a, url: 'https://a.example'}\n",
			want:    map[string]map[string]string{"a": nil},
			problem: "defaults.headerSecrets: header \"Authorization\": \"Bearer abc\" is not a secret name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile("config/targets.yaml", []byte(head+tt.yaml), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]string{}
			for _, tg := range f.Targets {
				got[tg.Name] = tg.HeaderSecrets
			}
			if tt.want == nil {
				tt.want = map[string]map[string]string{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("headerSecrets = %v, want %v", got, tt.want)
			}
			if tt.problem == "" {
				if len(f.Problems) > 0 {
					t.Errorf("problems: %v", f.Problems)
				}
				return
			}
			if len(f.Problems) != 1 {
				t.Fatalf("problems = %v, want one", f.Problems)
			}
			p := f.Problems[0]
			field, text, _ := strings.Cut(tt.problem, ": ")
			if p.Target != tt.target || p.Field != field || !strings.Contains(p.Error, text) {
				t.Errorf("problem = %#v, want target %q field %q containing %q", p, tt.target, field, text)
			}
		})
	}
}

// TestHeaderSecretsNotForPulseTargets: whoever may write pulse/ picks the
// URL, so the defaults' secret headers are not sent to a pulse target, and
// a pulse file cannot ask for a secret itself.
func TestHeaderSecretsNotForPulseTargets(t *testing.T) {
	f, err := ParseFile("config/targets.yaml", []byte("defaults: {headers: {Accept: text/plain}, headerSecrets: {Authorization: API_TOKEN}}\n"), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	got, err := ParsePulse("pulse/web.json", []byte(`{"url": "https://web.example/ping", "body": "pong"}`), f.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	if got.HeaderSecrets != nil || got.Headers["Accept"] != "text/plain" {
		t.Errorf("pulse target headers %v headerSecrets %v, want the default headers and no secrets", got.Headers, got.HeaderSecrets)
	}
	_, err = ParsePulse("pulse/web.json", []byte(`{"url": "https://evil.example/", "headerSecrets": {"Authorization": "API_TOKEN"}}`), f.Defaults)
	if err == nil || !strings.Contains(err.Error(), `unknown key "headerSecrets"`) {
		t.Errorf("err = %v, want headerSecrets rejected in a pulse file", err)
	}
}
