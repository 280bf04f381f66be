package cost

import (
	"math"
	"time"
)

// Confirmations is what confirming failed checks inside the run adds to it
// (a target's confirm: {attempts, interval}): a check that fails is checked
// again Attempts times, Interval apart, within the same Probe invocation,
// so that invocation runs longer. The model's assumption, stated wherever
// its figures are shown: in every run a share FailingShare of the targets
// fails its first check, independently of each other; each re-check takes
// ProbeTime (a failing check often runs to its timeout, so the target
// timeout is the honest upper bound); every failure is confirmed, that is
// all its re-checks run (a blip that passes its first re-check stops
// earlier and costs less).
//
// A batch's checks and re-checks run concurrently, so a batch with at
// least one failing target bills Attempts × (Interval + ProbeTime) more,
// however many of its targets fail. The Express child that runs the batch
// (when there is one) waits as long.
type Confirmations struct {
	FailingShare float64
	Attempts     int
	Interval     time.Duration
	ProbeTime    time.Duration
}

// Extra is the added duration of one batch with a failing target.
func (c Confirmations) Extra() time.Duration {
	if c.Attempts <= 0 {
		return 0
	}
	return time.Duration(c.Attempts) * (c.Interval + c.ProbeTime)
}

// FailingBatches is the expected number of r's probe batches with at least
// one failing target: batches × (1 − (1 − FailingShare)^(targets per batch)).
func (c Confirmations) FailingBatches(r Run) float64 {
	batches := find(r.Functions, "probe").Invocations
	if batches == 0 || r.Targets == 0 || c.FailingShare <= 0 {
		return 0
	}
	perBatch := math.Ceil(float64(r.Targets) / float64(batches))
	return float64(batches) * (1 - math.Pow(1-min(c.FailingShare, 1), perBatch))
}

// Apply returns r with the confirmations' expected added duration on its
// Probe invocations (billed per ms) and Express children (in 100 ms steps,
// rounded up per child).
func (c Confirmations) Apply(r Run) Run {
	extra := c.Extra()
	failing := c.FailingBatches(r)
	if extra == 0 || failing == 0 {
		return r
	}
	out := r
	out.Functions = append([]Function(nil), r.Functions...)
	for i := range out.Functions {
		if out.Functions[i].Name == "probe" {
			out.Functions[i].BilledMs += int64(math.Round(failing * float64(extra.Milliseconds())))
		}
	}
	if r.ExpressRequests > 0 {
		out.ExpressBilledMs += int64(math.Round(failing * float64(ExpressBilledMs(extra))))
	}
	return out
}
