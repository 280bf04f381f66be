package hold_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return store.New(srv.Client(), "medic")
}

// Writers that change state/holds.json at the same moment, each through
// its own read and conditional write against the embedded S3 server over
// HTTP, never lose each other's change.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const writers = 12
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("t%02d", i)
			_, err := hold.Update(ctx, s, t0, func(f *hold.File) error {
				if i%2 == 0 {
					f.Paused[name] = hold.Pause{At: t0, By: name}
				} else {
					f.Acks[name] = hold.Ack{At: t0, By: name}
				}
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, _, err := hold.Read(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Paused)+len(f.Acks) != writers {
		t.Fatalf("%d pauses and %d acks after %d writers: updates were lost", len(f.Paused), len(f.Acks), writers)
	}
	for i := range writers {
		name := fmt.Sprintf("t%02d", i)
		_, p := f.Paused[name]
		_, a := f.Acks[name]
		if p == a {
			t.Errorf("%s: paused %v acked %v", name, p, a)
		}
	}
}

// A write made between Update's read and its write makes Update read
// again and apply its change on top of it.
func TestUpdateRetriesOnAConflict(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	calls := 0
	_, err := hold.Update(ctx, s, t0, func(f *hold.File) error {
		calls++
		if calls == 1 {
			// Someone else saves first.
			if _, err := hold.Update(ctx, s, t0, func(g *hold.File) error {
				g.Acks["db"] = hold.Ack{At: t0, By: "bob"}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		f.Paused["web"] = hold.Pause{At: t0, By: "alice"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, _, _ := hold.Read(ctx, s)
	if calls != 2 || f.Paused["web"].By != "alice" || f.Acks["db"].By != "bob" {
		t.Fatalf("calls %d, file %+v", calls, f)
	}
}

func TestPausesEnd(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := hold.Update(ctx, s, t0, func(f *hold.File) error {
		f.Paused["web"] = hold.Pause{At: t0, Until: t0.Add(time.Hour), By: "alice"}
		f.Paused["db"] = hold.Pause{At: t0, By: "alice"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f, _, _ := hold.Read(ctx, s)
	for _, tt := range []struct {
		name string
		at   time.Duration
		want bool
	}{
		{"web", 59 * time.Minute, true}, {"web", time.Hour, false}, {"db", 1000 * time.Hour, true}, {"api", 0, false},
	} {
		if _, ok := f.PauseOf(tt.name, t0.Add(tt.at)); ok != tt.want {
			t.Errorf("%s at +%s: paused %v, want %v", tt.name, tt.at, ok, tt.want)
		}
	}
	// The next update drops the pause that has ended.
	f, err := hold.Update(ctx, s, t0.Add(2*time.Hour), func(*hold.File) error { return nil })
	if err != nil || len(f.Paused) != 1 || f.Paused["db"].By != "alice" {
		t.Fatalf("after the end: %+v, %v", f.Paused, err)
	}
	// A change that fails writes nothing.
	boom := errors.New("no such target")
	if _, err := hold.Update(ctx, s, t0, func(f *hold.File) error { delete(f.Paused, "db"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	if f, _, _ := hold.Read(ctx, s); len(f.Paused) != 1 {
		t.Fatalf("a failed change was written: %+v", f.Paused)
	}
}
