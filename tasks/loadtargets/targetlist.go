package loadtargets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// Modes (MEDIC_MODE).
const (
	// ModeInline passes the batches in the output (healthcheck.asl.json).
	ModeInline = "inline"
	// ModeScale writes the targets to S3 for a Distributed Map
	// (healthcheck-scale.asl.json).
	ModeScale = "scale"
)

// PrefixRuns holds the scale mode's target lists; the bucket expires them
// after a day.
const PrefixRuns = "runs/"

// TargetListKey is where a target list with this JSON encoding is stored:
// runs/targets-<sha256 of the encoding>.json. The same targets give the
// same key, so an unchanged list is written once, not once per run.
func TargetListKey(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return PrefixRuns + "targets-" + hex.EncodeToString(sum[:]) + ".json"
}

// writeTargetList stores targets as one JSON array under its
// content-addressed key. It reads first (a GET costs a tenth of a PUT) and
// writes only when the object is absent. Two runs that race to write the
// same list write the same bytes, so the write needs no condition.
func writeTargetList(ctx context.Context, s *store.Store, targets []target.Target, log *slog.Logger) (TargetList, error) {
	if targets == nil {
		targets = []target.Target{}
	}
	body, err := json.Marshal(targets)
	if err != nil {
		return TargetList{}, fmt.Errorf("encode the target list: %w", err)
	}
	key := TargetListKey(body)
	list := TargetList{Bucket: s.Bucket(), Key: key}
	_, err = s.Get(ctx, key)
	switch {
	case err == nil:
		log.Debug("target list unchanged", "key", key)
		return list, nil
	case !errors.Is(err, store.ErrNotFound):
		return TargetList{}, fmt.Errorf("look for the target list %s: %w", key, err)
	}
	if _, err := s.Put(ctx, key, body, store.Condition{}); err != nil {
		return TargetList{}, fmt.Errorf("write the target list %s: %w", key, err)
	}
	log.Info("target list written", "key", key, "targets", len(targets), "bytes", len(body))
	return list, nil
}
