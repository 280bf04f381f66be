package local_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/status"
)

// TestRun runs the definition with the real handlers: the target list
// goes to runs/, the distributed Map reads it through the store, each
// batch writes one echo object (the targets sorted by name), and every
// target is decided.
func TestRun(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer web.Close()
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env, err := local.Open(local.Options{BatchSize: 2, Clock: clk, EngineClock: local.InstantClock(clk)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var b strings.Builder
	b.WriteString("targets:\n")
	for _, n := range []string{"c", "a", "b"} {
		fmt.Fprintf(&b, "  - {name: %s, url: %q, expect: {body: ok}, successThreshold: 1}\n", n, web.URL+"/")
	}
	if err := env.PutTargets(ctx, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	rec, err := env.Run(ctx, "scale-1", `{"trigger":"schedule"}`)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != sfnapi.StatusSucceeded {
		t.Fatalf("run: %s %s %s", rec.Status, rec.Error, rec.Cause)
	}
	var types []string
	for _, ev := range rec.Events {
		types = append(types, ev.Type)
	}
	if !slices.Contains(types, "MapRunStarted") || !slices.Contains(types, "MapRunSucceeded") {
		t.Fatalf("no Map Run in the history: %v", types)
	}
	// The execution page names every batch's echo object: ProbeTargets'
	// output lists them, in name order.
	var probed string
	for _, ev := range rec.Events {
		if ev.StateExitedEventDetails != nil && ev.StateExitedEventDetails.Name == "ProbeTargets" {
			probed = ev.StateExitedEventDetails.Output
		}
	}
	if !strings.Contains(probed, `"probed":{"batches":2,"echoes":["echo/batch/a--b.json","echo/batch/c--c.json"]}`) {
		t.Fatalf("ProbeTargets output = %s, want it to name both echo objects", probed)
	}
	st, _ := env.Store(ctx)
	echoes, err := st.List(ctx, "echo/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range echoes {
		keys = append(keys, e.Key)
	}
	if want := []string{"echo/batch/a--b.json", "echo/batch/c--c.json"}; !slices.Equal(keys, want) {
		t.Fatalf("echo objects = %v, want %v", keys, want)
	}
	lists, err := st.List(ctx, "runs/")
	if err != nil || len(lists) != 1 {
		t.Fatalf("target lists = %v (%v)", lists, err)
	}
	var f status.File
	if _, err := st.GetJSON(ctx, status.Key, &f); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		if f.Targets[n].Status != status.Up {
			t.Errorf("%s = %+v, want UP", n, f.Targets[n])
		}
	}
}

func TestOpenTakesAMapConcurrencyOver40(t *testing.T) {
	env, err := local.Open(local.Options{MapConcurrency: 100})
	if err != nil {
		t.Fatalf("a distributed Map may run more than 40 children at once: %v", err)
	}
	_ = env.Close()
}
