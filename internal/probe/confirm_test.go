package probe_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// failingFirst answers 503 to the first n requests, then 200.
func failingFirst(t *testing.T, n int64) (*atomic.Int64, string) {
	t.Helper()
	var hits atomic.Int64
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= n {
			http.Error(w, "blip", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	return &hits, srv.URL
}

func confirmed(url string, attempts int, interval time.Duration) target.Target {
	return target.Target{
		Name: "web", Kind: target.KindHTTP, URL: url, Method: "GET", Timeout: target.Duration(2 * time.Second),
		Confirm: &target.Confirm{Attempts: attempts, Interval: target.Duration(interval)},
	}
}

func TestProbeConfirmed(t *testing.T) {
	tests := []struct {
		name          string
		failFirst     int64
		attempts      int
		wantUp        bool
		wantRechecks  int
		wantBlip      bool
		wantConfirmed bool
		wantHits      int64
		wantNoConfirm bool
	}{
		{name: "passes at once: no re-check", failFirst: 0, attempts: 2, wantUp: true, wantHits: 1, wantNoConfirm: true},
		{name: "fails once then answers: a blip", failFirst: 1, attempts: 2, wantUp: true, wantRechecks: 1, wantBlip: true, wantHits: 2},
		{name: "fails twice then answers: a blip on the last re-check", failFirst: 2, attempts: 2, wantUp: true, wantRechecks: 2, wantBlip: true, wantHits: 3},
		{name: "keeps failing: a confirmed failure", failFirst: 1 << 30, attempts: 2, wantUp: false, wantRechecks: 2, wantConfirmed: true, wantHits: 3},
		{name: "confirmation off: the failure as it is", failFirst: 1, attempts: 0, wantUp: false, wantHits: 1, wantNoConfirm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, url := failingFirst(t, tt.failFirst)
			tg := confirmed(url, tt.attempts, 20*time.Millisecond)
			if tt.attempts == 0 {
				tg.Confirm = nil
			}
			res := local().ProbeConfirmed(context.Background(), tg)
			checkUp(t, res)
			if res.Up != tt.wantUp || hits.Load() != tt.wantHits {
				t.Fatalf("up %v after %d requests, want %v after %d (result %+v)", res.Up, hits.Load(), tt.wantUp, tt.wantHits, res)
			}
			if tt.wantNoConfirm {
				if res.Confirm != nil {
					t.Fatalf("confirm = %+v, want none", res.Confirm)
				}
				return
			}
			c := res.Confirm
			if c == nil {
				t.Fatal("confirm = nil, want the confirmation's account")
			}
			if c.Rechecks != tt.wantRechecks || c.Blip != tt.wantBlip || c.Confirmed != tt.wantConfirmed || c.CutShort != "" {
				t.Fatalf("confirm = %+v, want %d re-checks, blip %v, confirmed %v, not cut short", c, tt.wantRechecks, tt.wantBlip, tt.wantConfirmed)
			}
			if len(c.FirstFailures) != 1 || !strings.Contains(c.FirstFailures[0], "503") {
				t.Fatalf("first failures = %q, want the first check's 503", c.FirstFailures)
			}
		})
	}
}

// TestProbeConfirmedWaitsTheInterval checks that the re-check comes an
// interval after the failure, not at once.
func TestProbeConfirmedWaitsTheInterval(t *testing.T) {
	_, url := failingFirst(t, 1)
	began := time.Now()
	res := local().ProbeConfirmed(context.Background(), confirmed(url, 1, 300*time.Millisecond))
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Fatalf("blip confirmed after %v, want at least the 300ms interval", took)
	}
	if res.Confirm == nil || !res.Confirm.Blip {
		t.Fatalf("confirm = %+v, want a blip", res.Confirm)
	}
}

// TestProbeConfirmedStopsAtTheDeadline checks that a confirmation that
// would run past the caller's deadline is cut short, says so, and leaves
// the failure as it was (unconfirmed), without waiting out the interval.
func TestProbeConfirmedStopsAtTheDeadline(t *testing.T) {
	t.Run("not started", func(t *testing.T) {
		hits, url := failingFirst(t, 1<<30)
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		// A re-check takes up to 1s of pause plus the 2s timeout: more than is left.
		began := time.Now()
		res := local().ProbeConfirmed(ctx, confirmed(url, 3, time.Second))
		if took := time.Since(began); took > time.Second {
			t.Fatalf("took %v, want the confirmation not started", took)
		}
		c := res.Confirm
		if res.Up || c == nil || c.Confirmed || c.Blip || c.Rechecks != 0 || hits.Load() != 1 {
			t.Fatalf("up %v, %d requests, confirm %+v; want the first failure, unconfirmed, no re-check", res.Up, hits.Load(), c)
		}
		if !strings.HasPrefix(c.CutShort, probe.SkippedCutShort+": re-check 1 of 3 would not finish before the probe task's deadline") {
			t.Fatalf("cutShort = %q", c.CutShort)
		}
		if len(res.Failures) == 0 || res.Skipped != "" {
			t.Fatalf("failures %q skipped %q, want the failure kept", res.Failures, res.Skipped)
		}
	})
	t.Run("after a failed re-check", func(t *testing.T) {
		var hits atomic.Int64
		srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				http.Error(w, "blip", http.StatusBadGateway)
				return
			}
			select { // the re-check hangs past the deadline
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		tg := confirmed(srv.URL, 2, 10*time.Millisecond)
		tg.Timeout = target.Duration(150 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		// The first check fails at once; the first re-check times out on
		// the target's 150ms (a failure), the second would not fit in the
		// ~90ms left.
		res := local().ProbeConfirmed(ctx, tg)
		c := res.Confirm
		if res.Up || c == nil || c.Confirmed || c.Blip || c.Rechecks != 1 || hits.Load() != 2 {
			t.Fatalf("up %v, %d requests, confirm %+v; want one failed re-check, unconfirmed", res.Up, hits.Load(), c)
		}
		if !strings.Contains(c.CutShort, "re-check 2 of 2 would not finish before the probe task's deadline") {
			t.Fatalf("cutShort = %q, want it to name the re-check and the deadline", c.CutShort)
		}
	})
}

// TestProbeConfirmedOnAControlledClock checks that the pauses go through
// the Prober's Sleep and use up the deadline on its clock: with a 20 s
// deadline, 10 s pauses and a 2 s timeout, the first re-check fits (20 s
// left, 12 s needed), the second does not (the clock moved 10 s: 10 s
// left, 12 s needed), all in milliseconds of real time.
func TestProbeConfirmedOnAControlledClock(t *testing.T) {
	hits, url := failingFirst(t, 1<<30)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := t0
	var slept []time.Duration
	p := local()
	p.Now = func() time.Time { return now }
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	began := time.Now()
	res := p.ProbeConfirmed(ctx, confirmed(url, 3, 10*time.Second))
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("took %v of real time, want the pauses on the controlled clock", took)
	}
	c := res.Confirm
	if res.Up || c == nil || c.Rechecks != 1 || c.Confirmed || hits.Load() != 2 || len(slept) != 1 || slept[0] != 10*time.Second {
		t.Fatalf("up %v, %d requests, sleeps %v, confirm %+v; want one re-check after one 10s pause, then cut short", res.Up, hits.Load(), slept, c)
	}
	if !strings.Contains(c.CutShort, "re-check 2 of 3 would not finish before the probe task's deadline") || now.Sub(t0) != 10*time.Second {
		t.Fatalf("cutShort %q after %v on the clock", c.CutShort, now.Sub(t0))
	}
}
