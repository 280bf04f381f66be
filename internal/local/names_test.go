package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
)

// TestExecutionNamesStayInTheStateDirectory: an execution ARN whose name
// climbs out of executions/ reads nothing there, and the answer is the same
// whether such a file exists (as a record, or as anything else) or not.
func TestExecutionNamesStayInTheStateDirectory(t *testing.T) {
	dir := t.TempDir()
	env, err := local.Open(local.Options{StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	// A file that parses as a record, and one that does not, outside executions/.
	record := `{"name":"stolen","arn":"x","status":"SUCCEEDED","input":"{\"secret\":\"outside\"}"}`
	if err := os.WriteFile(filepath.Join(dir, "record.json"), []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"../../record", "../../other", "../../missing", "..\\..\\record", "run-that-never-was"} {
		arn := sfnapi.ExecutionArn(env.StateMachineArn(), name)
		if got, err := env.Describe(ctx, arn); !errors.Is(err, sfnapi.ErrExecutionDoesNotExist) {
			t.Errorf("Describe %q: %+v, %v; want ErrExecutionDoesNotExist", name, got, err)
		}
		if _, err := env.History(ctx, arn); !errors.Is(err, sfnapi.ErrExecutionDoesNotExist) {
			t.Errorf("History %q: %v; want ErrExecutionDoesNotExist", name, err)
		}
	}
}
