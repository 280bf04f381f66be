package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/store"
	"github.com/spf13/pflag"
)

var demoCommand = &command{
	name:    "demo",
	summary: "a full local run: demo targets, outages, alerts and recoveries (no AWS, no network)",
	help: `Runs medic end to end on this machine, with no AWS account, no Docker and
no network: the real state machine definition through the embedded engine,
the real task handlers, an embedded S3 store in a temporary directory, and
demo targets and a webhook receiver on loopback:

  homepage     answers "ok"                                   stays UP
  status-page  answers "maintenance" where "ok" is expected   goes DOWN
  search-api   answers after 3s, its timeout is 300ms         goes DOWN
  postgres     a TCP port that refuses connections            goes DOWN
  gateway      fails with 503 for two cycles, then recovers   DOWN, then RECOVERED
  cart,        behind the gateway (dependsOn: [gateway]):     DOWN with it; their
  checkout     they fail and recover with it                  alerts fold into its
  backup-job   a push target: its heartbeat (pulse/backup-job.json,
               "heartbeat": "10m") stops after two cycles     goes STALE
  billing      fails with the gateway, inside its maintenance MAINTENANCE: alerts
               window (+5m to +17m)                           held, one summary after

Each cycle is one execution; between cycles the clock moves forward --step
(5 minutes), so thresholds, staleness and recovery show within seconds.
Alerts are delivered by the webhook channel to the demo receiver and
printed as they arrive.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		cycles := fs.Int("cycles", 6, "how many cycles to run (at least 5 to see every kind of alert)")
		step := fs.Duration("step", 5*time.Minute, "how far the clock moves between cycles")
		keep := fs.Bool("keep", false, "keep the demo's state directory and print its path, to explore it with 'medic executions --state-dir DIR'")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("demo takes no arguments, got %q", args)
			}
			if *cycles < 1 || *cycles > 50 {
				return usagef("--cycles must be between 1 and 50, got %d", *cycles)
			}
			if *step < time.Second {
				return usagef("--step must be at least 1s, got %s", *step)
			}
			return demo(ctx, out, *cycles, *step, *keep)
		}
	},
}

// demoEvent is what happens to the demo's world before a cycle.
func demoScript(cycle int) []string {
	switch cycle {
	case 1:
		return []string{"backup-job sends its heartbeat"}
	case 2:
		return []string{"the gateway starts failing with 503, and cart and checkout behind it", "billing's maintenance window opens (it fails too: planned work)", "backup-job sends its heartbeat"}
	case 3:
		return []string{"backup-job stops sending heartbeats"}
	case 4:
		return []string{"the gateway is fixed"}
	case 5:
		return []string{"billing's maintenance window has closed"}
	}
	return nil
}

func demo(ctx context.Context, out *io2, cycles int, step time.Duration, keep bool) error {
	dir, err := os.MkdirTemp("", "medic-demo-")
	if err != nil {
		return fmt.Errorf("create the demo's state directory: %w", err)
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	peers, err := startDemoPeers()
	if err != nil {
		return err
	}
	defer peers.close()

	start := time.Now().UTC().Truncate(time.Minute)
	clk := clock.NewManual(start)
	env, err := local.Open(local.Options{
		StateDir:    dir,
		Clock:       clk,
		EngineClock: local.InstantClock(clk),
		BatchSize:   3,
	})
	if err != nil {
		return err
	}
	c, err := connectLocal(env)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := env.PutTargets(ctx, []byte(peers.targetsFile(start))); err != nil {
		return err
	}
	st, err := env.Store(ctx)
	if err != nil {
		return err
	}

	w := out.stdout
	fmt.Fprintf(w, "medic demo: %d cycles, the clock moving %s per cycle; everything runs on this machine.\n", cycles, shortDuration(step))
	fmt.Fprintf(w, "Targets on loopback, alerts to a webhook receiver at %s.\n", peers.webhook)

	counts := map[string]int{}
	failed := 0
	for n := 1; n <= cycles; n++ {
		if n > 1 {
			clk.Advance(step)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		elapsed := clk.Now().Sub(start)
		header := fmt.Sprintf("── cycle %d of %d · %s (+%s) ", n, cycles, clk.Now().Local().Format("15:04"), shortDuration(elapsed))
		fmt.Fprintf(w, "\n%s%s\n", header, strings.Repeat("─", max(0, 72-len([]rune(header)))))
		for _, what := range demoScript(n) {
			fmt.Fprintf(w, "  ▸ %s\n", what)
		}
		applyDemoScript(n, peers)
		if n <= 2 {
			if _, err := st.Put(ctx, "pulse/backup-job.json", []byte(`{"heartbeat": "10m"}`), store.Condition{}); err != nil {
				return fmt.Errorf("upload the demo heartbeat: %w", err)
			}
		}
		prog := newProgress(out.stderr, c, out.tty)
		x, err := startAndFollow(ctx, c, execName(fmt.Sprintf("cycle-%d", n), clk.Now()), `{"trigger":"schedule"}`, prog.event)
		prog.done()
		if err != nil {
			return err
		}
		r := buildReport(x)
		if err := addDetails(ctx, c, r, out.stderr); err != nil {
			return err
		}
		printDemoTable(w, r)
		if r.Status != "SUCCEEDED" {
			failed++
			fmt.Fprintf(w, "  the execution %s: %s: %s\n", strings.ToLower(r.Status), r.Error, oneLine(r.Cause, 200))
		}
		alerts := drain(peers.received)
		slices.SortFunc(alerts, func(a, b demoAlert) int { return strings.Compare(a.Kind+a.Target, b.Kind+b.Target) })
		for _, a := range alerts {
			counts[a.Kind]++
			counts["folded"] += len(a.Dependents)
			fmt.Fprintf(w, "  webhook ← %-9s %s\n", a.Kind, oneLine(a.Text, 160))
		}
	}
	fmt.Fprintf(w, "\n%s\n", strings.Repeat("─", 72))
	fmt.Fprintf(w, "Demo done: %d executions, alerts received: %d DOWN, %d STALE, %d RECOVERED, %d MAINTENANCE summary; %d targets' alerts folded into their dependency's.\n",
		cycles, counts["DOWN"], counts["STALE"], counts["RECOVERED"], counts["MAINTENANCE"], counts["folded"])
	pageDir := filepath.Join(dir, "site")
	if !keep {
		if pageDir, err = os.MkdirTemp("", "medic-demo-page-"); err != nil {
			return fmt.Errorf("create a directory for the demo's status page: %w", err)
		}
	}
	page, err := savePage(ctx, st, pageDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nStatus page: %s (open it in a browser)\n", page)
	if keep {
		fmt.Fprintf(w, "\nThe demo's data is in %s. Look around:\n  medic executions --state-dir %s\n  medic show --state-dir %s <execution>\n  medic status --state-dir %s\n  medic serve --state-dir %s   (the status page at http://127.0.0.1:8085/)\n", dir, dir, dir, dir, dir)
	} else {
		fmt.Fprint(w, "\nNext: write a targets.yaml ('medic help validate'), then 'medic run'. 'medic help' lists every command.\n")
	}
	if failed > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d executions failed", failed, cycles)}
	}
	return nil
}

// savePage copies the status page the last run published (site/index.html
// and site/status.json) into dir and returns the page's path.
func savePage(ctx context.Context, st *store.Store, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("save the status page: %w", err)
	}
	for _, key := range []string{site.JSONKey, site.PageKey} {
		obj, err := st.Get(ctx, key)
		if err != nil {
			return "", fmt.Errorf("save the status page: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, path.Base(key)), obj.Body, 0o644); err != nil {
			return "", fmt.Errorf("save the status page: %w", err)
		}
	}
	return filepath.Join(dir, path.Base(site.PageKey)), nil
}

func applyDemoScript(cycle int, p *demoPeers) {
	switch cycle {
	case 2:
		p.flakyDown.Store(true)
	case 4:
		p.flakyDown.Store(false)
	}
}

func drain(ch chan demoAlert) []demoAlert {
	var out []demoAlert
	for {
		select {
		case a := <-ch:
			out = append(out, a)
		default:
			return out
		}
	}
}

// printDemoTable prints the targets with their status and this cycle's check.
func printDemoTable(w io.Writer, r *report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TARGET\tGROUP\tSTATUS\tCHECK\tLATENCY\tWHAT FAILED")
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", t.Name, orDash(t.Group), orDash(t.Status), checkWord(t), latency(t), failed(t))
	}
	tw.Flush()
}

func shortDuration(d time.Duration) string {
	if d >= time.Hour {
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}
