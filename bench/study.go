package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/cost"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

// StudyOptions say which cycles the cost study runs.
type StudyOptions struct {
	// Targets are the target counts priced; BatchSizes the batch sizes compared.
	Targets, BatchSizes []int
	// MaxReal is the largest target count run for real; larger ones are
	// extrapolated from the two largest real runs and marked.
	MaxReal int
	// Delay is how long each loopback target takes to answer.
	Delay time.Duration
	// Concurrency is the distributed Map's MaxConcurrency locally. On AWS
	// every function has its own CPU; locally all share the machine, so a
	// high concurrency inflates the measured (billed) durations.
	Concurrency int
	// Progress, when set, hears about each cycle.
	Progress func(string)
}

// DefaultStudy is what `go run ./bench/cmd/cost` runs.
func DefaultStudy() StudyOptions {
	return StudyOptions{
		Targets: []int{10, 100, 1000, 10000}, BatchSizes: []int{1, 5, 10, 25, 50, 100},
		MaxReal: 10000, Delay: 50 * time.Millisecond, Concurrency: 10,
	}
}

// Point is one priced configuration.
type Point struct {
	Targets      int
	BatchSize    int
	Run          cost.Run
	Bill         cost.Bill
	Extrapolated bool
	// Infeasible says why the configuration cannot run (empty when it can).
	Infeasible string
	Wall       time.Duration
}

// Study is the cost study's outcome.
type Study struct {
	Opts   StudyOptions
	Points []Point
}

// RunStudy runs the cycles and prices them.
func RunStudy(ctx context.Context, o StudyOptions) (*Study, error) {
	s := &Study{Opts: o}
	for _, b := range o.BatchSizes {
		var real []Point
		failed := ""
		for _, n := range o.Targets {
			if failed != "" {
				s.Points = append(s.Points, Point{Targets: n, BatchSize: b, Infeasible: failed, Extrapolated: n > o.MaxReal})
				continue
			}
			if n > o.MaxReal || (n+b-1)/b > loadtargets.MaxBatches {
				s.Points = append(s.Points, extrapolate(b, n, real))
				continue
			}
			res, err := RunCycle(ctx, Cycle{Targets: n, BatchSize: b, Delay: o.Delay, MapConcurrency: o.Concurrency})
			p := Point{Targets: n, BatchSize: b, Run: res.Run, Wall: res.Wall}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				p.Infeasible = shortReason(err.Error())
				failed = fmt.Sprintf("%s (already at %d targets)", p.Infeasible, n)
			} else {
				p.Bill = cost.Monthly(res.Run, cost.RunsPerMonth)
				real = append(real, p)
			}
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("batch %d, %d targets: %s", b, n, describe(p)))
			}
			s.Points = append(s.Points, p)
		}
	}
	return s, nil
}

func describe(p Point) string {
	if p.Infeasible != "" {
		return "cannot run: " + p.Infeasible
	}
	return fmt.Sprintf("$%.2f/month all in, $%.2f usage (run took %s)", p.Bill.Total(), p.Bill.Usage(), p.Wall.Round(time.Millisecond))
}

func shortReason(s string) string {
	switch {
	case strings.Contains(s, "history reached the limit"):
		return "execution history over 25,000 events"
	case strings.Contains(s, "DataLimitExceeded"):
		return "a state's output over the payload limit"
	case strings.Contains(s, "FleetLimitError"), strings.Contains(s, "batches a run"):
		return fmt.Sprintf("over medic's %d batches a run", loadtargets.MaxBatches)
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// extrapolate estimates a configuration from the two largest real runs.
func extrapolate(batch, n int, real []Point) Point {
	p := Point{Targets: n, BatchSize: batch, Extrapolated: true}
	if (n+batch-1)/batch > loadtargets.MaxBatches {
		p.Infeasible = fmt.Sprintf("over medic's %d batches a run (LoadTargets refuses it; medic validate says so)", loadtargets.MaxBatches)
		return p
	}
	if len(real) < 2 {
		p.Infeasible = "cannot run at a smaller target count"
		return p
	}
	a, b := real[len(real)-2], real[len(real)-1]
	if a.Targets < batch {
		// Below one full batch the counts are not yet per-target.
		p.Infeasible = fmt.Sprintf("not extrapolated: the real runs (%d and %d targets) are too small for batches of %d", a.Targets, b.Targets, batch)
		return p
	}
	r, err := cost.Extrapolate(a.Run, b.Run, n)
	if err != nil {
		p.Infeasible = err.Error()
		return p
	}
	p.Run = r
	p.Bill = cost.Monthly(r, cost.RunsPerMonth)
	return p
}

// Point returns the configuration, if priced.
func (s *Study) Point(batch, targets int) (Point, bool) {
	for _, p := range s.Points {
		if p.BatchSize == batch && p.Targets == targets {
			return p, true
		}
	}
	return Point{}, false
}

// BestBatch picks the batch size: among the sizes that can run at
// every target count where any size can, the one whose worst ratio to the
// cheapest size at each target count is lowest (ties: the smaller batch,
// whose failures touch fewer targets).
func (s *Study) BestBatch() (int, float64) {
	best, bestRegret := 0, math.Inf(1)
	for _, b := range s.Opts.BatchSizes {
		regret := 1.0
		ok := true
		for _, n := range s.Opts.Targets {
			cheapest := math.Inf(1)
			any := false
			for _, b2 := range s.Opts.BatchSizes {
				if p, found := s.Point(b2, n); found && p.Infeasible == "" {
					cheapest = min(cheapest, p.Bill.Total())
					any = true
				}
			}
			if !any {
				continue
			}
			p, _ := s.Point(b, n)
			if p.Infeasible != "" {
				ok = false
				break
			}
			regret = max(regret, p.Bill.Total()/cheapest)
		}
		if ok && regret < bestRegret-1e-9 {
			best, bestRegret = b, regret
		}
	}
	return best, bestRegret
}

// money formats dollars with cents, or more digits below a cent.
func money(v float64) string {
	if v != 0 && v < 0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	d := fmt.Sprintf("%.2f", v)
	whole, cents, _ := strings.Cut(d, ".")
	n := 0
	fmt.Sscan(whole, &n)
	return "$" + groupDigits(n) + "." + cents
}

// cell is a configuration's all-in figure in a table.
func cell(p Point, ok bool) string { return cellOf(p, ok, p.Bill.Total()) }

// usageCell is a configuration's usage figure in a table.
func usageCell(p Point, ok bool) string { return cellOf(p, ok, p.Bill.Usage()) }

func cellOf(p Point, ok bool, usd float64) string {
	switch {
	case !ok:
		return "–"
	case strings.HasPrefix(p.Infeasible, "not extrapolated"):
		return "not run²"
	case p.Infeasible != "":
		return "cannot run¹"
	case p.Extrapolated:
		return money(usd) + "*"
	}
	return money(usd)
}

// Markdown renders the study.
func (s *Study) Markdown() string {
	var w strings.Builder
	best, _ := s.BestBatch()
	fmt.Fprintf(&w, "Monthly cost at a %d-minute cadence (%s runs a month), us-east-1 list prices, Step Functions and Scheduler free tiers applied, "+
		"Lambda, CloudWatch and X-Ray free tiers not applied. **Usage** prices the run's counts (transitions, Lambda, Express, S3, scheduler, logs); "+
		"**all in** adds the stack's monthly items (%d alarms, %d custom metrics with data all month: %s), X-Ray traces and KMS requests (upper bounds). "+
		"Loopback targets answering in %s. `*` = extrapolated from the two largest real runs (fixed + per-target fit); everything else is a real local run.\n\n",
		int(cost.Cadence.Minutes()), groupDigits(cost.RunsPerMonth), cost.StackAlarms, cost.StackCustomMetrics,
		money(cost.Monthly(cost.Run{}, 0).Sum(cost.Fixed)), s.Opts.Delay)
	fmt.Fprintf(&w, "| targets | medic (batch %d), usage | medic, **all in** "+
		"| Route 53, base | Route 53, HTTPS + string match | Synthetics canaries |\n|---:|---:|---:|---:|---:|---:|\n", best)
	for _, n := range s.Opts.Targets {
		p, ok := s.Point(best, n)
		fmt.Fprintf(&w, "| %s | %s | %s | %s | %s | %s |\n", groupDigits(n), usageCell(p, ok), cell(p, ok),
			money(cost.Route53(n, 0)), money(cost.Route53(n, 2)), money(cost.Synthetics(n, cost.RunsPerMonth)))
	}
	w.WriteString("\n¹ see the reasons below. ² not run for real, and too few batches in the real runs to extrapolate.\n\n")

	{
		b, regret := s.BestBatch()
		fmt.Fprintf(&w, "#### Batch size, all in (chosen: %d, at most %.0f%% above the cheapest size at any target count)\n\n", b, (regret-1)*100)
		w.WriteString("| batch |")
		for _, n := range s.Opts.Targets {
			fmt.Fprintf(&w, " %s targets |", groupDigits(n))
		}
		w.WriteString("\n|---:|" + strings.Repeat("---:|", len(s.Opts.Targets)) + "\n")
		for _, bs := range s.Opts.BatchSizes {
			fmt.Fprintf(&w, "| %d |", bs)
			for _, n := range s.Opts.Targets {
				p, ok := s.Point(bs, n)
				fmt.Fprintf(&w, " %s |", cell(p, ok))
			}
			w.WriteString("\n")
		}
		w.WriteString("\n")
	}

	w.WriteString("#### Why some configurations cannot run\n\n")
	seen := map[string]bool{}
	for _, p := range s.Points {
		if p.Infeasible != "" {
			k := fmt.Sprintf("- batch %d, %d targets: %s", p.BatchSize, p.Targets, p.Infeasible)
			if !seen[k] {
				seen[k] = true
				w.WriteString(k + "\n")
			}
		}
	}
	w.WriteString("\n")

	{
		b, _ := s.BestBatch()
		fmt.Fprintf(&w, "#### Bill by item, batch %d (USD a month)\n\n| item |", b)
		var pts []Point
		for _, n := range s.Opts.Targets {
			if p, ok := s.Point(b, n); ok && p.Infeasible == "" {
				pts = append(pts, p)
				mark := ""
				if p.Extrapolated {
					mark = "*"
				}
				fmt.Fprintf(&w, " %s targets%s |", groupDigits(n), mark)
			}
		}
		w.WriteString("\n|---|" + strings.Repeat("---:|", len(pts)) + "\n")
		row := func(label string, usd func(Point) float64) {
			fmt.Fprintf(&w, "| %s |", label)
			for _, p := range pts {
				fmt.Fprintf(&w, " %s |", money(usd(p)))
			}
			w.WriteString("\n")
		}
		for _, part := range []cost.Part{cost.Usage, cost.Tracing, cost.Fixed} {
			var items []string
			for _, p := range pts {
				for _, l := range p.Bill.Lines {
					if l.Part == part && !slices.Contains(items, l.Item) {
						items = append(items, l.Item)
					}
				}
			}
			for _, it := range items {
				row(it, func(p Point) float64 { return p.Bill.USD(it) })
			}
			if part == cost.Usage {
				row("**usage**", func(p Point) float64 { return p.Bill.Usage() })
			}
		}
		w.WriteString("| **all in** |")
		for _, p := range pts {
			fmt.Fprintf(&w, " **%s** |", money(p.Bill.Total()))
		}
		w.WriteString("\n| per run: transitions / Lambda invocations / Express children / S3 writes / S3 reads / log KB |")
		for _, p := range pts {
			inv := 0
			for _, f := range p.Run.Functions {
				inv += f.Invocations
			}
			fmt.Fprintf(&w, " %d / %d / %d / %d / %d / %d |", p.Run.Transitions, inv, p.Run.ExpressRequests, p.Run.S3Writes, p.Run.S3Reads,
				(p.Run.StateMachineLogBytes+p.Run.FunctionLogBytes)>>10)
		}
		w.WriteString("\n\n")
	}
	return w.String()
}

// groupDigits writes n with thousands separators (4,320).
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
