package loadtargets

import (
	"encoding/json"
	"fmt"
)

// MaxOutputBytes keeps the output well under Step Functions' 256 KB limit
// on a state's input and output, leaving room for the Map's own wrapping.
const MaxOutputBytes = 200 << 10

// checkSize fails when the output would be too large to pass on. Every
// selected target travels in the output whatever the batch size, so only
// fewer or smaller targets make it fit.
func checkSize(out Output) error {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if len(b) <= MaxOutputBytes {
		return nil
	}
	batches, _ := json.Marshal(out.Batches)
	requested, _ := json.Marshal(out.Requested)
	return fmt.Errorf("the output would be %d KB (targets %d KB for %d targets, requested names %d KB), over medic's %d KB limit "+
		"(Step Functions allows 256 KB per state): every target of a run travels in this output whatever MEDIC_BATCH_SIZE is, "+
		"so raising the batch size does not help; shorten the targets' definitions (headers, request bodies, expected bodies), "+
		"name fewer targets, or split the targets across deployments; or switch to the scale mode "+
		"(set MEDIC_MODE=scale / the stack's scaleMode: a Distributed Map that reads the targets from S3), which is not bound by this limit",
		kb(len(b)), kb(len(batches)), out.Summary.Targets, kb(len(requested)), MaxOutputBytes>>10)
}

func kb(n int) int { return (n + 1023) / 1024 }
