package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/medic-dev/medic/bench"
	"github.com/medic-dev/medic/internal/cost"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

type report struct {
	Machine                                     machine
	Started, Finished                           time.Time
	Engine, Probe, Cycle1k, Cycle10k, Bootstrap section
	Study                                       *bench.Study
	CostLoadBefore, CostLoadEnd                 string
	// Detect is the time-to-alert section (bench.DetectSection).
	Detect string
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func money(v float64) string { return fmt.Sprintf("$%.2f", v) }

func (s section) where(w *strings.Builder) {
	fmt.Fprintf(w, "Command: `%s`. Load average (1, 5, 15 min) before: %s; after: %s.\n\n", s.Command, s.LoadBefore, s.LoadEnd)
}

func (r *report) markdown() string {
	var w strings.Builder
	m := r.Machine
	w.WriteString("# medic benchmarks and cost\n\n")
	fmt.Fprintf(&w, "Written by `go run ./bench/cmd/report` (%s to %s UTC). Every figure below names the command that produced it; "+
		"the benchmarks live in `bench/` and run only with `-bench`.\n\n", r.Started.Format("2006-01-02 15:04"), r.Finished.Format("15:04"))
	fmt.Fprintf(&w, "| machine | |\n|---|---|\n| `nproc` | %d |\n| CPU | %s |\n| Go | %s |\n| Node | %s |\n| kernel | %s |\n\n", m.CPUs, m.CPU, m.Go, m.Node, m.Linux)
	w.WriteString("The machine is shared with other builds: the load average is recorded next to every timing figure. " +
		"A load above the core count means the timings are pessimistic.\n\n")

	r.goals(&w)
	r.engine(&w)
	r.probe(&w)
	r.cycle(&w)
	r.bootstrap(&w)
	r.cost(&w)
	r.oneDefinition(&w)
	w.WriteString("\n" + r.Detect)
	return w.String()
}

func (r *report) goals(w *strings.Builder) {
	s := r.Study
	best, _ := s.BestBatch()
	verdict := func(p bench.Point, ok bool, goal float64) string {
		switch {
		case !ok:
			return "not priced"
		case p.Infeasible != "":
			return "cannot run: " + p.Infeasible
		}
		t := p.Bill.Total()
		mark := ""
		if p.Extrapolated {
			mark = " (extrapolated)"
		}
		if t <= goal {
			return fmt.Sprintf("%s%s (usage %s): met (%s under)", money(t), mark, money(p.Bill.Usage()), money(goal-t))
		}
		return fmt.Sprintf("%s%s (usage %s): **not met, by %s**", money(t), mark, money(p.Bill.Usage()), money(t-goal))
	}
	w.WriteString("## Goals\n\n| goal (issue 13: 10-minute cadence, all in, every target up) | medic |\n|---|---|\n")
	for _, g := range []struct {
		targets int
		usd     float64
	}{{10, 1}, {1000, 2}, {10000, 5}} {
		p, ok := s.Point(best, g.targets)
		fmt.Fprintf(w, "| at most %s/month at %s targets | %s |\n", money(g.usd), thousands(float64(g.targets)), verdict(p, ok, g.usd))
	}
	fixed := cost.Monthly(cost.Run{}, 0)
	fmt.Fprintf(w, "\nAll in = usage (the run's counts, section 5) + the deployed stack's monthly items (%s whatever the targets: %d CloudWatch alarms, "+
		"each on one metric AWS provides or on a metric with data only while something is wrong; %d such problem-only custom metrics, billed only "+
		"for the hours they get data, so nothing in a healthy month; the secrets are SecureString parameters, with no monthly charge) "+
		"+ X-Ray traces + KMS requests. Batch size %d (chosen below from the cost model); medic has one state machine definition for every "+
		"fleet size (docs/scale.md). "+
		"Before issue 13 the fixed items were $2.00 (7 alarms, 3 custom metrics with data all month, a Secrets Manager secret).\n\n",
		money(fixed.Sum(cost.Fixed)), cost.StackAlarms, cost.StackProblemMetrics, best)
	if p, ok := s.Point(best, 10); ok && p.Infeasible == "" {
		b := p.Bill
		fmt.Fprintf(w, "At 10 targets the month is %s of usage, %s of X-Ray and KMS, %s of fixed items. The largest usage lines: "+
			"%d billed transitions a run (%s a month after the free tier), %d S3 PUT/LIST requests a run (%s) and CloudWatch Logs (%s). ",
			money(b.Usage()), money(b.Sum(cost.Tracing)), money(b.Sum(cost.Fixed)), p.Run.Transitions, money(b.USD(cost.ItemTransitions)),
			p.Run.S3Writes, money(b.USD(cost.ItemS3Writes)), money(b.USD(cost.ItemStateMachineLogs)+b.USD(cost.ItemFunctionLogs)))
		fmt.Fprintf(w, "In an account whose CloudWatch and X-Ray free tiers are otherwise unused they would take %s off.\n\n", money(b.UnappliedFreeTiers()))
	}
	w.WriteString("What the fixed items buy is the monitor watching itself: `go test ./infra/ -run TestEveryFailurePages` lists every failure " +
		"the alarms page for (a failed, timed-out or aborted run, a throttled transition, no scheduled run, a rejected or dropped alert, " +
		"delivery failing three runs in a row, targets not monitored) and checks each against the synthesized stack.\n\n")
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", a/b)
}

func (r *report) engine(w *strings.Builder) {
	w.WriteString("## 1. Engine speed\n\nState transitions per second of the local engine (`internal/engine`) running `bench/testdata/instant.asl.json` " +
		"(medic's inline-Map health check as `statemachines.Local(10)` rendered it, kept in bench/ so that both engines can run it: " +
		"aws-local-stepfunctions cannot run a Distributed Map's ItemReader) with instant task functions, and in the same run the npm package " +
		"aws-local-stepfunctions 3.0.0 (Node, `bench/peer/runner.mjs`, pinned by its package-lock.json) executing the same definition with the same instant tasks. " +
		"LoadTargets returns the targets (names only, so that 10,000 fit in the 256 KB payload limit) in batches of 10; Probe echoes its input; " +
		"WriteEcho and CheckStaleness return fixed results (no alerts). The peer's rate is this engine's billed transitions for the same run over the time " +
		"the Node runner measured per run (Node's start-up excluded). CPU per run is user + system time: the engine's process over its runs, and the " +
		"difference between two Node processes of b.N+3 and b.N+3+k runs, divided by k (so Node's start-up and JIT warm-up drop out; k is at least 8 and enough runs for about 2 s, so that the start-up's own variation stays small beside it). On a machine shared " +
		"with other work the CPU figures are the steadier comparison: wall-clock rates fall with the load, and not equally for both.\n\n")
	w.WriteString("| targets | transitions per run | medic engine, transitions/s | aws-local-stepfunctions, transitions/s | ratio (medic ÷ peer) | medic CPU ms/run | peer CPU ms/run | CPU ratio (peer ÷ medic) |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range []int{10, 1000, 10000} {
		name := fmt.Sprintf("/targets=%d", n)
		e, _ := r.Engine.get("BenchmarkEngine"+name, "transitions/s")
		p, _ := r.Engine.get("BenchmarkPeer"+name, "transitions/s")
		tr, _ := r.Engine.get("BenchmarkEngine"+name, "transitions/run")
		ec, _ := r.Engine.get("BenchmarkEngine"+name, "cpu-ms/run")
		pc, _ := r.Engine.get("BenchmarkPeer"+name, "cpu-ms/run")
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.2f | %.2f | %s |\n", thousands(float64(n)), thousands(tr), thousands(e), thousands(p), ratio(e, p), ec, pc, ratio(pc, ec))
	}
	w.WriteString("\n")
	r.Engine.where(w)
	e, _ := r.Engine.get("BenchmarkEngine/targets=1000", "transitions/s")
	p, _ := r.Engine.get("BenchmarkPeer/targets=1000", "transitions/s")
	if e < p {
		fmt.Fprintf(w, "**The medic engine is slower than aws-local-stepfunctions** once Node's JIT has warmed up (at 1,000 targets, %.1f× slower; a single cold run "+
			"favours this engine). It does work the peer does not: it builds the full execution history, encoding every state's input and output to JSON, "+
			"and it checks every payload against the 256 KB limit by encoding it again. A CPU profile of the 1,000-target case "+
			"(`go test -run '^$' -bench 'BenchmarkEngine/targets=1000$' -cpuprofile cpu.prof ./bench/`) puts 61%% of the CPU in `engine.encodeValue` "+
			"(JSON encoding), 27%% of it under `checkSize`. Encoding each value once and reusing the bytes for the size check and the history event, or "+
			"measuring the size without building the string, would roughly double the rate. ", p/e)
	}
	w.WriteString("What moves it: a task's result is decoded lazily (its objects and arrays stay JSON text until a path or ResultPath looks " +
		"inside them, and text that travels on unread is written out as it came), a lambda:invoke result read only for its Payload is never " +
		"wrapped in the Invoke response's objects, and every object is encoded at most once (docs/engine.md). What is left is the history — " +
		"about six events per task state, each with its JSON input, output or parameters, as AWS records them — and the garbage collector, " +
		"which takes about a fifth of the CPU at 10,000 targets. Per Map iteration (one batch of 10 targets: Probe and WriteEcho) the engine " +
		"spends the same at 1,000 and 10,000 targets; the peer's JIT makes it cheaper per iteration the longer it runs, which is why the " +
		"ratio falls with the size. Both implementations share this machine's two cores with the other builds, so single runs vary by tens " +
		"of percent (compare the load averages). None of this matters for cost: a real run spends its time in probes and S3 requests.\n\n")
}

func (r *report) probe(w *strings.Builder) {
	w.WriteString("## 2. Probe overhead\n\nOne HTTP probe of a loopback server (`probe.Prober.Probe`: status 200 and body contains \"ok\", which dials " +
		"a new connection per check with the address policy and timing trace) next to a bare `net/http` GET of the same server in the same run, " +
		"with a new connection each time (the fair comparison) and with keep-alive. Latency is wall time per sequential request; CPU is the process's user + " +
		"system time per request (getrusage), which includes the loopback server's share (the same in every row).\n\n")
	w.WriteString("| client | latency per request | CPU per request | latency ratio to bare (new connection) | CPU ratio |\n|---|---:|---:|---:|---:|\n")
	bl, _ := r.Probe.get("BenchmarkProbeHTTP/bare-new-conn", "ns/op")
	bc, _ := r.Probe.get("BenchmarkProbeHTTP/bare-new-conn", "cpu-ns/op")
	for _, v := range []struct{ name, label string }{{"medic", "medic probe"}, {"bare-new-conn", "bare GET, new connection"}, {"bare-keepalive", "bare GET, keep-alive"}} {
		l, _ := r.Probe.get("BenchmarkProbeHTTP/"+v.name, "ns/op")
		c, _ := r.Probe.get("BenchmarkProbeHTTP/"+v.name, "cpu-ns/op")
		fmt.Fprintf(w, "| %s | %.0f µs | %.0f µs | %s | %s |\n", v.label, l/1000, c/1000, ratio(l, bl), ratio(c, bc))
	}
	w.WriteString("\n")
	r.Probe.where(w)
	w.WriteString("What moves it: the probe builds a transport per check (so that its address policy and per-target TLS settings apply) and " +
		"therefore never reuses a connection; it also records a timing trace, reads the body (up to 1 MiB) and evaluates expectations. " +
		"Against a real endpoint the network round trips (tens of milliseconds) dwarf both; the CPU per probe bounds how many targets " +
		"one 256 MB Probe Lambda (a fraction of a vCPU) can check per second.\n\n")
}

func (r *report) cycle(w *strings.Builder) {
	w.WriteString("## 3. Full local cycle\n\nA whole run over loopback targets that answer in 50 ms " +
		"(`statemachines/healthcheck.asl.json`: distributed Map, batches of 100, MaxConcurrency 100): the real task handlers " +
		"(`bench/scale.go`) and the embedded S3 server (gofakes3) for every object. Each size runs in its own process, so the " +
		"peak RSS is that size's; \"peak Go memory\" samples the Go runtime's total mapped memory every 5 ms. The wall time is one steady-state run " +
		"(a first run creates the state).\n\n")
	w.WriteString("| targets | wall time per run | peak Go memory | peak RSS |\n|---:|---:|---:|---:|\n")
	for _, c := range []struct {
		n int
		s section
	}{{1000, r.Cycle1k}, {10000, r.Cycle10k}} {
		name := fmt.Sprintf("BenchmarkCycle/targets=%d", c.n)
		ms, _ := c.s.get(name, "run-ms")
		pk, _ := c.s.get(name, "peak-go-MiB")
		rss, _ := c.s.get(name, "maxrss-MiB")
		fmt.Fprintf(w, "| %s | %.2f s | %.0f MiB | %.0f MiB |\n", thousands(float64(c.n)), ms/1000, pk, rss)
	}
	w.WriteString("\n")
	r.Cycle1k.where(w)
	r.Cycle10k.where(w)
	fmt.Fprintf(w, "What moves it: the floor is targets ÷ (MaxConcurrency × the probe's %d checks in flight, at most one batch) × 50 ms; ", probe.DefaultConcurrency)
	w.WriteString("" +
		"above it the time goes to one new TCP connection per probe and to the S3 server, all on this machine's cores and shared with the " +
		"other builds. On AWS each batch runs in its own Lambda, so only the slowest batch counts. Memory is the probe results and the " +
		"S3 objects held by the in-memory S3 server.\n\n")
}

func (r *report) bootstrap(w *strings.Builder) {
	w.WriteString("## 4. Lambda footprint\n\nSize of each `bootstrap` as deployed (`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc " +
		"-trimpath -ldflags=\"-s -w\"`), and the time from process start to ready: a host build, started with `AWS_LAMBDA_RUNTIME_API` pointing at a " +
		"tiny runtime API in the benchmark, until its first `GET /2018-06-01/runtime/invocation/next` (configuration read, AWS SDK clients built, " +
		"waiting for an event).\n\n| function | arm64 binary | start to ready |\n|---|---:|---:|\n")
	for _, t := range bench.Tasks {
		size, _ := r.Bootstrap.get("BenchmarkBootstrap/"+t, "arm64-MiB")
		ready, _ := r.Bootstrap.get("BenchmarkBootstrap/"+t, "ready-ms")
		fmt.Fprintf(w, "| %s | %.1f MiB | %.1f ms |\n", t, size, ready)
	}
	w.WriteString("\n")
	r.Bootstrap.where(w)
	w.WriteString("What moves it: the AWS SDK for Go v2 packages (S3, SNS, SSM, config) are most of each binary; probe needs no SDK and " +
		"is the smallest. Start-up is dominated by the process loading the binary and `config.LoadDefaultConfig`; on Lambda the cold start " +
		"adds the sandbox and the download of the zipped binary, and is billed as init duration — at this size a few tens of milliseconds, " +
		"a fraction of a cent a month.\n\n")
}

func (r *report) cost(w *strings.Builder) {
	s := r.Study
	w.WriteString("## 5. Cost model\n\n")
	fmt.Fprintf(w, "Command: `go run ./bench/cmd/cost` (also run by the report). Load average before: %s; after: %s. ", r.CostLoadBefore, r.CostLoadEnd)
	w.WriteString("The model (`internal/cost`, its arithmetic checked against a hand-computed case by `go test ./internal/cost/`) takes the counts of a " +
		"**real local run** — the second of two runs over the same bucket, so the state exists, as in steady operation — and multiplies them by " +
		"the runs in a month:\n\n" +
		"- billed Standard state transitions, counted by the engine (one per state entered, one per retry); the 4,000 free a month are applied;\n" +
		"- Lambda invocations and their durations, each bound handler call timed and rounded up to 1 ms, times the memory of `infra/functions.go` " +
		"(mirrored in `cost.FunctionMemoryMB`); Lambda's free tier (1M requests, 400,000 GB-s, shared with the whole account) is **not** applied;\n" +
		"- Express child executions : $1.00/M plus duration, each child's duration the sum of its task calls rounded up to 100 ms, at 64 MB;\n" +
		"- S3 requests, counted by an `http.RoundTripper` on the tasks' S3 client: PUT/COPY/POST and LIST (a GET with `list-type=2`) at the write " +
		"price, GET/HEAD at the read price, DELETE free; the ItemReader's GetObject is counted;\n" +
		"- one EventBridge Scheduler invocation per run (free under 14M a month);\n" +
		"- CloudWatch Logs: the JSON of the execution's history events, as a proxy for Step Functions logging at level ALL with " +
		"`includeExecutionData` (the stack's setting), plus the functions' own JSON log lines and ~600 bytes of START/END/REPORT lines per invocation.\n\n" +
		"That is the **usage** figure. The **all in** figure adds what the deployed stack costs beyond its runs (prices from AWS's pricing pages, " +
		"not in the repository's AWS facts):\n\n" +
		"- X-Ray (tracing is on for the state machine and every function): $5.00 per million traces, one per Standard execution and one per Express " +
		"child — an upper bound, since sampling can only lower it; the Lambda invocations join their execution's trace;\n" +
		"- KMS requests: $0.03 per 10,000, at most one Decrypt per Notify invocation, for its SecureString parameter (Notify runs only when alerts are pending " +
		"and caches the secret for 5 minutes). The measured steady-state runs have no alerts, so this line is $0; even a Notify in every run " +
		"would be 4,320 requests, $0.01 a month; GetParameter itself has no charge at standard throughput, nor has a standard parameter;\n" +
		fmt.Sprintf("- the stack's monthly items, mirrored in `cost.StackAlarms` and `cost.StackCustomMetrics` and checked against the synthesized "+
			"stack by `infra/cost_test.go`: %d standard-resolution metric alarms at $0.10 each (one metric each), %d custom metrics with data all month at $0.30, "+
			"and %d custom metrics fed by log metric filters that match only a problem: CloudWatch bills a custom metric only for the hours it gets "+
			"data (its pricing page), so they are $0 in a healthy month;\n",
			cost.StackAlarms, cost.StackCustomMetrics, cost.StackProblemMetrics) +
		"- S3 storage is not priced: the bucket holds a few MB at most (fractions of a cent).\n\n" +
		"CloudWatch's always-free tier (10 alarm metrics, 10 custom metrics) and X-Ray's (100,000 traces a month) are not applied, like Lambda's: " +
		"they are shared with the whole account. ")
	best, _ := s.BestBatch()
	var saved []string
	for _, n := range s.Opts.Targets {
		if p, ok := s.Point(best, n); ok && p.Infeasible == "" {
			saved = append(saved, fmt.Sprintf("%s at %s targets", money(p.Bill.UnappliedFreeTiers()), thousands(float64(n))))
		}
	}
	if len(saved) > 0 {
		fmt.Fprintf(w, "In an account that uses them for nothing else, they would remove %s a month: the %d alarms (%s) and "+
			"up to 100,000 traces ($0.50).\n\n", strings.Join(saved, ", "), cost.StackAlarms, money(cost.Monthly(cost.Run{}, 0).USD(cost.ItemAlarms)))
	}
	w.WriteString("" +
		"Targets are loopback servers answering in 50 ms and S3 is on loopback, so the measured Lambda durations are those of a fast network; " +
		"on AWS an S3 request typically takes milliseconds to tens of milliseconds rather than well under one, and real endpoints are slower. ")
	if p, ok := s.Point(best, 1000); ok && p.Infeasible == "" {
		slow := p.Run
		for i := range slow.Functions {
			slow.Functions[i].BilledMs *= 10
		}
		slow.ExpressBilledMs *= 10
		fmt.Fprintf(w, "Sensitivity: with every Lambda and Express duration 10× the measured one, medic at 1,000 targets costs %s all in instead of %s.",
			money(cost.Monthly(slow, cost.RunsPerMonth).Total()), money(p.Bill.Total()))
	}
	w.WriteString("\n\n")
	w.WriteString(s.Markdown())
	w.WriteString("### Cadence\n\nAll-in monthly cost at the stack's cadence (`scheduleMinutes`, the same setting as `medic run --every`), " +
		"from the same runs (batch " + fmt.Sprint(best) + "; `*` extrapolated), priced by `cost.MonthlyAt`:\n\n")
	w.WriteString(bench.CadenceTable(func(n int) (cost.Run, bool, bool) {
		p, ok := s.Point(best, n)
		return p.Run, p.Extrapolated, ok && p.Infeasible == ""
	}))
	w.WriteString("\n")
	w.WriteString("### Default batch size\n\n")
	fmt.Fprintf(w, "The numbers call for **%d** "+
		"(the default today: %d in `tasks/loadtargets` and in `medic run`; the stack's `batchSize` in `cdk.json`). ",
		best, loadtargets.DefaultBatchSize)
	w.WriteString("Every batch costs one Express child execution, two Lambda invocations and one echo PUT, so fewer, larger " +
		"batches are cheaper at every target count; below one batch's worth of targets the size makes no difference. " +
		"What bounds the batch is time, not money. ")
	c := probe.DefaultConcurrency
	fmt.Fprintf(w, "A batch's checks run %d at a time (`probe.DefaultConcurrency`) inside the Probe function's 90 s "+
		"timeout, so a batch of B targets whose timeout is T needs ⌈B/%d⌉ × T to stay under ~85 s: up to %d targets, a batch takes as long as "+
		"its slowest target (at most the 60 s maximum timeout). ", c, c, c)
	w.WriteString("A batch that fails loses the echoes of all its targets for that run (they age toward STALE), " +
		"so a larger batch also widens the blast radius of one failure. Values above 100 were not compared.\n\n")
	r.echoLayout(w, best)
}

func (r *report) echoLayout(w *strings.Builder, batch int) {
	w.WriteString("### One echo object per target or per batch\n\n")
	w.WriteString("| targets | extra a month for one echo object per target (PUT + GET of each) |\n|---:|---:|\n")
	for _, n := range r.Study.Opts.Targets {
		batches := int(math.Ceil(float64(n) / float64(batch)))
		extra := float64(n-batches) * float64(cost.RunsPerMonth) * (cost.S3Write + cost.S3Read)
		fmt.Fprintf(w, "| %s | %s |\n", thousands(float64(n)), money(extra))
	}
	w.WriteString("\nDecision: **one echo object per batch** (`echo/batch/<first target>--<last target>.json`, a JSON array of " +
		"`probe.Result`; the targets are sorted by name, so the key says which names it holds). Per-target echoes alone would break the " +
		"1,000-target goal. docs/scale.md says how a target's latest result is found.\n\n")
}

func (r *report) oneDefinition(w *strings.Builder) {
	w.WriteString("## One definition\n\n" +
		"`statemachines/healthcheck.asl.json` is deployed and run locally at every fleet size; `docs/scale.md` records the decision, the limits " +
		"and what happens past them. LoadTargets writes the run's targets, sorted by name, to `runs/targets-<sha256>.json` (GET first, PUT only " +
		"when absent); the Distributed Map reads it (ItemReader), batches it (ItemBatcher) and runs one Express child per batch, which probes " +
		"the batch and writes one `echo/batch/<first>--<last>.json`; up to 10% of the batches may fail; CheckStaleness lists `echo/batch/`, " +
		"the newest `checkedAt` per target winning, and skips objects that are unchanged (ETag) or older than every target's last result. " +
		"Notify is entered on every run and returns at once when CheckStaleness counted nothing pending: 4 billed transitions a run " +
		"(LoadTargets, ProbeTargets, CheckStaleness, Notify) instead of 5 with a Choice and a Succeed state.\n")
}
