package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateJSON(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "channels:\n  ops: {type: slack, urlSecret: MEDIC_TEST_UNSET_SECRET}\ntargets:\n  - name: web\n    url: https://example.com/\n    channels: [ops]\n  - name: db\n    tcp: 127.0.0.1:5432\n")
	bad := write("bad.yaml", "targets:\n  - name: web\n    url: https://example.com/\n    timeout: soon\n  - name: ok\n    url: https://example.com/\n")
	broken := write("broken.json", `{"targets": [`)
	tests := []struct {
		name  string
		args  []string
		code  int
		check func(t *testing.T, v validation)
	}{
		{"valid", []string{"validate", good, "--json"}, exitOK, func(t *testing.T, v validation) {
			if !v.Valid || strings.Join(v.Targets, ",") != "web,db" || strings.Join(v.Channels, ",") != "ops" || len(v.Problems) != 0 || v.Error != "" {
				t.Errorf("%+v", v)
			}
			if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "MEDIC_TEST_UNSET_SECRET") {
				t.Errorf("warnings %q", v.Warnings)
			}
		}},
		{"a bad field", []string{"validate", "--json", bad}, exitUsage, func(t *testing.T, v validation) {
			if v.Valid || len(v.Problems) != 1 || v.Problems[0].Target != "web" || v.Problems[0].Field != "timeout" || v.Problems[0].Source != bad {
				t.Errorf("%+v", v)
			}
			if strings.Join(v.Targets, ",") != "ok" {
				t.Errorf("the valid targets of a file with a problem: %q", v.Targets)
			}
		}},
		{"broken JSON", []string{"validate", "--json", broken}, exitUsage, func(t *testing.T, v validation) {
			if v.Valid || !strings.Contains(v.Error, broken) {
				t.Errorf("%+v", v)
			}
		}},
		{"missing", []string{"validate", "--json", filepath.Join(dir, "nope.yaml")}, exitUsage, func(t *testing.T, v validation) {
			if v.Valid || !strings.Contains(v.Error, "no targets file at") {
				t.Errorf("%+v", v)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := medic(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			var v validation
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
			}
			if strings.Count(strings.TrimSpace(out), "\n") != 0 {
				t.Errorf("more than one line on stdout:\n%s", out)
			}
			tc.check(t, v)
		})
	}
}
