package cost

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestMonthlyHandComputed checks the arithmetic on a case worked by hand.
func TestMonthlyHandComputed(t *testing.T) {
	var r Run
	r.Transitions = 10
	r.AddInvocation("probe", 700*time.Millisecond)
	r.AddInvocation("probe", 799400*time.Microsecond) // 799.4 ms bills as 800 ms
	r.AddInvocation("loadtargets", 100*time.Millisecond)
	r.AddInvocation("notify", 50*time.Millisecond)
	r.AddInvocation("notify", 50*time.Millisecond)
	r.S3Writes, r.S3Reads = 20, 30
	r.SchedulerInvocations = 1
	r.StateMachineLogBytes = 1 << 20
	r.FunctionLogBytes = 1 << 19
	r.AddExpress(150 * time.Millisecond) // bills 200 ms
	r.AddExpress(40 * time.Millisecond)  // bills 100 ms
	b := Monthly(r, 1000)

	want := map[string]float64{
		// 10,000 transitions, 4,000 free: 6,000 × $0.025/1,000.
		ItemTransitions: 0.15,
		// 2,000 requests × $1/M.
		ItemExpressRequests: 0.002,
		// 0.3 s × 64/1024 GB × 1,000 = 18.75 GB-s × $0.00001667.
		ItemExpressDuration: 0.0003125625,
		// 5,000 × $0.20/M.
		ItemLambdaRequests: 0.001,
		// (1.5 s × 0.25 GB + 0.1 s × 0.125 GB + 0.1 s × 0.125 GB) × 1,000
		// = 400 GB-s × $0.0000133334.
		ItemLambdaDuration: 0.00533336,
		// 20,000 × $0.005/1,000.
		ItemS3Writes: 0.10,
		// 30,000 × $0.0004/1,000.
		ItemS3Reads: 0.012,
		// 1,000 invocations, under 14M free.
		ItemScheduler: 0,
		// 1,000 MiB = 0.9765625 GB × $0.50.
		ItemStateMachineLogs: 0.48828125,
		// 512 KiB × 1,000 = 500 MiB = 0.48828125 GB × $0.50.
		ItemFunctionLogs: 0.244140625,

		// (1 Standard execution + 2 Express children) × 1,000 = 3,000
		// traces × $5/M.
		ItemXRay: 0.015,
		// 2 Notify invocations × 1,000 = 2,000 KMS Decrypt × $0.03/10,000.
		ItemKMSRequests: 0.006,

		// 5 alarms × $0.10, no custom metric with data all month.
		ItemAlarms:        0.50,
		ItemCustomMetrics: 0,
	}
	if len(b.Lines) != len(want) {
		t.Errorf("bill has %d lines, want %d: %+v", len(b.Lines), len(want), b.Lines)
	}
	var total float64
	for item, usd := range want {
		total += usd
		if got := b.USD(item); !near(got, usd) {
			t.Errorf("%s = $%.10f, want $%.10f", item, got, usd)
		}
	}
	parts := []struct {
		name      string
		got, want float64
	}{
		// 0.15 + 0.002 + 0.0003125625 + 0.001 + 0.00533336 + 0.10 + 0.012
		// + 0 + 0.48828125 + 0.244140625.
		{"usage", b.Usage(), 1.0030677975},
		{"X-Ray and KMS requests", b.Sum(Tracing), 0.021},
		{"fixed", b.Sum(Fixed), 0.50},
		{"all in", b.Total(), 1.5240677975},
		{"all in, the sum of the wanted lines", total, 1.5240677975},
		// 5 alarms fit CloudWatch's free tier; 3,000 traces X-Ray's.
		{"unapplied free tiers", b.UnappliedFreeTiers(), 0.515},
	}
	for _, p := range parts {
		if !near(p.got, p.want) {
			t.Errorf("%s = $%.10f, want $%.10f", p.name, p.got, p.want)
		}
	}
}

func TestFreeTierAndAlternatives(t *testing.T) {
	cases := []struct {
		name      string
		got, want float64
	}{
		{"transitions under the free tier", Monthly(Run{Transitions: 1}, 4000).USD(ItemTransitions), 0},
		{"transitions just over the free tier", Monthly(Run{Transitions: 1}, 4001).USD(ItemTransitions), 0.000025},
		{"runs per month at a 10-minute cadence", float64(RunsPerMonth), 4320},
		{"Route 53 base, 1,000 targets", Route53(1000, 0), 750},
		{"Route 53 with HTTPS and string matching, 10 targets", Route53(10, 2), 27.5},
		{"Synthetics, 10 targets every 10 minutes", Synthetics(10, RunsPerMonth), 51.84},
		{"Express minimum bill", float64(ExpressBilledMs(time.Millisecond)), 100},
		{"Express rounding", float64(ExpressBilledMs(100*time.Millisecond + time.Nanosecond)), 200},
		// 4,320 × (1 + 99) = 432,000 traces; 100,000 of them free.
		{"X-Ray, 99 children a run", Monthly(Run{ExpressRequests: 99}, RunsPerMonth).USD(ItemXRay), 2.16},
		{"unapplied free tiers, X-Ray over its free tier", Monthly(Run{ExpressRequests: 99}, RunsPerMonth).UnappliedFreeTiers(), 0.5 + 0.5},
		{"no Notify, no KMS requests", Monthly(Run{Transitions: 5}, RunsPerMonth).USD(ItemKMSRequests), 0},
		{"fixed items with no runs", Monthly(Run{}, 0).Total(), 0.50},
	}
	for _, c := range cases {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestExtrapolate(t *testing.T) {
	a := Run{Targets: 100, Transitions: 25, S3Writes: 102, Functions: []Function{{Name: "probe", MemoryMB: 256, Invocations: 10, BilledMs: 600}}}
	b := Run{Targets: 1000, Transitions: 205, S3Writes: 1002, Functions: []Function{{Name: "probe", MemoryMB: 256, Invocations: 100, BilledMs: 6000}}}
	got, err := Extrapolate(a, b, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if got.Transitions != 2005 || got.S3Writes != 10002 || got.Functions[0].Invocations != 1000 || got.Functions[0].BilledMs != 60000 {
		t.Errorf("extrapolated %+v", got)
	}
	if _, err := Extrapolate(a, a, 10); err == nil {
		t.Error("extrapolating from two runs of the same size: no error")
	}
}

// TestConfirmations checks the added duration of in-run confirmation on a
// case worked by hand.
func TestConfirmations(t *testing.T) {
	r := Run{Targets: 1000, ExpressRequests: 10,
		Functions: []Function{{Name: "probe", MemoryMB: 256, Invocations: 10, BilledMs: 5000}}}
	c := Confirmations{FailingShare: 0.01, Attempts: 2, Interval: time.Second, ProbeTime: 10 * time.Second}
	// 10 batches of 100 targets: 10 × (1 − 0.99^100) = 6.3397 batches with a
	// failing target; each bills 2 × (1 s + 10 s) = 22 s more.
	if got, want := c.FailingBatches(r), 10*(1-math.Pow(0.99, 100)); !near(got, want) {
		t.Errorf("failing batches = %v, want %v", got, want)
	}
	got := c.Apply(r)
	if p := find(got.Functions, "probe"); p.BilledMs != 5000+int64(math.Round(6.339676587267709*22000)) {
		t.Errorf("probe billed ms = %d", p.BilledMs)
	}
	if got.ExpressBilledMs != int64(math.Round(6.339676587267709*22000)) {
		t.Errorf("express billed ms = %d", got.ExpressBilledMs)
	}
	if find(r.Functions, "probe").BilledMs != 5000 {
		t.Error("Apply changed its input")
	}
	// 4,320 runs: 6.3397 × 22 s × 0.25 GB × 4,320 = 150,626 GB-s more probe duration.
	added := Monthly(got, RunsPerMonth).USD(ItemLambdaDuration) - Monthly(r, RunsPerMonth).USD(ItemLambdaDuration)
	if want := 6.339676587267709 * 22 * 0.25 * 4320 * LambdaGBSecond; math.Abs(added-want) > 1e-3 {
		t.Errorf("added Lambda duration = $%.4f, want $%.4f", added, want)
	}
	for _, off := range []Confirmations{{}, {FailingShare: 0.01}, {Attempts: 2, Interval: time.Second}} {
		if !reflect.DeepEqual(off.Apply(r), r) {
			t.Errorf("%+v changed the run", off)
		}
	}
}
