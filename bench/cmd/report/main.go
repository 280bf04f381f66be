// Command report runs every medic benchmark (bench/) and the cost study,
// and writes BENCHMARKS.md with each figure, the command that produced it,
// the machine, the load average around it and what would move it.
//
//	go run ./bench/cmd/report [-o BENCHMARKS.md] [-quick]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/medic-dev/medic/bench"
)

func benchDir() string { return filepath.Join(bench.RepoRoot(), "bench") }

func main() {
	out := flag.String("o", filepath.Join(bench.RepoRoot(), "BENCHMARKS.md"), "where to write the report")
	quick := flag.Bool("quick", false, "short benchtimes (a smoke run, not for publishing)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, log, *out, *quick); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, out string, quick bool) error {
	tmp, err := os.MkdirTemp("", "medic-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	binary := filepath.Join(tmp, "bench.test")
	log.Info("building the benchmark binary")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", binary, "./bench/")
	build.Dir = bench.RepoRoot()
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c ./bench/: %w\n%s", err, b)
	}
	if err := bench.EnsurePeer(ctx); err != nil {
		return err
	}
	bt := func(full, short string) string {
		if quick {
			return short
		}
		return full
	}
	r := &report{Machine: describeMachine(ctx), Started: time.Now().UTC()}
	steps := []struct {
		name      string
		dst       *section
		pattern   string
		benchtime string
	}{
		{"engine and peer", &r.Engine, "^Benchmark(Engine|Peer)$", bt("3s", "1x")},
		{"probe overhead", &r.Probe, "^BenchmarkProbeHTTP$", bt("3s", "100x")},
		{"cycle, 1,000 targets", &r.Cycle1k, "^BenchmarkCycle$/^targets=1000$", bt("3x", "1x")},
		{"cycle, 10,000 targets", &r.Cycle10k, "^BenchmarkCycle$/^targets=10000$", "1x"},
		{"Lambda footprint", &r.Bootstrap, "^BenchmarkBootstrap$", bt("20x", "2x")},
	}
	for _, s := range steps {
		log.Info("running", "benchmark", s.name)
		sec, err := runBench(ctx, binary, s.pattern, s.benchtime)
		if err != nil {
			return err
		}
		*s.dst = sec
	}
	log.Info("running the cost study")
	o := bench.DefaultStudy()
	if quick {
		o.MaxReal = 1000
	}
	o.Progress = func(s string) { log.Info(s) }
	r.CostLoadBefore = loadAverage()
	study, err := bench.RunStudy(ctx, o)
	if err != nil {
		return err
	}
	r.CostLoadEnd = loadAverage()
	r.Study = study
	log.Info("running the time-to-alert study")
	do := bench.DefaultDetectStudy()
	detectLoad := loadAverage()
	detect, err := bench.RunDetectStudy(ctx, do, func(s string) { log.Info(s) })
	if err != nil {
		return err
	}
	r.Detect = bench.DetectSection(do, detect, detectLoad+" before, "+loadAverage()+" after")
	r.Finished = time.Now().UTC()
	if err := os.WriteFile(out, []byte(r.markdown()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	log.Info("wrote " + out)
	return nil
}
