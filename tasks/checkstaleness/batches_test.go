package checkstaleness_test

import (
	"context"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
)

// batchEcho writes echo/batch/<first>--<last>.json holding one result per
// name, checked at checkedAt; up says which are good.
func (e *env) batchEcho(checkedAt time.Time, up map[string]bool, names ...string) string {
	e.t.Helper()
	var rs []probe.Result
	for _, n := range names {
		r := probe.Result{Target: n, Up: up[n], CheckedAt: checkedAt, StatusCode: 200}
		if !up[n] {
			r.StatusCode, r.Failures = 503, []string{"status 503, want 200-399"}
		}
		rs = append(rs, r)
	}
	key := "echo/batch/" + names[0] + "--" + names[len(names)-1] + ".json"
	if _, err := e.raw.PutJSON(context.Background(), key, rs, store.Condition{}); err != nil {
		e.t.Fatal(err)
	}
	return key
}

var allUp = map[string]bool{"web": true, "api": true, "db": true}

// TestBatchEchoesAreRead: the results in echo objects count, each once;
// an unchanged object is not read again.
func TestBatchEchoesAreRead(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.batchEcho(e.clk.Now(), allUp, "web", "api")
	e.batchEcho(e.clk.Now(), allUp, "db")
	e.run()
	st := e.state()
	if st.Targets["db"].Status != status.Up || st.Targets["api"].SuccessStreak != 1 || st.Targets["web"].SuccessStreak != 1 {
		t.Fatalf("after the first run: %+v", st.Targets)
	}
	if n := e.api.echoGets.Load(); n != 2 {
		t.Fatalf("first run read %d objects, want 2 batch objects", n)
	}
	e.clk.Advance(time.Minute)
	e.run() // nothing rewritten: nothing read, nothing counted twice
	if n := e.api.echoGets.Load(); n != 2 {
		t.Fatalf("a run with no new batch object read %d more", n-2)
	}
	if st := e.state(); st.Targets["api"].SuccessStreak != 1 {
		t.Fatalf("a result was counted twice: %+v", st.Targets["api"])
	}
	e.clk.Advance(time.Minute)
	e.batchEcho(e.clk.Now(), map[string]bool{"web": true}, "web", "api") // api fails now
	e.run()
	if n := e.api.echoGets.Load(); n != 3 {
		t.Fatalf("one rewritten batch object caused %d reads, want 1", n-2)
	}
	if st := e.state().Targets["api"]; st.FailStreak != 1 || st.SuccessStreak != 0 {
		t.Fatalf("api = %+v", st)
	}
}

// TestNewestResultWins: across echo objects, the newest CheckedAt
// decides; an orphaned object (the batching changed) loses by age and
// stops being read once every target has moved past it.
func TestNewestResultWins(t *testing.T) {
	e := newEnv(t, baseConfig)
	start := e.clk.Now()
	e.echo("api", false) // a targeted run's batch of one, older
	e.clk.Advance(time.Minute)
	orphan := e.batchEcho(e.clk.Now(), allUp, "api", "db") // an old batching
	e.clk.Advance(time.Minute)
	e.batchEcho(e.clk.Now(), map[string]bool{"web": true, "db": true}, "web", "api") // api down in the new one
	e.batchEcho(e.clk.Now(), allUp, "db")
	e.run()
	st := e.state()
	if a := st.Targets["api"]; a.FailStreak != 1 || !a.LastEchoAt.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("api = %+v, want the newest (failed) result at +2m", a)
	}
	if d := st.Targets["db"]; d.Status != status.Up || !d.LastEchoAt.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("db = %+v", d)
	}

	// Once every target's last result is past them (from the second run
	// on), the orphan and the batch of one are no longer read.
	for i := range 3 {
		e.clk.Advance(2 * time.Minute)
		e.batchEcho(e.clk.Now(), allUp, "web", "api")
		e.batchEcho(e.clk.Now(), allUp, "db")
		before := e.api.echoGets.Load()
		e.run()
		if n := e.api.echoGets.Load() - before; i > 0 && n != 2 {
			t.Errorf("a run read %d objects, want the 2 current batch objects (not %s, not echo/batch/api--api.json)", n, orphan)
		}
	}
	if a := e.state().Targets["api"]; a.Status != status.Up {
		t.Fatalf("api = %+v, want UP after good results", a)
	}
}

// TestBrokenBatchEchoIsIgnored: an object under echo/batch/ that is not a
// list of results is logged and skipped, and no longer read once every
// target has a newer result; bad entries are skipped.
func TestBrokenBatchEchoIsIgnored(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.put("echo/batch/x--y.json", `{"not": "a list"}`)
	e.put("echo/batch/web--db.json", `[{"target": "web", "up": true, "checkedAt": "`+e.clk.Now().Format(time.RFC3339)+`"}, {"target": "db", "up": true}, {"up": true, "checkedAt": "2026-01-01T00:00:00Z"}]`)
	e.put("echo/batch/nested/z.json", `[]`)
	e.run()
	st := e.state()
	if st.Targets["web"].Status != status.Up || st.Targets["db"].Status != status.Unknown {
		t.Fatalf("state = %+v", st.Targets)
	}
	e.clk.Advance(2 * time.Minute)
	e.batchEcho(e.clk.Now(), allUp, "web", "api", "db")
	e.run()
	if st := e.state(); st.Targets["db"].SuccessStreak != 1 {
		t.Fatalf("db = %+v", st.Targets["db"])
	}
	reads := e.api.echoGets.Load()
	e.clk.Advance(time.Minute)
	e.run()
	if n := e.api.echoGets.Load() - reads; n != 0 {
		t.Fatalf("old or unchanged batch objects read again: %d", n)
	}
}
