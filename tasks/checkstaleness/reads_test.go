package checkstaleness_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/checkstaleness"
)

// TestEchoReadsFollowChanges: an echo is read only when it was rewritten
// since the state last read it.
func TestEchoReadsFollowChanges(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.echo("web", true)
	e.echo("api", true)
	e.echo("db", true)
	e.run()
	if n := e.api.echoGets.Load(); n != 3 {
		t.Fatalf("first run read %d echoes, want 3", n)
	}
	e.clk.Advance(time.Minute)
	e.run() // a targeted run, say: nothing was probed
	if n := e.api.echoGets.Load(); n != 3 {
		t.Fatalf("a run with no new echo read %d more", n-3)
	}
	e.clk.Advance(time.Minute)
	e.echo("db", false)
	e.run()
	if n := e.api.echoGets.Load(); n != 4 {
		t.Fatalf("one rewritten echo caused %d reads, want 1", n-3)
	}
	if st := e.state().Targets["db"]; st.Status != status.Down || st.FailStreak != 1 {
		t.Fatalf("db = %+v", st)
	}
}

// TestOldPerTargetEchoesAreNotRead: echo/<target>.json, the layout
// before one object per batch, is not read: only echo/batch/ is.
func TestOldPerTargetEchoesAreNotRead(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.echo("web", true)
	e.put("echo/api.json", `{"target": "api", "up": true, "checkedAt": "`+e.clk.Now().Format(time.RFC3339)+`"}`)
	e.run()
	st := e.state()
	if st.Targets["web"].Status != status.Up || st.Targets["api"].Status != status.Unknown {
		t.Fatalf("state = %+v", st.Targets)
	}
	if n := e.api.echoGets.Load(); n != 1 {
		t.Fatalf("read %d echo objects, want 1 (echo/batch/web--web.json)", n)
	}
}

// TestTargetsDroppedAndKept: a target removed from the file leaves the
// state; one whose definition now has a problem keeps its state.
func TestTargetsDroppedAndKept(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.echo("web", true)
	e.echo("api", true)
	e.echo("db", false)
	e.run()
	e.put("config/targets.yaml", `
channels:
  ops: {type: sns}
defaults:
  channels: [ops]
targets:
  - {name: web, url: "https://web.example/health"}
  - {name: db, tcp: "no port here", failureThreshold: 1}
`)
	set, err := target.Load(context.Background(), e.raw, target.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Target("db"); ok || len(set.Problems) == 0 || set.Problems[0].Target != "db" {
		t.Fatalf("the test wants db to be a problem: %+v", set.Problems)
	}
	e.clk.Advance(time.Minute)
	out := e.run()
	st := e.state()
	if _, ok := st.Targets["api"]; ok {
		t.Errorf("api is still in the state after leaving the file")
	}
	if db, ok := st.Targets["db"]; !ok || db.Status != status.Down {
		t.Errorf("db (now misconfigured) lost its state: %+v", st.Targets)
	}
	if out.Statuses["UP"] != 1 || out.Statuses["DOWN"] != 1 {
		t.Errorf("statuses = %v", out.Statuses)
	}
}

// TestChangesAreCapped keeps the output small with many targets.
func TestChangesAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 70 {
		fmt.Fprintf(&b, "  - {name: t%02d, url: \"https://t%02d.example/\"}\n", i, i)
	}
	e := newEnv(t, b.String())
	for i := range 70 {
		e.echo(fmt.Sprintf("t%02d", i), true)
	}
	out := e.run()
	if len(out.Changes) != checkstaleness.MaxChanges || out.ChangeCount != 70 || out.Statuses["UP"] != 70 {
		t.Fatalf("changes %d, count %d, statuses %v", len(out.Changes), out.ChangeCount, out.Statuses)
	}
	if out.Pending != 0 {
		t.Fatalf("pending = %d: UNKNOWN → UP raises nothing", out.Pending)
	}
}
