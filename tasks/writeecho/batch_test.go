package writeecho_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/tasks/writeecho"
)

// TestWritesOneObject: the batch's non-skipped results, in order, as one
// JSON array named by its least and greatest target names; the output
// names the object.
func TestWritesOneObject(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, "medic")
	in := fixture(t)
	h := &writeecho.Handler{Store: s}
	for attempt := range 2 { // a retried batch writes the same object again
		out, err := h.Handle(ctx, in)
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if out.Written != 2 || out.Echo != "echo/batch/api--web.json" {
			t.Fatalf("attempt %d: out = %+v, want 2 written (the push target is skipped) to echo/batch/api--web.json", attempt, out)
		}
	}
	key := echo.Key("api", "web")
	var got []probe.Result
	if _, err := s.GetJSON(ctx, key, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in.Results[:2]) {
		t.Fatalf("%s = %+v, want %+v", key, got, in.Results[:2])
	}
	infos, err := s.List(ctx, store.PrefixEcho)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Key != key || !strings.HasPrefix(key, "echo/batch/") {
		t.Fatalf("objects under echo/ = %+v, want only %s", infos, key)
	}
}

func TestEdges(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		store   func(t *testing.T) *store.Store
		results []probe.Result
		written int
		key     string // the object written, if any
		errHas  string
	}{
		{name: "every result skipped: nothing written", store: func(t *testing.T) *store.Store { return newStore(t, "medic") },
			results: []probe.Result{{Target: "p", Skipped: probe.SkippedPush}}},
		{name: "one result: first and last are the same", store: func(t *testing.T) *store.Store { return newStore(t, "medic") },
			results: []probe.Result{{Target: "solo", Up: true}}, written: 1, key: "echo/batch/solo--solo.json"},
		{name: "the name says the least and greatest names", store: func(t *testing.T) *store.Store { return newStore(t, "medic") },
			results: []probe.Result{{Target: "m"}, {Target: "z"}, {Target: "b"}}, written: 3, key: "echo/batch/b--z.json"},
		{name: "skipped ends are not in the name", store: func(t *testing.T) *store.Store { return newStore(t, "medic") },
			results: []probe.Result{{Target: "a", Skipped: probe.SkippedPush}, {Target: "b"}, {Target: "c"}, {Target: "d", Skipped: probe.SkippedPush}},
			written: 2, key: "echo/batch/b--c.json"},
		{name: "a result without a name", store: func(t *testing.T) *store.Store { return newStore(t, "medic") },
			results: []probe.Result{{Target: "a"}, {}}, errHas: "result 1 has no target name"},
		{name: "the write refused", store: func(t *testing.T) *store.Store { return deniedStore(t, "echo/batch/a--b.json") },
			results: []probe.Result{{Target: "a"}, {Target: "b"}}, errHas: "echo/batch/a--b.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.store(t)
			out, err := (&writeecho.Handler{Store: s}).Handle(ctx, writeecho.In{Batch: 0, Run: "r", Results: tc.results})
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error = %v, want it to name %q", err, tc.errHas)
				}
				return
			}
			if err != nil || out.Written != tc.written || out.Echo != tc.key {
				t.Fatalf("out %+v, %v; want %d written to %q", out, err, tc.written, tc.key)
			}
			infos, err := s.List(ctx, store.PrefixEcho)
			if err != nil {
				t.Fatal(err)
			}
			if tc.key == "" && len(infos) != 0 || tc.key != "" && (len(infos) != 1 || infos[0].Key != tc.key) {
				t.Fatalf("objects = %+v, want %q", infos, tc.key)
			}
		})
	}
	var werr *writeecho.EchoWriteError
	_, err := (&writeecho.Handler{Store: deniedStore(t, "echo/batch/a--a.json")}).Handle(ctx, writeecho.In{Results: []probe.Result{{Target: "a"}}})
	if !errors.As(err, &werr) {
		t.Fatalf("a refused batch write: %v, want *EchoWriteError (retried by the state machine)", err)
	}
}
