// Command cost runs real local medic cycles over loopback targets at
// several target counts and batch sizes with medic's definition, counts
// what each run uses and prints the monthly AWS cost as Markdown, next to
// Route 53 health checks and CloudWatch Synthetics canaries.
//
//	go run ./bench/cmd/cost [-delay 50ms] [-max-real 10000]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/medic-dev/medic/bench"
	"github.com/medic-dev/medic/internal/cost"
)

func main() {
	o := bench.DefaultStudy()
	flag.DurationVar(&o.Delay, "delay", o.Delay, "how long each loopback target takes to answer")
	flag.IntVar(&o.MaxReal, "max-real", o.MaxReal, "largest target count run for real (larger ones are extrapolated)")
	quiet := flag.Bool("q", false, "no progress on stderr")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if !*quiet {
		o.Progress = func(s string) { log.Info(s) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s, err := bench.RunStudy(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.WriteString(s.Markdown() + CadenceSection(s)); err != nil {
		os.Exit(1)
	}
}

// CadenceSection is the cadence table of the study's runs at its cheapest
// batch size.
func CadenceSection(s *bench.Study) string {
	b, _ := s.BestBatch()
	return fmt.Sprintf("### Cadence (batch %d)\n\n", b) + bench.CadenceTable(func(n int) (cost.Run, bool, bool) {
		p, ok := s.Point(b, n)
		return p.Run, p.Extrapolated, ok && p.Infeasible == ""
	}) + "\n"
}
