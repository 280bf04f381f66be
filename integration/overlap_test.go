package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/tasks/checkstaleness"
)

// changeLog keeps the status changes that CheckStaleness saved, from every
// execution's output.
type changeLog struct {
	mu      sync.Mutex
	changes []checkstaleness.Change
}

func (l *changeLog) wrap(f engine.Func) engine.Func {
	return func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		out, err := f(ctx, in)
		if err != nil {
			return out, err
		}
		var res checkstaleness.Out
		if err := json.Unmarshal(out, &res); err != nil {
			return out, fmt.Errorf("test: decode CheckStaleness output: %w", err)
		}
		l.mu.Lock()
		l.changes = append(l.changes, res.Changes...)
		l.mu.Unlock()
		return out, nil
	}
}

// alertsFor counts the alerts the saved changes of target call for: a
// change into DOWN or STALE, and DOWN or STALE back to UP.
func (l *changeLog) alertsFor(target string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	bad := func(s string) bool { return s == status.Down || s == status.Stale }
	for _, c := range l.changes {
		if c.Target != target {
			continue
		}
		if bad(c.To) || (c.To == status.Up && bad(c.From)) {
			n++
		}
	}
	return n
}

// Many executions at once, round after round, while targets flip between
// up and down, even in the middle of a round: every alert is delivered
// exactly once per channel, each target's alerts arrive in order (DOWN and
// RECOVERED alternate; no DOWN twice, no RECOVERED first), and the last
// one delivered agrees with the target's final status.
func TestOverlappingRoundsDeliverEveryAlertOnceAndInOrder(t *testing.T) {
	const (
		minRuns  = 20
		maxRuns  = 30
		nTargets = 3
	)
	// Each round is 20-30 executions at once; under -race (CI) fewer
	// rounds keep the test to seconds, the checks stay the same.
	rounds := 4
	if raceDetector {
		rounds = 2
	}
	log := &changeLog{}
	h := newHarness(t, setup{wrap: map[string]func(engine.Func) engine.Func{taskCheckStaleness: log.wrap}})
	api := newReceiver(t, ok)
	servers := make([]*bodyServer, nTargets)
	var list strings.Builder
	for i := range servers {
		servers[i] = newBodyServer(t, http.StatusOK, "ok")
		fmt.Fprintf(&list, "  - {name: t%d, url: %q}\n", i, servers[i].URL)
	}
	h.putTargets(fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
defaults: {failureThreshold: 1, successThreshold: 1, timeout: 5s, channels: [api], flap: {changes: 0}}  # every change its own alert
targets:
%s`, api.URL, list.String()))

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	flip := func(s *bodyServer, up bool) {
		if up {
			s.set(http.StatusOK, "ok")
		} else {
			s.set(http.StatusServiceUnavailable, "")
		}
	}
	for round := range rounds {
		n := minRuns + rng.IntN(maxRuns-minRuns+1)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if x := h.run(schedule); x.Status != engine.StatusSucceeded {
					t.Errorf("round %d: execution %s: %s %s", round, x.Status, x.Error, x.Cause)
				}
			})
		}
		// Flip targets while the round's executions run, until they end.
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
	flipping:
		for {
			select {
			case <-done:
				break flipping
			case <-time.After(time.Duration(1+rng.IntN(20)) * time.Millisecond):
				flip(servers[rng.IntN(nTargets)], rng.IntN(2) == 0)
			}
		}
		h.clock.Advance(time.Minute)
	}

	// Settle: every target in a final state, then runs one at a time until
	// the outbox is empty.
	final := map[string]string{}
	for i, s := range servers {
		up := rng.IntN(2) == 0
		flip(s, up)
		final[fmt.Sprintf("t%d", i)] = map[bool]string{true: status.Up, false: status.Down}[up]
	}
	for i := 0; ; i++ {
		h.clock.Advance(time.Minute)
		h.mustSucceed(schedule)
		if len(h.outbox()) == 0 {
			break
		}
		if i == 5 {
			t.Fatalf("outbox still holds %d alerts after 5 quiet runs: %+v", len(h.outbox()), h.outbox())
		}
	}

	ids := api.alertIDs()
	if !distinct(ids) {
		t.Errorf("an alert was delivered twice: %q", ids)
	}
	st := h.state()
	for name, want := range final {
		if got := st.Targets[name].Status; got != want {
			t.Fatalf("%s is %s after the quiet runs, want %s", name, got, want)
		}
		kinds := kindsOf(api, name)
		for i, k := range kinds {
			wantKind := "DOWN"
			if i%2 == 1 {
				wantKind = "RECOVERED"
			}
			if k != wantKind {
				t.Errorf("%s: alerts delivered %v: alert %d is %s, want %s (DOWN and RECOVERED alternate)", name, kinds, i+1, k, wantKind)
				break
			}
		}
		last := ""
		if len(kinds) > 0 {
			last = kinds[len(kinds)-1]
		}
		if (want == status.Down && last != "DOWN") || (want == status.Up && last == "DOWN") {
			t.Errorf("%s is finally %s but the last alert delivered is %q (all: %v)", name, want, last, kinds)
		}
		if n := log.alertsFor(name); n != len(kinds) {
			t.Errorf("%s: the saved status changes call for %d alerts, %d were delivered: %v", name, n, len(kinds), kinds)
		}
	}
}
