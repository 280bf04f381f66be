package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/statemachines"
	"github.com/medic-dev/medic/tasks/checkstaleness"
	"github.com/medic-dev/medic/tasks/loadtargets"
	"github.com/medic-dev/medic/tasks/notify"
	probetask "github.com/medic-dev/medic/tasks/probe"
	"github.com/medic-dev/medic/tasks/writeecho"
)

// DetectSetting is one way of detecting an outage the time-to-alert study
// measures: a cadence and a confirmation (Attempts 0: none, and so the
// built-in failureThreshold of 2; otherwise failureThreshold 1).
type DetectSetting struct {
	Cadence  time.Duration
	Attempts int
	Interval time.Duration
}

func (s DetectSetting) String() string {
	if s.Attempts == 0 {
		return fmt.Sprintf("every %s, no confirmation (failureThreshold 2)", humanMinutes(s.Cadence))
	}
	return fmt.Sprintf("every %s, confirm %d × %s", humanMinutes(s.Cadence), s.Attempts, s.Interval)
}

// DetectResult is what the study found for one setting.
type DetectResult struct {
	Setting DetectSetting
	// Outages is how many outages were started, each at a random offset
	// within the cadence; Median, Worst and Best are the times from an
	// outage's start to its DOWN alert reaching the webhook (leaving Notify).
	Outages             int
	Best, Median, Worst time.Duration
	// Missed counts outages that raised no DOWN alert within 4 cadences.
	Missed int
	// BlipAlerts maps a blip's length to how many of the blips of that
	// length (each starting when a run checks the target) raised an alert.
	BlipAlerts map[time.Duration]int
	// Blips is how many blips of each length were run.
	Blips int
}

// DetectStudyOptions say what the study runs.
type DetectStudyOptions struct {
	Settings []DetectSetting
	// Outages per setting, and blips per blip length per setting.
	Outages, Blips int
	// BlipLengths are the blips' lengths; the first is a single-check blip
	// (shorter than every setting's interval).
	BlipLengths []time.Duration
	Seed        uint64
}

// DefaultDetectStudy is what `go run ./bench/cmd/detect` runs: the
// built-in settings and the candidates around them, at the 10-minute and
// 1-minute cadences.
func DefaultDetectStudy() DetectStudyOptions {
	var s []DetectSetting
	for _, c := range []time.Duration{10 * time.Minute, time.Minute} {
		s = append(s,
			DetectSetting{Cadence: c},
			DetectSetting{Cadence: c, Attempts: 1, Interval: time.Second},
			DetectSetting{Cadence: c, Attempts: 1, Interval: 5 * time.Second},
			DetectSetting{Cadence: c, Attempts: target.DefaultConfirmAttempts, Interval: target.DefaultConfirmInterval},
			DetectSetting{Cadence: c, Attempts: 3, Interval: 10 * time.Second},
		)
	}
	return DetectStudyOptions{
		Settings: s, Outages: 100, Blips: 5,
		BlipLengths: []time.Duration{500 * time.Millisecond, 3 * time.Second, 8 * time.Second, 20 * time.Second, 45 * time.Second},
		Seed:        18,
	}
}

// studyClock is the study's controlled clock: it moves with real time
// (so the real time the handlers take counts), jumps when set, and a
// Sleep (the probe's pause before a re-check) moves it at once.
type studyClock struct {
	mu    sync.Mutex
	base  time.Time
	setAt time.Time
}

func (c *studyClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.setAt))
}

// SetAtLeast moves the clock to t unless it is already past it.
func (c *studyClock) SetAtLeast(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.base.Add(time.Since(c.setAt)); now.After(t) {
		return
	}
	c.base, c.setAt = t, time.Now()
}

func (c *studyClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.base = c.base.Add(d)
	c.mu.Unlock()
	return nil
}

// window is a span of controlled time when the target fails.
type window struct{ from, to time.Time }

// detectEnv is one medic over the embedded store, with the real handlers
// and definition, a target server failing in the windows it is given and a
// webhook receiver stamping each alert with the clock.
type detectEnv struct {
	clk     *studyClock
	s3      *s3local.Server
	store   *store.Store
	machine *engine.Machine
	res     map[string]engine.Func
	target  *httptest.Server
	hook    *httptest.Server
	runs    int

	mu      sync.Mutex
	failing []window
	alerts  []receivedAlert
}

type receivedAlert struct {
	Target, Kind string
	At           time.Time
}

func newDetectEnv(start time.Time) (*detectEnv, error) {
	e := &detectEnv{clk: &studyClock{base: start, setAt: time.Now()}}
	e.target = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := e.clk.Now()
		e.mu.Lock()
		down := slices.ContainsFunc(e.failing, func(f window) bool { return !now.Before(f.from) && now.Before(f.to) })
		e.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	e.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a receivedAlert
		_ = json.NewDecoder(r.Body).Decode(&a)
		a.At = e.clk.Now()
		e.mu.Lock()
		e.alerts = append(e.alerts, a)
		e.mu.Unlock()
	}))
	srv, err := s3local.Start(s3local.Options{Now: e.clk.Now, Buckets: []string{Bucket}})
	if err != nil {
		e.close()
		return nil, fmt.Errorf("start the embedded S3 store: %w", err)
	}
	e.s3 = srv
	e.store = store.New(srv.Client(), Bucket)
	def, err := statemachines.LocalDefault()
	if err != nil {
		e.close()
		return nil, err
	}
	if e.machine, err = engine.Parse([]byte(def)); err != nil {
		e.close()
		return nil, fmt.Errorf("parse the definition: %w", err)
	}
	log := slog.New(slog.DiscardHandler)
	load := target.LoadOptions{ConfigKey: target.DefaultConfigKey}
	handlers := map[string]any{
		"loadtargets": (&loadtargets.Handler{Store: e.store, Opts: load, Logger: log}).Handle,
		"probe": (&probetask.Handler{
			Prober: &probe.Prober{Allow: probe.All, Now: e.clk.Now, Sleep: e.clk.Sleep, Logger: log},
			Now:    e.clk.Now, Logger: log,
		}).Handle,
		"writeecho":      (&writeecho.Handler{Store: e.store, Logger: log}).Handle,
		"checkstaleness": (&checkstaleness.Handler{Store: e.store, Load: load, Clock: e.clk, Logger: log}).Handle,
		"notify": (&notify.Handler{
			Store: e.store,
			Channels: func(ctx context.Context) (map[string]target.Channel, error) {
				file, err := target.LoadFile(ctx, e.store, load)
				if err != nil {
					return nil, err
				}
				return file.Channels, nil
			},
			Deps:   registry.Deps{Secrets: secret.Env{Lookup: func(string) (string, bool) { return "", false }}, HTTP: http.DefaultClient},
			Clock:  e.clk,
			Logger: log,
		}).Handle,
	}
	e.res = map[string]engine.Func{}
	for task, h := range handlers {
		e.res[statemachines.LocalFunctionArn(task)] = engine.LambdaHandler(h)
	}
	return e, nil
}

func (e *detectEnv) close() {
	if e.s3 != nil {
		_ = e.s3.Close()
	}
	e.target.Close()
	e.hook.Close()
}

// use makes the targets file one target, name, with setting s.
func (e *detectEnv) use(ctx context.Context, name string, s DetectSetting) error {
	confirm := fmt.Sprintf("{attempts: %d, interval: %s}", s.Attempts, s.Interval)
	if s.Attempts == 0 {
		confirm = "{attempts: 0}"
	}
	yaml := fmt.Sprintf("channels:\n  hook: {type: webhook, url: %q}\ntargets:\n  - {name: %s, url: %q, timeout: 5s, expect: {body: ok}, channels: [hook], confirm: %s}\n",
		e.hook.URL, name, e.target.URL+"/"+name, confirm)
	_, err := e.store.Put(ctx, target.DefaultConfigKey, []byte(yaml), store.Condition{})
	return err
}

// runAt runs the definition once, at t on the clock (or now, when the
// clock is already past t).
func (e *detectEnv) runAt(ctx context.Context, t time.Time) error {
	e.clk.SetAtLeast(t)
	e.runs++
	x := e.machine.Run(ctx, json.RawMessage(`{"trigger":"schedule"}`), engine.Options{
		Resources: e.res, Clock: local.InstantClock(e.clk), ExecutionName: fmt.Sprintf("detect-%d", e.runs), StateMachineName: "medic",
		ItemReaderFunc: func(ctx context.Context, _, key string) ([]byte, error) {
			obj, err := e.store.Get(ctx, key)
			return obj.Body, err
		},
	})
	if x.Status != engine.StatusSucceeded {
		return fmt.Errorf("run %d: %s: %s: %s", e.runs, x.Status, x.Error, x.Cause)
	}
	return nil
}

// alertsFor returns the alerts the webhook got for name.
func (e *detectEnv) alertsFor(name string) []receivedAlert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []receivedAlert
	for _, a := range e.alerts {
		if a.Target == name {
			out = append(out, a)
		}
	}
	return out
}

func (e *detectEnv) fail(w window) {
	e.mu.Lock()
	e.failing = append(e.failing, w)
	e.mu.Unlock()
}

// MeasureDetection runs o's outages and blips for one setting, each on a
// target of its own (a new targets file: the last target is dropped from
// the state), runs on the setting's cadence.
func MeasureDetection(ctx context.Context, s DetectSetting, o DetectStudyOptions, rng *rand.Rand) (DetectResult, error) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, err := newDetectEnv(start)
	if err != nil {
		return DetectResult{}, err
	}
	defer e.close()
	res := DetectResult{Setting: s, BlipAlerts: map[time.Duration]int{}, Blips: o.Blips}
	slot := start
	next := func() time.Time { // the next run slot after the clock
		for !slot.After(e.clk.Now()) {
			slot = slot.Add(s.Cadence)
		}
		return slot
	}
	var ttas []time.Duration
	for i := range o.Outages {
		name := fmt.Sprintf("outage-%d", i)
		if err := e.use(ctx, name, s); err != nil {
			return res, err
		}
		first := next()
		if err := e.runAt(ctx, first); err != nil { // UNKNOWN → UP
			return res, err
		}
		began := first.Add(time.Duration(rng.Int64N(int64(s.Cadence))) + time.Millisecond)
		e.fail(window{began, began.Add(100 * 365 * 24 * time.Hour)})
		var got *receivedAlert
		for k := 1; k <= 4 && got == nil; k++ {
			if err := e.runAt(ctx, first.Add(time.Duration(k)*s.Cadence)); err != nil {
				return res, err
			}
			for _, a := range e.alertsFor(name) {
				if a.Kind == "DOWN" {
					got = &a
					break
				}
			}
		}
		e.mu.Lock()
		e.failing = e.failing[:0]
		e.mu.Unlock()
		if got == nil {
			res.Missed++
			continue
		}
		ttas = append(ttas, got.At.Sub(began))
	}
	res.Outages = o.Outages
	if len(ttas) > 0 {
		slices.Sort(ttas)
		res.Best, res.Worst, res.Median = ttas[0], ttas[len(ttas)-1], ttas[len(ttas)/2]
	}
	for _, b := range o.BlipLengths {
		for i := range o.Blips {
			name := fmt.Sprintf("blip-%d-%d", b.Milliseconds(), i)
			if err := e.use(ctx, name, s); err != nil {
				return res, err
			}
			first := next()
			if err := e.runAt(ctx, first); err != nil {
				return res, err
			}
			// The blip starts as the next run checks the target: the
			// worst moment for it (the run's first check lands at its start).
			at := first.Add(s.Cadence)
			e.fail(window{at, at.Add(b)})
			for k := 1; k <= 3; k++ {
				if err := e.runAt(ctx, first.Add(time.Duration(k)*s.Cadence)); err != nil {
					return res, err
				}
			}
			if slices.ContainsFunc(e.alertsFor(name), func(a receivedAlert) bool { return a.Kind == "DOWN" }) {
				res.BlipAlerts[b]++
			}
			e.mu.Lock()
			e.failing = e.failing[:0]
			e.mu.Unlock()
		}
	}
	return res, nil
}

// RunDetectStudy measures every setting of o. Every setting gets the same
// random offsets (the same seed), so that they compare like for like.
func RunDetectStudy(ctx context.Context, o DetectStudyOptions, progress func(string)) ([]DetectResult, error) {
	var out []DetectResult
	for _, s := range o.Settings {
		rng := rand.New(rand.NewPCG(o.Seed, o.Seed))
		if progress != nil {
			progress(s.String())
		}
		r, err := MeasureDetection(ctx, s, o, rng)
		if err != nil {
			return out, fmt.Errorf("%s: %w", s, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// DetectMarkdown writes the study as BENCHMARKS.md's time-to-alert table.
func DetectMarkdown(o DetectStudyOptions, results []DetectResult) string {
	var w strings.Builder
	fmt.Fprintf(&w, "| setting | outages | best | median | worst | missed |")
	for _, b := range o.BlipLengths {
		fmt.Fprintf(&w, " alerts from %s blips |", b)
	}
	w.WriteString("\n|---|---|---|---|---|---|")
	for range o.BlipLengths {
		w.WriteString("---|")
	}
	w.WriteString("\n")
	for _, r := range results {
		name := r.Setting.String()
		if r.Setting.Attempts == target.DefaultConfirmAttempts && r.Setting.Interval == target.DefaultConfirmInterval {
			name = "**" + name + " (default)**"
		}
		fmt.Fprintf(&w, "| %s | %d | %s | %s | %s | %d |", name, r.Outages, roundS(r.Best), roundS(r.Median), roundS(r.Worst), r.Missed)
		for _, b := range o.BlipLengths {
			fmt.Fprintf(&w, " %d of %d |", r.BlipAlerts[b], r.Blips)
		}
		w.WriteString("\n")
	}
	return w.String()
}

func roundS(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

func humanMinutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return d.String()
}

// DetectSection is BENCHMARKS.md's time-to-alert section: how the study
// ran, its table (DetectMarkdown), what others document, and why the
// defaults are what they are. load is the load average before and after.
func DetectSection(o DetectStudyOptions, results []DetectResult, load string) string {
	var w strings.Builder
	w.WriteString("## 6. Time to alert\n\n")
	fmt.Fprintf(&w, "`go run ./bench/cmd/detect` (`bench.RunDetectStudy`; load average %s). The real definition (`statemachines.Local`) and the five real handlers run "+
		"over the embedded S3 store with a controlled clock: it moves with real time (so what the handlers take counts), jumps to each run's slot, and the "+
		"probe's pause before a re-check moves it at once. Each of %d outages per setting starts at a random offset within the cadence (the same %d offsets for "+
		"every setting) on a target of its own, which then fails every check; the time is from the outage's start to its DOWN alert reaching the webhook, "+
		"that is leaving Notify. A blip makes the target fail for its length from the moment a run checks it (the worst moment for it: the first check "+
		"lands at its start); each length runs %d times per setting. A %s blip fails one check only (a single-check blip): it must raise no alert. "+
		"Locally a run takes milliseconds; on AWS add the run's own time (Lambda starts, S3 calls: about 1–3 s).\n\n",
		load, o.Outages, o.Outages, o.Blips, o.BlipLengths[0])
	w.WriteString(DetectMarkdown(o, results))
	w.WriteString("\n**Others, as documented.** Route 53 health checks: a check every 30 s by default (`RequestInterval`, 10 or 30 s: " +
		"[Kotlin SDK reference](https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-health-check-config/request-interval.html), " +
		"[developer guide](https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)), " +
		"unhealthy after `FailureThreshold` consecutive failures, 3 by default " +
		"([API reference](https://pub.dev/documentation/aws_route53_api/latest/route53-2013-04-01/HealthCheckConfig/failureThreshold.html)): " +
		"an outage is seen after 60–90 s (3 checks 30 s apart, the first 0–30 s after it starts), and a blip shorter than about a minute never counts. " +
		"Gatus: a check every 60 s (`endpoints[].interval`, default `60s`) and an alert after `failure-threshold` failures in a row, 3 by default " +
		"([README, Configuration and Alerting](https://github.com/TwiN/gatus/blob/master/README.md)): 2–3 minutes, and a blip shorter than 2 minutes never alerts.\n\n")
	find := func(c time.Duration, attempts int, interval time.Duration) DetectResult {
		for _, r := range results {
			if r.Setting.Cadence == c && r.Setting.Attempts == attempts && (attempts == 0 || r.Setting.Interval == interval) {
				return r
			}
		}
		return DetectResult{}
	}
	off10 := find(10*time.Minute, 0, 0)
	def1 := find(time.Minute, target.DefaultConfirmAttempts, target.DefaultConfirmInterval)
	fmt.Fprintf(&w, "**The defaults** (`confirm: {attempts: %d, interval: %s}`, and so `failureThreshold: 1`) come from this table: every setting with "+
		"confirmation alerts in the first run that sees the outage (worst: one cadence plus the pauses), against one more whole cadence without it "+
		"(`failureThreshold: 2`: %s median at 10 minutes). Among them, one re-check 1 s later lets a 3 s blip (a restart, a load balancer's 502s while it "+
		"drains) through, and one 5 s later an 8 s one; two re-checks 5 s apart absorb blips of up to about 10 s and add 10 s to the time to alert, which is "+
		"small beside the cadence (at 1 minute too: %s median, %s worst, against Route 53's 60–90 s). Three re-checks 10 s apart absorb 20 s blips but add "+
		"30 s, and with the default 10 s `timeout` a failing target would take up to 10 + 3 × 20 = 70 s of the Probe task's 87 s; the default's worst case is "+
		"10 + 2 × 15 = 40 s. A target known to blip for longer sets a longer `confirm` itself (docs/targets.md).\n",
		target.DefaultConfirmAttempts, target.DefaultConfirmInterval, roundS(off10.Median), roundS(def1.Median), roundS(def1.Worst))
	return w.String()
}
