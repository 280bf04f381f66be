package cost

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/cadence"
)

// Function is one Lambda function's share of a run.
type Function struct {
	Name        string
	MemoryMB    int
	Invocations int
	// BilledMs is the sum of each invocation's duration rounded up to 1 ms.
	BilledMs int64
}

// Run is what one execution of medic used. Every field is a count for one
// run; Monthly multiplies by the runs in a month.
type Run struct {
	// Targets is how many targets the run checked.
	Targets int
	// Transitions are Standard state transitions as billed.
	Transitions int
	// HistoryEvents is the Standard execution's history length (the cap is
	// 25,000 events).
	HistoryEvents int
	// Functions are the Lambda invocations, per function.
	Functions []Function
	// ExpressRequests are Express child executions; ExpressBilledMs is the
	// sum of their durations, each rounded up to 100 ms.
	ExpressRequests int
	ExpressBilledMs int64
	// S3Writes are PUT, COPY, POST and LIST requests; S3Reads GET and HEAD.
	S3Writes, S3Reads int
	// SchedulerInvocations start the run (1 for a scheduled run).
	SchedulerInvocations int
	// StateMachineLogBytes go to CloudWatch Logs from Step Functions: the
	// JSON of the execution's history events, a proxy for logging at level
	// ALL with includeExecutionData (the stack's setting).
	StateMachineLogBytes int64
	// FunctionLogBytes go to CloudWatch Logs from the functions: their JSON
	// log lines plus LambdaPlatformLogBytes per invocation.
	FunctionLogBytes int64
}

// AddInvocation records one Lambda invocation of the named function.
func (r *Run) AddInvocation(name string, d time.Duration) {
	ms := int64(math.Ceil(float64(d) / float64(time.Millisecond)))
	for i := range r.Functions {
		if r.Functions[i].Name == name {
			r.Functions[i].Invocations++
			r.Functions[i].BilledMs += ms
			return
		}
	}
	r.Functions = append(r.Functions, Function{Name: name, MemoryMB: FunctionMemoryMB[name], Invocations: 1, BilledMs: ms})
	slices.SortFunc(r.Functions, func(a, b Function) int { return strings.Compare(a.Name, b.Name) })
}

// AddExpress records one Express child execution that ran for d.
func (r *Run) AddExpress(d time.Duration) {
	r.ExpressRequests++
	r.ExpressBilledMs += ExpressBilledMs(d)
}

// ExpressBilledMs rounds an Express duration up to the next 100 ms (at
// least 100 ms).
func ExpressBilledMs(d time.Duration) int64 {
	steps := int64(math.Ceil(float64(d) / float64(100*time.Millisecond)))
	return max(steps, 1) * 100
}

// Part says which figure a bill line belongs to.
type Part int

const (
	// Usage lines price the run's own counts (transitions, Lambda, Express,
	// S3, scheduler, logs): the "usage" figure.
	Usage Part = iota
	// Tracing lines grow with the runs but are not usage: X-Ray traces and
	// the KMS requests of reading the secret parameters.
	Tracing
	// Fixed lines are the deployed stack's monthly items, whatever the
	// runs: alarms and custom metrics.
	Fixed
)

// Line is one item of a monthly bill.
type Line struct {
	Item     string
	Part     Part
	Quantity float64 // a month's quantity, in Unit
	Unit     string
	USD      float64
}

// Bill is a month of runs.
type Bill struct {
	Runs  int
	Lines []Line
}

// Total is the sum of all the lines: the "all in" figure (usage, X-Ray,
// KMS requests and the stack's fixed items).
func (b Bill) Total() float64 {
	var t float64
	for _, l := range b.Lines {
		t += l.USD
	}
	return t
}

// Sum is the sum of the lines of one part.
func (b Bill) Sum(p Part) float64 {
	var t float64
	for _, l := range b.Lines {
		if l.Part == p {
			t += l.USD
		}
	}
	return t
}

// Usage is the "usage" figure: the sum of the usage lines, what the run's
// own counts cost without the stack's fixed items, X-Ray or KMS requests.
func (b Bill) Usage() float64 { return b.Sum(Usage) }

// USD returns the cost of the line named item (0 when absent).
func (b Bill) USD(item string) float64 {
	for _, l := range b.Lines {
		if l.Item == item {
			return l.USD
		}
	}
	return 0
}

// Quantity returns the month's quantity of the line named item (0 when
// absent).
func (b Bill) Quantity(item string) float64 {
	for _, l := range b.Lines {
		if l.Item == item {
			return l.Quantity
		}
	}
	return 0
}

// UnappliedFreeTiers is what CloudWatch's always-free tier (10 alarm
// metrics, 10 custom metrics) and X-Ray's (100,000 traces a month) would
// take off the bill in an account that uses them for nothing else. Monthly
// does not apply them: like Lambda's, they are shared with the account.
func (b Bill) UnappliedFreeTiers() float64 {
	return min(b.Quantity(ItemAlarms), CloudWatchFreeAlarms)*AlarmMonth +
		min(b.Quantity(ItemCustomMetrics), CloudWatchFreeMetrics)*CustomMetricMonth +
		min(b.Quantity(ItemXRay), XRayFreeTraces)*XRayTrace
}

// Bill line names.
const (
	ItemTransitions      = "Step Functions Standard transitions"
	ItemExpressRequests  = "Step Functions Express requests"
	ItemExpressDuration  = "Step Functions Express duration"
	ItemLambdaRequests   = "Lambda requests"
	ItemLambdaDuration   = "Lambda duration"
	ItemS3Writes         = "S3 PUT/COPY/POST/LIST"
	ItemS3Reads          = "S3 GET/HEAD"
	ItemScheduler        = "EventBridge Scheduler"
	ItemStateMachineLogs = "CloudWatch Logs, Step Functions"
	ItemFunctionLogs     = "CloudWatch Logs, Lambda"

	ItemXRay          = "X-Ray traces (upper bound)"
	ItemKMSRequests   = "KMS requests, secret parameter reads (upper bound)"
	ItemAlarms        = "CloudWatch alarms"
	ItemCustomMetrics = "CloudWatch custom metric"
)

// Monthly prices runs executions of r (a month's worth) all in: the usage
// lines, then X-Ray traces and KMS requests (Tracing), then the stack's
// monthly items (Fixed: StackAlarms, StackCustomMetrics).
//
// The Step Functions and Scheduler free tiers are applied; Lambda's (1M
// requests and 400,000 GB-s a month), CloudWatch's (10 alarm metrics, 10
// custom metrics), X-Ray's (100,000 traces) and KMS's (20,000 requests)
// are not: they are shared
// with everything else in the account (see Bill.UnappliedFreeTiers).
//
// X-Ray is one trace per Standard execution (each run is one) and one per
// Express child, an upper bound: sampling can only lower it, and the Lambda
// invocations join their execution's trace. KMS is at most one Decrypt per
// Notify invocation: Notify reads its SecureString parameter (GetParameter
// with decryption, free at standard throughput) only when alerts are
// pending, and caches it for 5 minutes; a Probe invocation reads the
// targets' parameter only for a batch with a target that names a secret,
// which the measured runs do not have. S3 storage (a few MB at
// most) is negligible and not priced.
func Monthly(r Run, runs int) Bill {
	n := float64(runs)
	b := Bill{Runs: runs}
	part := Usage
	add := func(item string, q float64, unit string, usd float64) {
		b.Lines = append(b.Lines, Line{Item: item, Part: part, Quantity: q, Unit: unit, USD: usd})
	}
	tr := float64(r.Transitions) * n
	add(ItemTransitions, tr, "transitions", max(tr-StandardFreeTransitions, 0)*StandardTransition)
	if r.ExpressRequests > 0 {
		q := float64(r.ExpressRequests) * n
		add(ItemExpressRequests, q, "requests", q*ExpressRequest)
		gbs := float64(r.ExpressBilledMs) / 1000 * ExpressMemoryMB / 1024 * n
		add(ItemExpressDuration, gbs, "GB-s", gbs*ExpressGBSecond)
	}
	var inv, gbs float64
	for _, f := range r.Functions {
		inv += float64(f.Invocations) * n
		gbs += float64(f.BilledMs) / 1000 * float64(f.MemoryMB) / 1024 * n
	}
	add(ItemLambdaRequests, inv, "requests", inv*LambdaRequest)
	add(ItemLambdaDuration, gbs, "GB-s", gbs*LambdaGBSecond)
	w := float64(r.S3Writes) * n
	add(ItemS3Writes, w, "requests", w*S3Write)
	rd := float64(r.S3Reads) * n
	add(ItemS3Reads, rd, "requests", rd*S3Read)
	s := float64(r.SchedulerInvocations) * n
	add(ItemScheduler, s, "invocations", max(s-SchedulerFreeInvocations, 0)*SchedulerInvocation)
	gb := float64(r.StateMachineLogBytes) * n / (1 << 30)
	add(ItemStateMachineLogs, gb, "GB", gb*LogsGB)
	gb = float64(r.FunctionLogBytes) * n / (1 << 30)
	add(ItemFunctionLogs, gb, "GB", gb*LogsGB)

	part = Tracing
	traces := float64(1+r.ExpressRequests) * n
	add(ItemXRay, traces, "traces", traces*XRayTrace)
	calls := float64(find(r.Functions, "notify").Invocations) * n
	add(ItemKMSRequests, calls, "requests", calls*KMSRequest)

	part = Fixed
	add(ItemAlarms, StackAlarms, "alarm-months", StackAlarms*AlarmMonth)
	add(ItemCustomMetrics, StackCustomMetrics, "metric-months", StackCustomMetrics*CustomMetricMonth)
	return b
}

// MonthlyAt prices a 30-day month of r run every every (the stack's
// scheduleMinutes): Monthly with cadence.RunsPerMonth(every) runs.
func MonthlyAt(r Run, every time.Duration) Bill {
	return Monthly(r, cadence.RunsPerMonth(every))
}

// Route53 is the monthly cost of one Route 53 health check per target
// (non-AWS endpoints) with the given number of optional features.
func Route53(targets, features int) float64 {
	return float64(targets) * (Route53Check + float64(features)*Route53Feature)
}

// Synthetics is the monthly cost of one canary per target, run runs times.
func Synthetics(targets, runs int) float64 {
	return float64(targets) * float64(runs) * SyntheticsRun
}

// Extrapolate estimates the run at targets from two measured runs a and b
// (a.Targets != b.Targets) by fitting every count as fixed + per-target.
// Use it only for target counts not run for real, and say so.
func Extrapolate(a, b Run, targets int) (Run, error) {
	if a.Targets == b.Targets {
		return Run{}, fmt.Errorf("extrapolate to %d targets: the two runs have the same target count (%d)", targets, a.Targets)
	}
	t := float64(targets-a.Targets) / float64(b.Targets-a.Targets)
	li := func(x, y int) int { return int(math.Round(float64(x) + t*float64(y-x))) }
	li64 := func(x, y int64) int64 { return int64(math.Round(float64(x) + t*float64(y-x))) }
	out := Run{
		Targets:              targets,
		Transitions:          li(a.Transitions, b.Transitions),
		HistoryEvents:        li(a.HistoryEvents, b.HistoryEvents),
		ExpressRequests:      li(a.ExpressRequests, b.ExpressRequests),
		ExpressBilledMs:      li64(a.ExpressBilledMs, b.ExpressBilledMs),
		S3Writes:             li(a.S3Writes, b.S3Writes),
		S3Reads:              li(a.S3Reads, b.S3Reads),
		SchedulerInvocations: li(a.SchedulerInvocations, b.SchedulerInvocations),
		StateMachineLogBytes: li64(a.StateMachineLogBytes, b.StateMachineLogBytes),
		FunctionLogBytes:     li64(a.FunctionLogBytes, b.FunctionLogBytes),
	}
	names := map[string]bool{}
	for _, f := range append(slices.Clone(a.Functions), b.Functions...) {
		names[f.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		fa, fb := find(a.Functions, name), find(b.Functions, name)
		f := Function{Name: name, MemoryMB: FunctionMemoryMB[name],
			Invocations: max(li(fa.Invocations, fb.Invocations), 0), BilledMs: max(li64(fa.BilledMs, fb.BilledMs), 0)}
		if f.Invocations > 0 {
			out.Functions = append(out.Functions, f)
		}
	}
	return out, nil
}

func find(fs []Function, name string) Function {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return Function{Name: name}
}
