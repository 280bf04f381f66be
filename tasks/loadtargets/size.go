package loadtargets

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/internal/trigger"
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

// fitInline fills out's batches with selected, cut into batches of size,
// and makes the output fit MaxOutputBytes by leaving pulse targets out
// (whoever writes pulse/ must not be able to stop the run): first the
// heartbeat-only ones, which need no probe (CheckStaleness decides them
// from their pulse files; Summary.HeartbeatOnly counts them), then probed
// pulse targets, last names first, each of which is returned as a problem.
// The targets file's own targets are never left out: when they alone do
// not fit, the error is checkSize's. listed is what the summary lists of
// the other problems; the size counts them, and room for the problems of
// the targets left out that the summary would list too.
func fitInline(out *Output, selected []target.Target, size int, listed []target.Problem) ([]target.Problem, error) {
	room := append([]target.Problem(nil), listed...)
	for len(room) < MaxSummaryProblems {
		room = append(room, leftOut(target.Target{Source: target.PulsePrefix + strings.Repeat("n", 63) + ".json", Name: strings.Repeat("n", 63)}))
	}
	place := func(ts []target.Target) error {
		out.Batches = split(ts, size)
		out.Summary.Batches = len(out.Batches)
		out.Summary.Targets = len(ts)
		sized := *out
		sized.Summary.Problems = listed
		if len(ts) < len(selected) {
			sized.Summary.Problems = room
		}
		return checkSize(sized)
	}
	err := place(selected)
	if err == nil {
		return nil, nil
	}
	var own, pushOnly, probed []target.Target
	for _, t := range selected {
		switch {
		case !strings.HasPrefix(t.Source, target.PulsePrefix):
			own = append(own, t)
		case t.Kind == target.KindPush:
			pushOnly = append(pushOnly, t)
		default:
			probed = append(probed, t)
		}
	}
	if len(pushOnly) == 0 && len(probed) == 0 {
		return nil, err
	}
	out.Summary.HeartbeatOnly = len(pushOnly)
	// The most probed pulse targets, in name order, that fit.
	sort.Slice(probed, func(i, j int) bool { return probed[i].Name < probed[j].Name })
	with := func(k int) []target.Target {
		return append(append([]target.Target(nil), own...), probed[:k]...)
	}
	if err := place(with(0)); err != nil {
		return nil, err
	}
	fit := sort.Search(len(probed)+1, func(k int) bool { return k > 0 && place(with(k)) != nil }) - 1
	if err := place(with(fit)); err != nil {
		return nil, err // cannot happen: fit is the largest k that fits
	}
	var problems []target.Problem
	for _, t := range probed[fit:] {
		problems = append(problems, leftOut(t))
	}
	return problems, nil
}

// leftOut is the problem of a probed pulse target left out of the run.
func leftOut(t target.Target) target.Problem {
	return target.Problem{Source: t.Source, Target: t.Name, Error: fmt.Sprintf(
		"not checked in this run: the run's targets do not fit in LoadTargets' output (%d KB; Step Functions carries at most 256 KB), "+
			"so pulse targets are left out, the last names first, and the targets file's targets are kept; "+
			"use fewer or shorter pulse files, or the scale mode (the stack's scaleMode), which has no such limit", MaxOutputBytes>>10)}
}

// CheckInline reports whether a scheduled run of the inline definition
// can carry the targets of f (a targets file as parsed): nil when they fit
// LoadTargets' output, else the error such a run fails with. Pulse files
// are not counted (a run leaves them out before it fails); batchSize 0
// means DefaultBatchSize.
func CheckInline(f *target.File, batchSize int) error {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	selected := make([]target.Target, len(f.Targets))
	for i, t := range f.Targets {
		t.Source = target.DefaultConfigKey // as a run loads it
		selected[i] = t
	}
	problems := make([]target.Problem, len(f.Problems))
	for i, p := range f.Problems {
		p.Source = target.DefaultConfigKey
		problems[i] = p
	}
	out := Output{Trigger: trigger.Schedule, Requested: []string{}, Summary: Summary{Targets: len(selected), Problems: []target.Problem{}}}
	_, err := fitInline(&out, selected, batchSize, listed(problems))
	return err
}
