package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// lifecycleChild, set in the environment, makes the test binary start the
// jsii runtime, make one call into it and close it, as main does.
const lifecycleChild = "MEDIC_JSII_LIFECYCLE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(lifecycleChild) == "1" {
		root := constructs.NewRootConstruct(jsii.String("medic-lifecycle"))
		fmt.Println(*root.Node().Id())
		jsii.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestJSIICloseIsQuiet starts and closes the jsii runtime in fresh
// processes, as every synth does, and fails if any of them prints
// "Runtime process exited abnormally: waitid: no child processes".
// jsii-runtime-go before v1.143.0 waited for the node process from two
// goroutines at once (its exit monitor and Close); the one that lost the
// race printed that line although node had exited cleanly, in about half
// of the runs. The child processes are cheap (only the constructs library
// is loaded), so several runs make a regression all but certain to show.
func TestJSIICloseIsQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: starts node several times")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const runs = 8
	for i := 0; i < runs; i++ {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), lifecycleChild+"=1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, stderr.String())
		}
		if got := strings.TrimSpace(stdout.String()); got != "medic-lifecycle" {
			t.Fatalf("run %d: the jsii runtime answered %q, want the construct's id medic-lifecycle (stderr: %s)", i, got, stderr.String())
		}
		if strings.Contains(stderr.String(), "exited abnormally") || strings.Contains(stderr.String(), "waitid") {
			t.Fatalf("run %d of %d printed on close:\n%s", i+1, runs, stderr.String())
		}
	}
}
