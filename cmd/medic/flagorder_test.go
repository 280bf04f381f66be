package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/sfnapi"
)

// awsEnv points the AWS SDK's Step Functions client at endpoint and its S3
// client at s3Endpoint, as a user would with AWS_ENDPOINT_URL_SFN and
// AWS_ENDPOINT_URL_S3, with the local credentials of the
// 'medic serve' of stateDir (what 'eval "$(medic credentials)"' exports) and
// no shared config or instance metadata, so '--aws' commands run against
// that serve and never leave loopback.
func awsEnv(t *testing.T, endpoint, s3Endpoint, stateDir string) {
	t.Helper()
	dir := t.TempDir()
	creds, ok, err := localauth.Load(stateDir)
	if err != nil || !ok {
		t.Fatalf("the local credentials of %s: %v (found: %v)", stateDir, err, ok)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SFN":        endpoint,
		"AWS_ENDPOINT_URL_S3":         s3Endpoint,
		"AWS_ENDPOINT_URL":            "",
		"AWS_ACCESS_KEY_ID":           creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       creds.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"MEDIC_STATE_MACHINE_ARN":     sfnapi.StateMachineArn("medic"),
	} {
		t.Setenv(k, v)
	}
}

// TestFlagsAfterArguments runs the forms the docs write, flags after the
// target names, in a fresh directory: '--aws' must ask the API (here a
// 'medic serve' standing in for AWS), not run a local check.
func TestFlagsAfterArguments(t *testing.T) {
	f := newFixture(t)
	endpoint, s3Addr, _ := startServe(t, f.flags()...)
	awsEnv(t, endpoint, "http://"+s3Addr, f.stateDir)

	// A fresh directory: no targets.yaml, no .medic.
	t.Chdir(t.TempDir())
	code, out, errOut := medic(t, "check", "web", "--aws")
	if code != exitOK {
		t.Fatalf("medic check web --aws: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"1 batch done: echo/batch/web--web.json", "https://us-east-1.console.aws.amazon.com/states/home", "SUCCEEDED"} {
		if !strings.Contains(out, w) {
			t.Errorf("medic check web --aws: output lacks %q:\n%s", w, out)
		}
	}
	name := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	if !strings.HasPrefix(name, "check-") {
		t.Fatalf("first line %q is not the execution name", name)
	}
	if _, err := os.Stat(defaultStateDir); err == nil {
		t.Errorf("check --aws created a local %s: it ran locally", defaultStateDir)
	}

	// Where a targets.yaml exists that lacks "web", --aws still asks AWS.
	if err := os.WriteFile("targets.yaml", []byte("targets:\n  - name: other\n    url: http://127.0.0.1:1/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := medic(t, "check", "web", "--aws", "--json"); code != exitOK || !strings.Contains(out, `"name":"web"`) {
		t.Fatalf("medic check web --aws --json beside another targets.yaml: exit %d\n%s%s", code, out, errOut)
	}

	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"show", name, "--aws"}, []string{name + "  SUCCEEDED", "https://us-east-1.console.aws.amazon.com/", "LoadTargets"}},
		{[]string{"show", name, "--full", "--aws"}, []string{name + "  SUCCEEDED"}},
		{[]string{"executions", "--aws", "--limit", "5"}, []string{name}},
		// The stack's MedicCheckCommand output, with its region and ARN filled in.
		{[]string{"check", "web", "--aws", "--state-machine-arn", sfnapi.StateMachineArn("medic")}, []string{"1 batch done: echo/batch/web--web.json"}},
		{[]string{"check", "web", "--endpoint", endpoint, "--s3-endpoint", "http://" + s3Addr}, []string{"1 batch done: echo/batch/web--web.json"}},
		{[]string{"show", name, "--endpoint", endpoint}, []string{name + "  SUCCEEDED"}},
	}
	for _, tc := range tests {
		code, out, errOut := medic(t, tc.args...)
		if code != exitOK {
			t.Errorf("medic %s: exit %d\n%s%s", strings.Join(tc.args, " "), code, out, errOut)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("medic %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	// A name that matches no target exits 2, wherever the flag is.
	if code, out, errOut := medic(t, "check", "nosuch", "--aws"); code != exitUsage || !strings.Contains(errOut, "no target named nosuch") {
		t.Errorf("medic check nosuch --aws: exit %d\n%s%s", code, out, errOut)
	}
}

// TestCompletionAndVersion: the shells' completion scripts and the
// version forms.
func TestCompletionAndVersion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := medic(t, "completion", sh)
		if code != exitOK || !strings.Contains(out, "medic") || len(out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes\n%s", sh, code, len(out), errOut)
		}
	}
	if code, _, errOut := medic(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("completion tcsh: exit %d, want %d: %s", code, exitUsage, errOut)
	}
	// Flags and commands complete in the shell (cobra's __complete protocol).
	code, out, _ := medic(t, "__complete", "check", "--aw")
	if code != exitOK || !strings.Contains(out, "--aws") {
		t.Errorf("__complete check --aw: exit %d\n%s", code, out)
	}
	// Target names complete from the targets file.
	f := newFixture(t)
	code, out, _ = medic(t, "__complete", "check", "--config", f.config, "web", "")
	if code != exitOK || !strings.Contains(out, "db\n") || strings.Contains(out, "web\n") {
		t.Errorf("__complete check web <TAB>: exit %d\n%s", code, out)
	}
	var first string
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		code, out, errOut := medic(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "medic ") || !strings.Contains(out, "go1.") {
			t.Errorf("medic %v: exit %d\n%s%s", args, code, out, errOut)
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Errorf("medic %v printed %q, medic version %q", args, out, first)
		}
	}
}

func TestVersionOf(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"stamped", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "4530f0ace2752be8aa4f7b750d759cc3343981ab"}, {Key: "vcs.time", Value: "2026-12-03T18:21:31Z"}, {Key: "vcs.modified", Value: "true"}}},
			"medic v1.2.3 (revision 4530f0ace2752be8aa4f7b750d759cc3343981ab, 2026-12-03T18:21:31Z, modified) go1.26.8"},
		{"clean tree", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			"medic v1.2.3 (revision abc) go1.26.8"},
		{"go run", debug.BuildInfo{GoVersion: "go1.26.8"}, "medic (devel) (revision unknown: built without VCS information) go1.26.8"},
	}
	for _, tc := range tests {
		if got := versionOf(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
