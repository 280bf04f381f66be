package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestStepFunctionsOperationsWithAWSCLI: the operations docs/cli.md lists
// beyond the basic ones, through the AWS CLI against `medic serve`'s API,
// StartSyncExecution and TestState (sent to a sync- host) included, with
// the host prefix turned off as docs/cli.md says.
func TestStepFunctionsOperationsWithAWSCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed; install it (pip install awscli) to run this test")
	}
	g := serveGuarded(t)
	dir := t.TempDir()
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(awsCLI, append(args, "--endpoint-url", g.sfnURL, "--output", "json")...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+g.creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+g.creds.SecretAccessKey,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_DISABLE_HOST_PREFIX_INJECTION=true",
			"AWS_CONFIG_FILE="+dir+"/none", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/none")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return m
	}
	sm := g.env.StateMachineArn()
	v := run("stepfunctions", "validate-state-machine-definition", "--definition", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`)
	if v["result"] != "FAIL" || !strings.Contains(jsonText(v["diagnostics"]), `"code":"SCHEMA_VALIDATION_FAILED"`) {
		t.Errorf("validate-state-machine-definition: %v", v)
	}
	x := run("stepfunctions", "start-sync-execution", "--state-machine-arn", sm, "--input", `{"trigger": "schedule"}`)
	if x["status"] != "SUCCEEDED" || x["input"] != `{"trigger": "schedule"}` || x["output"] == nil {
		t.Fatalf("start-sync-execution: %v", x)
	}
	d := run("stepfunctions", "describe-state-machine-for-execution", "--execution-arn", x["executionArn"].(string))
	if d["stateMachineArn"] != sm || !strings.Contains(d["definition"].(string), `"StartAt"`) {
		t.Errorf("describe-state-machine-for-execution: %v", d)
	}
	ts := run("stepfunctions", "test-state", "--definition", `{"Type":"Pass","Parameters":{"n.$":"$.a"},"Next":"After"}`, "--input", `{"a":1}`,
		"--role-arn", "arn:aws:iam::000000000000:role/medic", "--inspection-level", "DEBUG")
	if ts["status"] != "SUCCEEDED" || ts["nextState"] != "After" || ts["output"] != `{"n":1}` || !strings.Contains(jsonText(ts["inspectionData"]), `"afterParameters":"{\"n\":1}"`) {
		t.Errorf("test-state: %v", ts)
	}
	h := run("stepfunctions", "get-execution-history", "--execution-arn", x["executionArn"].(string), "--no-include-execution-data")
	if strings.Contains(jsonText(h), `"input"`) || strings.Contains(jsonText(h), `"output"`) {
		t.Errorf("get-execution-history --no-include-execution-data still has data: %.300s", jsonText(h))
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
