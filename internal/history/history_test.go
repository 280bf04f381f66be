package history_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// counting is the S3 client with a count of its requests.
type counting struct {
	store.API
	gets, puts, deletes, lists atomic.Int64
}

func (c *counting) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets.Add(1)
	return c.API.GetObject(ctx, in, o...)
}

func (c *counting) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.puts.Add(1)
	return c.API.PutObject(ctx, in, o...)
}

func (c *counting) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, o ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	c.deletes.Add(1)
	return c.API.DeleteObject(ctx, in, o...)
}

func (c *counting) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.lists.Add(1)
	return c.API.ListObjectsV2(ctx, in, o...)
}

type env struct {
	t   *testing.T
	clk *clock.Manual
	api *counting
	s   *store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clock.NewManual(t0)
	srv, err := s3local.Start(s3local.Options{Now: clk.Now, Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	api := &counting{API: srv.Client()}
	return &env{t: t, clk: clk, api: api, s: store.New(api, "medic")}
}

// run records one run at the clock's time.
func (e *env) run(obs ...history.Observation) history.Snapshot {
	e.t.Helper()
	snap, err := history.Update(context.Background(), e.s, obs, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return snap
}

func check(at time.Time, up bool, ms float64) *history.Check {
	c := &history.Check{At: at, Up: up, LatencyMS: ms}
	if !up {
		c.Failure = "status 503, want 200-399"
	}
	return c
}

func observed(name, st string, since time.Time, c *history.Check) history.Observation {
	o := history.Observation{Target: name, State: status.TargetState{Target: name, Status: st, Since: since}, Check: c}
	if st == status.Down {
		o.State.LastFailures = []string{"status 503, want 200-399"}
	}
	return o
}

func pct(t *testing.T, r history.Ratio) string {
	t.Helper()
	p, ok := r.Percent()
	if !ok {
		return "none"
	}
	return fmt.Sprintf("%.1f", p)
}

// TestACheckCountsOnce: a run applied twice (a retry, or two runs that read
// the same echo) counts its checks once.
func TestACheckCountsOnce(t *testing.T) {
	e := newEnv(t)
	o := observed("web", status.Up, t0, check(t0, true, 42))
	e.run(o)
	e.clk.Advance(time.Minute)
	snap := e.run(o)
	if n := len(snap.Recent.Targets["web"].List()); n != 1 {
		t.Fatalf("recent points %d, want 1: %+v", n, snap.Recent.Targets["web"])
	}
	if r := snap.Uptime.Targets["web"].UptimeOver(24*time.Hour, e.clk.Now()); r.Checks != 1 {
		t.Fatalf("24h checks %d, want 1", r.Checks)
	}
	_, days, err := history.ReadDays(context.Background(), e.s, "web", e.clk.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if days[0].Checks != 1 || days[0].Percentile(0.5) != 42 {
		t.Fatalf("day %+v, want 1 check, p50 42 ms", days[0])
	}
}

// TestUptimeWindowsAndGaps: uptime is passed over made checks in each
// window; a day without checks (the monitor stopped) is a gap, and a window
// without checks has no figure rather than 100%.
func TestUptimeWindowsAndGaps(t *testing.T) {
	e := newEnv(t)
	// Day 1: 4 checks, 1 failed. Day 2: nothing. Day 3: 2 good checks.
	for i, up := range []bool{true, false, true, true} {
		e.clk.Set(t0.Add(time.Duration(i) * 10 * time.Minute))
		e.run(observed("web", status.Up, t0, check(e.clk.Now(), up, 10)))
	}
	day3 := t0.Add(48 * time.Hour)
	for i := range 2 {
		e.clk.Set(day3.Add(time.Duration(i) * 10 * time.Minute))
		e.run(observed("web", status.Up, t0, check(e.clk.Now(), true, 10)))
	}
	// A target added on day 3 with no check yet.
	snap := e.run(observed("web", status.Up, t0, nil), observed("new", status.Unknown, day3, nil))
	now := e.clk.Now()
	s := snap.Uptime.Targets["web"]
	for _, tc := range []struct {
		span time.Duration
		want string
	}{
		{24 * time.Hour, "100.0"},
		{7 * 24 * time.Hour, "83.3"},
		{90 * 24 * time.Hour, "83.3"},
	} {
		if got := pct(t, s.UptimeOver(tc.span, now)); got != tc.want {
			t.Errorf("uptime over %s = %s, want %s", tc.span, got, tc.want)
		}
	}
	days := s.DaysUpTo(now, 3)
	if got := []string{pct(t, days[0]), pct(t, days[1]), pct(t, days[2])}; strings.Join(got, " ") != "75.0 none 100.0" {
		t.Errorf("last 3 days %v, want [75.0 none 100.0]", got)
	}
	if got := pct(t, snap.Uptime.Targets["new"].UptimeOver(24*time.Hour, now)); got != "none" {
		t.Errorf("a target without checks has uptime %s, want none", got)
	}
	// Two days later with no run at all, 24h has no figure either.
	if got := pct(t, s.UptimeOver(24*time.Hour, now.Add(49*time.Hour))); got != "none" {
		t.Errorf("24h uptime after a 49h gap = %s, want none", got)
	}
}

// TestPushTargetsCountTheirStatus: a push target has no checks; each run
// counts its status (UP passes, STALE fails, UNKNOWN is not counted).
func TestPushTargetsCountTheirStatus(t *testing.T) {
	e := newEnv(t)
	push := func(st string) history.Observation {
		o := observed("beat", st, t0, nil)
		o.Push = true
		return o
	}
	e.run(push(status.Unknown))
	e.clk.Advance(10 * time.Minute)
	e.run(push(status.Up))
	e.clk.Advance(10 * time.Minute)
	snap := e.run(push(status.Stale))
	r := snap.Uptime.Targets["beat"].UptimeOver(24*time.Hour, e.clk.Now())
	if r.Checks != 2 || r.Failures != 1 {
		t.Fatalf("push target counts %+v, want 2 checks, 1 failure", r)
	}
	if inc := snap.Incidents.Incidents; len(inc) != 1 || inc[0].Status != status.Stale || !inc[0].Open() {
		t.Fatalf("incidents %+v, want one open STALE incident", inc)
	}
}

// TestIncidentLifecycle: DOWN opens an incident with its first failure and
// alert, a reminder is added to it, UP closes it at the recovery; a probed
// target's STALE does not open one.
func TestIncidentLifecycle(t *testing.T) {
	e := newEnv(t)
	down := func(alert string, at time.Time) history.Observation {
		o := observed("web", status.Down, t0, check(e.clk.Now(), false, 0))
		o.State.LastAlertID, o.State.LastAlertAt = alert, at
		return o
	}
	e.run(observed("web", status.Up, t0.Add(-time.Hour), check(t0, true, 5)))
	e.clk.Advance(10 * time.Minute)
	e.run(down("web-down-1-aa", e.clk.Now()))
	e.clk.Advance(10 * time.Minute)
	snap := e.run(down("web-reminder-2-bb", e.clk.Now()))
	if inc := snap.Incidents.Incidents; len(inc) != 1 || !inc[0].Open() || inc[0].Reason != "status 503, want 200-399" ||
		strings.Join(inc[0].Alerts, ",") != "web-down-1-aa,web-reminder-2-bb" || !inc[0].Start.Equal(t0) {
		t.Fatalf("open incident %+v", inc)
	}
	e.clk.Advance(10 * time.Minute)
	recovered := observed("web", status.Up, e.clk.Now(), check(e.clk.Now(), true, 5))
	recovered.State.LastAlertID, recovered.State.LastAlertAt = "web-recovered-3-cc", e.clk.Now()
	snap = e.run(recovered)
	inc := snap.Incidents.Incidents
	if len(inc) != 1 || inc[0].Open() || inc[0].Duration(e.clk.Now()) != 30*time.Minute || len(inc[0].Alerts) != 3 {
		t.Fatalf("closed incident %+v, want 30m with 3 alerts", inc)
	}
	e.clk.Advance(10 * time.Minute)
	snap = e.run(observed("web", status.Stale, e.clk.Now(), nil))
	if n := len(snap.Incidents.Incidents); n != 1 {
		t.Fatalf("a probed target's STALE opened an incident: %+v", snap.Incidents.Incidents)
	}
	// 91 days later the closed incident is gone.
	e.clk.Advance(91 * 24 * time.Hour)
	snap = e.run(observed("web", status.Up, e.clk.Now(), nil))
	if n := len(snap.Incidents.Incidents); n != 0 {
		t.Fatalf("a 91-day-old incident is kept: %+v", snap.Incidents.Incidents)
	}
}

// TestOverlappingRunsLoseNothing: runs that write the history at the same
// time each count their checks (conditional writes, applied again on a
// conflict).
func TestOverlappingRunsLoseNothing(t *testing.T) {
	e := newEnv(t)
	const runs = 6
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := t0.Add(time.Duration(i) * time.Second)
			obs := []history.Observation{observed(fmt.Sprintf("t%d", i), status.Up, t0, check(at, true, 1))}
			_, err := history.Update(context.Background(), e.s, obs, t0)
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
	// Each run observed only its own target, so the last writer dropped the
	// others from recent.json and uptime.json; the day object keeps every
	// target a run counted.
	_, err := history.Read(context.Background(), e.s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		_, days, err := history.ReadDays(context.Background(), e.s, fmt.Sprintf("t%d", i), t0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if days[0].Checks != 1 {
			t.Errorf("t%d: %d checks after overlapping runs, want 1", i, days[0].Checks)
		}
	}
}

// TestStateLoss: deleting the history objects starts them again; deleting
// the status state (the observations come again from UNKNOWN, with the same
// echo) does not count a check twice.
func TestStateLoss(t *testing.T) {
	e := newEnv(t)
	c := check(t0, true, 3)
	e.run(observed("web", status.Up, t0, c))
	e.clk.Advance(time.Minute)
	snap := e.run(observed("web", status.Unknown, e.clk.Now(), c))
	if r := snap.Uptime.Targets["web"].UptimeOver(time.Hour, e.clk.Now()); r.Checks != 1 {
		t.Fatalf("after a state reset %d checks, want 1", r.Checks)
	}
	for _, key := range []string{history.RecentKey, history.UptimeKey, history.IncidentsKey, history.DayKey(t0)} {
		if err := e.s.Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Advance(time.Minute)
	snap = e.run(observed("web", status.Up, t0, check(e.clk.Now(), true, 3)))
	if r := snap.Uptime.Targets["web"].UptimeOver(time.Hour, e.clk.Now()); r.Checks != 1 {
		t.Fatalf("after deleting the history %d checks, want 1", r.Checks)
	}
}

// TestRequestsPerRunDoNotGrowWithTargets counts the S3 requests of one run
// at 10 and at 1,000 targets.
func TestRequestsPerRunDoNotGrowWithTargets(t *testing.T) {
	counts := map[int][4]int64{}
	for _, n := range []int{10, 1000} {
		e := newEnv(t)
		obs := make([]history.Observation, n)
		for i := range obs {
			obs[i] = observed(fmt.Sprintf("target-%04d", i), status.Up, t0, check(t0, i%7 != 0, float64(i)))
		}
		e.run(obs...) // the first run creates the objects
		e.api.gets.Store(0)
		e.api.puts.Store(0)
		e.api.deletes.Store(0)
		e.api.lists.Store(0)
		e.clk.Advance(10 * time.Minute)
		for i := range obs {
			obs[i].Check = check(e.clk.Now(), true, 5)
		}
		e.run(obs...)
		counts[n] = [4]int64{e.api.gets.Load(), e.api.puts.Load(), e.api.deletes.Load(), e.api.lists.Load()}
	}
	if counts[10] != counts[1000] {
		t.Fatalf("requests (GET, PUT, DELETE, LIST) per run: %v at 10 targets, %v at 1,000", counts[10], counts[1000])
	}
	if want := [4]int64{4, 4, 1, 0}; counts[10] != want {
		t.Fatalf("requests (GET, PUT, DELETE, LIST) per run %v, want %v", counts[10], want)
	}
}

// TestMaintenanceIsAGap: checks made while a target is in a maintenance
// window (or paused) count neither way, and its DOWN opens no incident.
func TestMaintenanceIsAGap(t *testing.T) {
	e := newEnv(t)
	e.run(observed("web", status.Up, t0, check(t0, true, 5)))
	e.clk.Advance(10 * time.Minute)
	o := observed("web", status.Down, t0, check(e.clk.Now(), false, 0))
	o.State.Maintenance = &status.Maintenance{Start: t0, End: t0.Add(time.Hour)}
	snap := e.run(o)
	if r := snap.Uptime.Targets["web"].UptimeOver(24*time.Hour, e.clk.Now()); r.Checks != 1 || r.Failures != 0 {
		t.Fatalf("counts %+v, want only the check before the window", r)
	}
	if n := len(snap.Incidents.Incidents); n != 0 {
		t.Fatalf("a DOWN in maintenance opened an incident: %+v", snap.Incidents.Incidents)
	}
}
