package loadtargets

import (
	"fmt"

	"github.com/medic-dev/medic/internal/target"
)

// Limits of one run. They keep every Step Functions limit with headroom
// (docs/scale.md, "Limits"):
//   - MaxTargets bounds the targets medic keeps a state for: state/
//     status.json is read whole by CheckStaleness, at most
//     store.MaxObjectBytes, and holds up to about 1.2 KB a failing target
//     (a local run of 100,000 healthy targets already wrote more than
//     16 MiB). 100,000 needs the state sharded, which is not done yet;
//   - MaxBatches bounds the Distributed Map's result, one child output
//     ({echo, written}: at most about 170 bytes with 63-character names)
//     per batch: 1,000 of them are at most about 170 KB of the 256 KB a
//     state may output.
const (
	MaxTargets = 10_000
	MaxBatches = 1_000
	// MaxBatchBytes is the ItemBatcher's MaxInputBytesPerBatch in the
	// definition: a batch is cut short when its input would be larger.
	MaxBatchBytes = 200 << 10
	// batchOverhead is a batch's input besides its items:
	// {"BatchInput":{"run":"<up to 80 characters>"},"Items":[]}.
	batchOverhead = 128
)

// FleetLimitError means a run's targets are over one of medic's limits
// (MaxTargets, MaxBatches; for CheckFleet also a target larger than a
// batch may be, which a run leaves out as a problem). The
// state machine matches it by its type name ("FleetLimitError" in
// ErrorEquals) and does not retry it: the same targets would fail again.
type FleetLimitError struct {
	Err error
}

func (e *FleetLimitError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *FleetLimitError) Unwrap() error { return e.Err }

// countBatches is how many batches the ItemBatcher cuts a list into: at
// most size items each, and at most MaxBatchBytes of input. sizes are the
// items' encoded lengths, each small enough for a batch (encodeList).
func countBatches(sizes []int, size int) int {
	n, items, bytes := 0, 0, 0
	for _, s := range sizes {
		if items > 0 && (items+1 > size || bytes+1+s > MaxBatchBytes) {
			items, bytes = 0, 0
		}
		if items == 0 {
			n++
			bytes = batchOverhead
		} else {
			bytes++ // the comma
		}
		items++
		bytes += s
	}
	return n
}

// checkFleet fails when a run of targets targets, cut into batches
// batches of at most size, is over medic's limits.
func checkFleet(targets, batches, size int) error {
	switch {
	case targets > MaxTargets:
		return &FleetLimitError{Err: fmt.Errorf("%d targets: medic checks at most %d per deployment (docs/scale.md, Limits); split them across deployments (a targets file each)", targets, MaxTargets)}
	case batches > MaxBatches:
		return &FleetLimitError{Err: fmt.Errorf("%d targets make %d batches of at most %d targets (or %d KB): medic runs at most %d batches a run (docs/scale.md, Limits); raise the batch size (MEDIC_BATCH_SIZE, the stack's batchSize) or shorten the targets' definitions", targets, batches, size, MaxBatchBytes>>10, MaxBatches)}
	}
	return nil
}

// CheckFleet reports whether a scheduled run can check the targets of f
// (a targets file as parsed) with this batch size (0 means
// DefaultBatchSize): nil when they are within medic's limits, else the
// *FleetLimitError such a run fails with. Pulse files are not counted.
func CheckFleet(f *target.File, batchSize int) error {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	_, sizes, _, oversized, err := encodeList(toProbe(f.Targets))
	if err != nil {
		return err
	}
	if len(oversized) > 0 {
		p := oversized[0]
		return &FleetLimitError{Err: fmt.Errorf("target %s is %s", p.Target, p.Error)}
	}
	return checkFleet(len(f.Targets), countBatches(sizes, batchSize), batchSize)
}
