package loadtargets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// PrefixRuns holds the runs' target lists; the bucket expires them after
// a day.
const PrefixRuns = "runs/"

// TargetListKey is where a target list with this JSON encoding is stored:
// runs/targets-<sha256 of the encoding>.json. The same targets give the
// same key, so an unchanged list is written once, not once per run.
func TargetListKey(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return PrefixRuns + "targets-" + hex.EncodeToString(sum[:]) + ".json"
}

// toProbe returns the run's targets sorted by name. Sorted, consecutive
// batches hold consecutive names, so a batch's echo object,
// echo/batch/<first>--<last>.json, says which targets it holds. Push
// (heartbeat-only) targets stay in the list, so that the run's list names
// every target of the run: Probe skips them and WriteEcho leaves them out,
// and CheckStaleness decides them from their pulse files.
func toProbe(selected []target.Target) []target.Target {
	out := slices.Clone(selected)
	slices.SortFunc(out, func(a, b target.Target) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// encodeList encodes targets as one JSON array and returns the size of
// each item's encoding too. A target whose encoding could not fit in any
// batch (over MaxBatchBytes) is left out of the list, with a problem
// naming it: one such target must not stop the others.
func encodeList(targets []target.Target) (body []byte, sizes []int, kept []target.Target, oversized []target.Problem, err error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for _, t := range targets {
		b, err := json.Marshal(t)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("encode the target list: target %s: %w", t.Name, err)
		}
		if len(b)+batchOverhead > MaxBatchBytes {
			oversized = append(oversized, target.Problem{Source: t.Source, Target: t.Name, Error: fmt.Sprintf(
				"not checked: its definition is %d KB, over the %d KB a batch of targets may carry (Step Functions' payload limit); shorten its headers, request body or expected body",
				(len(b)+1023)>>10, MaxBatchBytes>>10)})
			continue
		}
		if len(kept) > 0 {
			buf.WriteByte(',')
		}
		sizes = append(sizes, len(b))
		kept = append(kept, t)
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes(), sizes, kept, oversized, nil
}

// writeTargetList stores the encoded list under its content-addressed key.
// It looks first (a GET that reads one byte costs a tenth of a PUT) and
// writes only when the object is absent. Two runs that race to write the
// same list write the same bytes, so the write needs no condition.
func writeTargetList(ctx context.Context, s *store.Store, body []byte, n int, log *slog.Logger) (TargetList, error) {
	key := TargetListKey(body)
	list := TargetList{Bucket: s.Bucket(), Key: key}
	_, err := s.GetLimit(ctx, key, 1)
	var tooLarge *store.TooLargeError
	switch {
	case err == nil || errors.As(err, &tooLarge):
		log.Debug("target list unchanged", "key", key)
		return list, nil
	case !errors.Is(err, store.ErrNotFound):
		return TargetList{}, fmt.Errorf("look for the target list %s: %w", key, err)
	}
	if _, err := s.Put(ctx, key, body, store.Condition{}); err != nil {
		return TargetList{}, fmt.Errorf("write the target list %s: %w", key, err)
	}
	log.Info("target list written", "key", key, "targets", n, "bytes", len(body))
	return list, nil
}

// countProbed counts the targets that are not push targets.
func countProbed(targets []target.Target) int {
	n := 0
	for _, t := range targets {
		if t.Kind != target.KindPush {
			n++
		}
	}
	return n
}
