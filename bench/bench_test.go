package bench

import (
	"context"
	"fmt"
	"github.com/medic-dev/medic/statemachines"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/target"
)

// These run only with -bench (go test -run '^$' -bench . ./bench/);
// bench/cmd/report runs them all and writes BENCHMARKS.md.

var engineTargets = []int{10, 1000, 10000}

// BenchmarkEngine: state transitions per second of the local engine on the
// medic definition with instant tasks.
func BenchmarkEngine(b *testing.B) {
	for _, n := range engineTargets {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			m, opts, err := InstantMachine(n)
			if err != nil {
				b.Fatal(err)
			}
			input := []byte(`{"trigger":"schedule"}`)
			transitions := 0
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				x := m.Run(context.Background(), input, opts)
				if x.Status != engine.StatusSucceeded {
					b.Fatalf("%s: %s", x.Error, x.Cause)
				}
				transitions += x.Transitions
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/run")
			b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
			b.ReportMetric(float64(transitions)/float64(b.N), "transitions/run")
		})
	}
}

// BenchmarkPeer: aws-local-stepfunctions 3.0.0 (Node) on the same
// definition with the same instant tasks; transitions/s counts the
// transitions this engine bills for the same run over the time the Node
// runner measured (Node's start-up is excluded).
func BenchmarkPeer(b *testing.B) {
	if err := EnsurePeer(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, n := range engineTargets {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			m, opts, err := InstantMachine(n)
			if err != nil {
				b.Fatal(err)
			}
			perRun := m.Run(context.Background(), []byte(`{"trigger":"schedule"}`), opts).Transitions
			// Two processes, b.N+3 and b.N+3+extra runs: the difference of
			// their CPU times is extra runs' CPU without Node's start-up and
			// with its JIT warm (the first runs are in both). extra is at
			// least 8 and enough runs for about 2 s, so that the start-up's
			// own variation (tens of milliseconds) stays small beside it.
			short, err := RunPeer(context.Background(), n, b.N+3)
			if err != nil {
				b.Fatal(err)
			}
			extra := PeerExtraRuns(short.Durations, 2*time.Second)
			long, err := RunPeer(context.Background(), n, b.N+3+extra)
			if err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			for _, d := range long.Durations {
				total += d
			}
			ds := long.Durations
			b.ReportMetric(float64(perRun*len(ds))/total.Seconds(), "transitions/s")
			b.ReportMetric(float64(total.Nanoseconds())/float64(len(ds)), "runner-ns/run")
			b.ReportMetric(float64(long.CPU-short.CPU)/float64(time.Millisecond)/float64(extra), "cpu-ms/run")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProbeHTTP: one medic HTTP probe (status and body check) of a
// loopback server, next to a bare net/http GET of the same server with a
// new connection each time (as the probe makes) and with keep-alive.
// cpu-ns/op is the whole process's CPU, the server's included.
func BenchmarkProbeHTTP(b *testing.B) {
	lb, err := StartLoopback(0)
	if err != nil {
		b.Fatal(err)
	}
	defer lb.Close()
	url := lb.URL + "/x"
	measure := func(b *testing.B, op func() error) {
		runtime.GC()
		start := cpuTime()
		for b.Loop() {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	get := func(c *http.Client) func() error {
		return func() error {
			resp, err := c.Get(url)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}
	}
	b.Run("medic", func(b *testing.B) {
		p := &probe.Prober{Allow: probe.All}
		t := target.Target{Name: "x", Kind: target.KindHTTP, URL: url, Timeout: target.Duration(5 * time.Second),
			Expect: target.Expect{Status: []int{200}, BodyContains: "ok"}}
		measure(b, func() error {
			if r := p.Probe(context.Background(), t); !r.Up {
				return fmt.Errorf("probe failed: %v", r.Failures)
			}
			return nil
		})
	})
	b.Run("bare-new-conn", func(b *testing.B) {
		measure(b, get(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
	})
	b.Run("bare-keepalive", func(b *testing.B) {
		measure(b, get(&http.Client{}))
	})
}

// cycleConcurrency is BenchmarkCycle's Map concurrency: medic's default
// (what 'medic run' uses), 10 batches of 100 targets at once.
const cycleConcurrency = statemachines.DefaultMapConcurrency

// BenchmarkCycle: a full local cycle of medic's definition over loopback
// targets answering in 50 ms, with the default settings (batches of 100,
// 10 at once): wall time and peak Go memory. Run one size per process for
// a per-size peak RSS (bench/cmd/report does):
//
//	go test -c -o /tmp/bench.test ./bench/ && cd bench &&
//	  /usr/bin/time -v /tmp/bench.test -test.run '^$' -test.bench 'BenchmarkCycle/targets=100000$' -test.benchtime 1x
func BenchmarkCycle(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
				for {
					metrics.Read(s)
					if v := s[0].Value.Uint64(); v > peak.Load() {
						peak.Store(v)
					}
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			var wall time.Duration
			for b.Loop() {
				res, err := RunCycle(context.Background(), Cycle{Targets: n, BatchSize: 100, MapConcurrency: cycleConcurrency, Delay: 50 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				wall += res.Wall
			}
			close(stop)
			<-done
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "run-ms")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-go-MiB")
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
		})
	}
}

// BenchmarkBootstrap: size of each Lambda binary (linux/arm64, as
// deployed) and time from process start to ready (a host build, against a
// local runtime API).
func BenchmarkBootstrap(b *testing.B) {
	dir := b.TempDir()
	for _, task := range Tasks {
		b.Run(task, func(b *testing.B) {
			ctx := context.Background()
			arm, err := BuildBootstrap(ctx, task, "linux", "arm64", dir)
			if err != nil {
				b.Fatal(err)
			}
			st, err := os.Stat(arm)
			if err != nil {
				b.Fatal(err)
			}
			host, err := BuildBootstrap(ctx, task, runtime.GOOS, runtime.GOARCH, dir)
			if err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			b.ResetTimer()
			for b.Loop() {
				d, err := TimeToReady(ctx, host)
				if err != nil {
					b.Fatal(err)
				}
				total += d
			}
			b.ReportMetric(float64(st.Size())/(1<<20), "arm64-MiB")
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ready-ms")
		})
	}
}
