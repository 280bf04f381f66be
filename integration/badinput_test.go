package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

// problems returns LoadTargets' problems from the run's output, each as
// "source | target | field | error".
func problems(t *testing.T, x *engine.Execution) []string {
	t.Helper()
	list, _ := field(output(t, x), "loaded.problems").([]any)
	var out []string
	for _, p := range list {
		out = append(out, fmt.Sprintf("%v | %v | %v | %v", field(p, "source"), field(p, "target"), field(p, "field"), field(p, "error")))
	}
	return out
}

func TestMalformedTargetsFileFailsTheRunNamingFileAndLine(t *testing.T) {
	h := newHarness(t, setup{})
	h.putTargets("targets:\n  - name: web\n    url: [unclosed\n")
	x := h.run(schedule)
	if x.Status != engine.StatusFailed {
		t.Fatalf("execution %s, want FAILED for a targets file that cannot be parsed", x.Status)
	}
	for _, want := range []string{"config/targets.yaml", "line"} {
		if !strings.Contains(x.Cause, want) {
			t.Errorf("cause %q does not name %q", x.Cause, want)
		}
	}
	if countEntered(x, "ProbeTargets") != 0 {
		t.Error("targets were probed from a file that cannot be parsed")
	}
	// The same file would fail the same way again: InvalidConfigError is
	// not retried (MaxAttempts 0 in the definition).
	if x.Error != "InvalidConfigError" {
		t.Errorf("error %q, want InvalidConfigError", x.Error)
	}
	if n := scheduled(x, taskLoadTargets); n != 1 {
		t.Errorf("LoadTargets attempted %d times, want 1: an unparsable targets file is not retried", n)
	}
}

func TestBadTargetDefinitionIsReportedAndTheRestIsChecked(t *testing.T) {
	h := newHarness(t, setup{})
	srv := newBodyServer(t, http.StatusOK, "ok")
	h.putTargets(fmt.Sprintf(`
targets:
  - {name: good, url: %q}
  - name: typo
    url: %q
    tiemout: 5s
  - {name: nourl}
  - {name: BadName, url: %q}
`, srv.URL, srv.URL, srv.URL))
	x := h.mustSucceed(schedule)
	got := problems(t, x)
	if len(got) != 3 {
		t.Fatalf("problems %q, want 3", got)
	}
	for i, want := range []string{
		`config/targets.yaml | typo | tiemout | unknown key "tiemout"`,
		"config/targets.yaml | nourl | url | ",
		`config/targets.yaml | BadName | name | invalid name "BadName"`,
	} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("problem %d = %q, want it to start %q", i, got[i], want)
		}
		if wantLine := fmt.Sprintf("(line %d)", 6+i); !strings.HasSuffix(got[i], wantLine) {
			t.Errorf("problem %d = %q, want it to end %s", i, got[i], wantLine)
		}
	}
	if !h.mustEcho("good").Up {
		t.Error("the good target was not checked")
	}
	if keys := h.keys("echo/"); len(keys) != 1 {
		t.Errorf("echoes %q, want only good's", keys)
	}
}

func TestMalformedPulseFilesAreReportedAndTheRestIsChecked(t *testing.T) {
	h := newHarness(t, setup{})
	srv := newBodyServer(t, http.StatusOK, "pong")
	h.put("pulse/good.json", fmt.Sprintf(`{"url": %q, "body": "pong"}`, srv.URL))
	h.put("pulse/broken.json", `{"url": "http://127.0.0.1/", "body": `)
	h.put("pulse/typo.json", fmt.Sprintf(`{"url": %q, "bdy": "pong"}`, srv.URL))
	h.put("pulse/notes.txt", "not a pulse file")
	x := h.mustSucceed(schedule)
	got := strings.Join(problems(t, x), "\n")
	for _, want := range []string{"pulse/broken.json", "pulse/typo.json", "bdy", "pulse/notes.txt"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not mention %q:\n%s", want, got)
		}
	}
	if !h.mustEcho("good").Up {
		t.Error("the good pulse target was not checked")
	}
	if keys := h.keys("echo/"); len(keys) != 1 {
		t.Errorf("echoes %q, want only good's", keys)
	}
}

func TestUnrecognisedExecutionInputFailsWithoutRetry(t *testing.T) {
	inputs := map[string]string{
		"unknown keys":       `{"Comment": "Insert your JSON here"}`,
		"array":              `[1, 2]`,
		"empty targets":      `{"targets": []}`,
		"targets not a list": `{"targets": "web"}`,
		"s3 outside pulse":   readFixture(t, "../internal/trigger/testdata/invalid-s3-outside-pulse.json"),
		"s3 object deleted": `{"version": "0", "source": "aws.s3", "detail-type": "Object Deleted",
		  "detail": {"bucket": {"name": "medic"}, "object": {"key": "pulse/web.json"}, "reason": "DeleteObject"}}`,
		"alarm without metrics": `{"source": "aws.cloudwatch", "alarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:x",
		  "alarmData": {"alarmName": "x", "state": {"value": "ALARM"}, "configuration": {"metrics": []}}}`,
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, setup{})
			twoTargets(t, h)
			x := h.run(input)
			if x.Status != engine.StatusFailed || x.Error != "InvalidInputError" {
				t.Fatalf("execution %s %s, want FAILED with InvalidInputError", x.Status, x.Error)
			}
			if n := scheduled(x, taskLoadTargets); n != 1 {
				t.Errorf("LoadTargets attempted %d times, want 1: invalid input is not retried", n)
			}
			if !strings.Contains(x.Cause, "unrecognised execution input") || !strings.Contains(x.Cause, "expected one of") {
				t.Errorf("cause %q does not say what is wrong and what was expected", x.Cause)
			}
			if keys := h.keys("echo/"); len(keys) != 0 {
				t.Errorf("echoes %q written by a rejected run", keys)
			}
		})
	}
}

func TestRunNamingAnUnknownTargetReportsItAndChecksTheRest(t *testing.T) {
	h := newHarness(t, setup{})
	twoTargets(t, h)
	x := h.mustSucceed(`{"targets": ["ghost", "a"]}`)
	got := strings.Join(problems(t, x), "\n")
	if !strings.Contains(got, "execution input | ghost") || !strings.Contains(got, `no target has that name`) {
		t.Errorf("problems %q, want ghost reported by name from the execution input", got)
	}
	if !h.mustEcho("a").Up {
		t.Error("a was not checked")
	}
	if _, ok := h.echo("b"); ok {
		t.Error("b was checked by a run naming only ghost and a")
	}
}
