package checkstaleness_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/tasks/checkstaleness"
)

const raceConfig = `
channels:
  ops: {type: sns}
defaults:
  channels: [ops]
  staleAfter: 15m
  remindEvery: 20m
targets:
  - {name: a, url: "https://a.example/", failureThreshold: 1}
  - {name: b, url: "https://b.example/", failureThreshold: 2, successThreshold: 2}
  - {name: c, tcp: "c.example:22", failureThreshold: 3}
  - {name: d, url: "https://d.example/"}
`

// TestConcurrentRunsAgree runs two handlers at once after every round of
// echoes, many times, and compares the outbox and the state with a single
// handler fed the same echoes: each alert is created exactly once and the
// state is the same.
func TestConcurrentRunsAgree(t *testing.T) {
	const rounds = 40
	concurrent := newEnv(t, raceConfig)
	single := newEnv(t, raceConfig)
	rng := rand.New(rand.NewPCG(1, 2))
	apis := []*hookedAPI{{API: concurrent.client()}, {API: concurrent.client()}}
	handlers := []*checkstaleness.Handler{concurrent.handler(apis[0]), concurrent.handler(apis[1])}
	conflicts := 0
	for i := range rounds {
		// d stops echoing for a while, so STALE and reminders happen too.
		ups := map[string]bool{"a": rng.IntN(3) > 0, "b": rng.IntN(2) > 0, "c": rng.IntN(4) == 0}
		if i < 10 || i > 25 {
			ups["d"] = rng.IntN(3) > 0
		}
		for _, e := range []*env{concurrent, single} {
			e.clk.Advance(4 * time.Minute)
			for name, up := range ups {
				e.echo(name, up)
			}
		}
		single.run()

		var wg sync.WaitGroup
		errs := make([]error, 2)
		outs := make([]checkstaleness.Out, 2)
		for j, h := range handlers {
			wg.Go(func() {
				outs[j], errs[j] = h.Handle(context.Background(), checkstaleness.In{Run: fmt.Sprintf("run-%d-%d", i, j)})
			})
		}
		before := apis[0].statePuts.Load() + apis[1].statePuts.Load()
		wg.Wait()
		// The run that reads the state after the other saved it has
		// nothing to write; two writes in a round mean one conflicted.
		if apis[0].statePuts.Load()+apis[1].statePuts.Load()-before >= 2 {
			conflicts++
		}
		for j, err := range errs {
			if err != nil {
				t.Fatalf("round %d, handler %d: %v", i, j, err)
			}
		}
		if got, want := concurrent.committed(), single.committed(); !slices.Equal(got, want) {
			t.Fatalf("round %d: outbox %v\nwant %v", i, got, want)
		}
		if got, want := mustJSON(t, withoutAlertIDs(concurrent.state().Targets)), mustJSON(t, withoutAlertIDs(single.state().Targets)); got != want {
			t.Fatalf("round %d: state\n got %s\nwant %s", i, got, want)
		}
		// The changes are reported once between the two runs.
		var reported int
		for _, o := range outs {
			reported += o.ChangeCount
		}
		if reported > len(concurrent.state().Targets) {
			t.Fatalf("round %d: %d changes reported for %d targets", i, reported, len(concurrent.state().Targets))
		}
	}
	if conflicts == 0 {
		t.Errorf("the two runs never conflicted in %d rounds; the test does not exercise the retry", rounds)
	}
	t.Logf("%d of %d rounds had a conflict", conflicts, rounds)
	kinds := map[string]bool{}
	for _, a := range single.alerts() {
		kinds[a.Kind] = true
	}
	for _, k := range []string{"DOWN", "RECOVERED", "STALE", "REMINDER"} {
		if !kinds[k] {
			t.Errorf("the rounds raised no %s alert; the test does not exercise it", k)
		}
	}
}

// withoutAlertIDs clears each target's LastAlertID, which names the run
// that raised the alert and so differs between the two environments.
func withoutAlertIDs(targets map[string]status.TargetState) map[string]status.TargetState {
	out := make(map[string]status.TargetState, len(targets))
	for name, st := range targets {
		st.LastAlertID = ""
		out[name] = st
	}
	return out
}

// TestConflictInjected writes the state between the handler's read and its
// write: the handler re-reads, decides again and loses nothing.
func TestConflictInjected(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, raceConfig)
	e.echo("a", true)
	e.run()
	e.clk.Advance(time.Minute)
	e.echo("a", false)
	e.echo("b", false)

	// Another run decides the same changes first.
	e.api.setHook(func(n int) {
		if n != 2 { // the first put was the previous run's
			return
		}
		other := e.handler(nil)
		if _, err := other.Handle(ctx, checkstaleness.In{Run: "other"}); err != nil {
			t.Errorf("other run: %v", err)
		}
	})
	out := e.run()
	st := e.state()
	if st.Targets["a"].Status != status.Down || st.Targets["a"].Seq != 2 || st.Targets["b"].FailStreak != 1 {
		t.Fatalf("state = %+v", st.Targets)
	}
	if got := e.committed(); !slices.Equal(got, []string{"a-down-2"}) {
		t.Fatalf("outbox = %v, want one a-down-2", got)
	}
	if id := "a-down-2-" + status.RaiserOf("other"); st.Targets["a"].LastAlertID != id || !slices.Contains(e.alertIDs(), id) {
		t.Fatalf("the saved alert is %q, want the other run's %s (outbox %v)", st.Targets["a"].LastAlertID, id, e.alertIDs())
	}
	// The other run's alert, and this run's withdrawn draft (which makes
	// Notify run, and Notify deletes it).
	if out.Pending != 2 {
		t.Fatalf("pending = %d, want 2", out.Pending)
	}
	if e.api.statePuts.Load() != 2 {
		t.Fatalf("state writes = %d, want 2 (the conflict, then nothing left to write)", e.api.statePuts.Load())
	}
}

// TestConflictWithNewerEcho: the run that saves first saw a newer echo and
// decided differently. The loser's alert, written as a draft before it
// tried to save, is withdrawn: it describes a decision that was never
// saved, and sending it would tell people of a DOWN that the state never
// had (and, later, of the next real DOWN a second time).
func TestConflictWithNewerEcho(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, raceConfig)
	e.echo("a", true)
	e.run()
	e.clk.Advance(time.Minute)
	e.echo("a", false)

	e.api.setHook(func(n int) {
		if n != 2 {
			return
		}
		e.clk.Advance(time.Second)
		e.echo("a", true)
		if _, err := e.handler(nil).Handle(ctx, checkstaleness.In{Run: "newer"}); err != nil {
			t.Errorf("newer run: %v", err)
		}
	})
	out := e.run()
	e.api.setHook(nil)
	st := e.state().Targets["a"]
	if st.Status != status.Up || !st.LastEchoAt.Equal(e.clk.Now()) {
		t.Fatalf("a = %+v, want UP with the newer echo", st)
	}
	if got := e.committed(); len(got) != 0 {
		t.Fatalf("outbox = %v, want no alert: a was never saved as DOWN", got)
	}
	if got := e.alertIDs(); !slices.Equal(got, []string{"a-down-2-" + status.RaiserOf("run-1")}) {
		t.Fatalf("outbox objects = %v, want only the loser's withdrawn draft", got)
	}
	if out.ChangeCount != 0 {
		t.Fatalf("the loser reports %d changes, want none (it decided again from the winner's state)", out.ChangeCount)
	}
	// The next real change is raised, committed and has its own ID.
	e.clk.Advance(time.Minute)
	e.echo("a", false)
	if _, err := e.h.Handle(ctx, checkstaleness.In{Run: "later"}); err != nil {
		t.Fatal(err)
	}
	if got := e.committed(); len(got) != 1 || !strings.HasPrefix(got[0], "a-down-") {
		t.Fatalf("outbox = %v, want one new DOWN for a", got)
	}
	if id := e.state().Targets["a"].LastAlertID; id != status.AlertID("a", "DOWN", e.state().Targets["a"].Seq, status.RaiserOf("later")) {
		t.Fatalf("a's last alert is %q, want the later run's", id)
	}
}

// TestConflictForever gives up after five attempts with an error that
// wraps store.ErrConflict.
func TestConflictForever(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, raceConfig)
	e.echo("a", true)
	e.run()
	e.clk.Advance(time.Minute)
	e.echo("a", false)
	e.api.setHook(func(n int) {
		f := e.state()
		f.UpdatedAt = f.UpdatedAt.Add(time.Duration(n) * time.Millisecond)
		if _, err := e.raw.PutJSON(ctx, status.Key, f, store.Condition{}); err != nil {
			t.Error(err)
		}
	})
	before := e.api.statePuts.Load()
	_, err := e.h.Handle(ctx, checkstaleness.In{Run: "r"})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if n := e.api.statePuts.Load() - before; n != 5 {
		t.Fatalf("state writes = %d, want 5", n)
	}
}
