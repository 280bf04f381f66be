// Command detect runs the time-to-alert study (bench.RunDetectStudy): the
// real definition and handlers on a controlled clock, outages starting at
// random offsets within the cadence and blips of several lengths, at the
// built-in confirmation and the candidates around it, and prints the
// section BENCHMARKS.md shows (bench/cmd/report writes it there too).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"time"

	"github.com/medic-dev/medic/bench"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o := bench.DefaultDetectStudy()
	began, before := time.Now(), loadAverage()
	res, err := bench.RunDetectStudy(ctx, o, func(s string) { log.Info("measuring", "setting", s) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		os.Exit(1)
	}
	fmt.Print(bench.DetectSection(o, res, before+" before, "+loadAverage()+" after, on "+nproc()+" cores"))
	log.Info("done", "took", time.Since(began).Round(time.Second))
}

// loadAverage is the first three fields of /proc/loadavg ("?" when unreadable).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func nproc() string {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
