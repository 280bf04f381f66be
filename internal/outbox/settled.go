package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// PrefixSettled holds a record of every alert that every channel took or
// refused. The record is also the alert's tombstone: Create will not raise
// an alert again once it has settled or been dropped.
const PrefixSettled = store.PrefixState + "settled/"

// SettledKey is the record of a settled alert: state/settled/<id>.json.
func SettledKey(id string) string { return PrefixSettled + id + ".json" }

// Settled is the record kept for an alert that left the outbox delivered.
type Settled struct {
	Alert     Alert     `json:"alert"`
	SettledAt time.Time `json:"settledAt"`
}

// Settle records a (every delivery delivered or rejected) under
// state/settled/ and then deletes it from the outbox. The record is written
// first, so that a Create racing with Settle always sees one or the other.
func Settle(ctx context.Context, s *store.Store, a Alert, now time.Time) error {
	_, err := s.PutJSON(ctx, SettledKey(a.ID), Settled{Alert: a, SettledAt: now}, store.Condition{})
	if err != nil {
		return fmt.Errorf("settle alert %s: %w", a.ID, err)
	}
	if err := Delete(ctx, s, a.ID); err != nil {
		return fmt.Errorf("settle alert %s: %w", a.ID, err)
	}
	return nil
}

// retired reports whether alert id has settled or been dropped.
func retired(ctx context.Context, s *store.Store, id string) (bool, error) {
	for _, key := range []string{SettledKey(id), DroppedKey(id)} {
		_, err := s.Get(ctx, key)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, fmt.Errorf("check whether alert %s was already handled: %w", id, err)
		}
	}
	return false, nil
}
