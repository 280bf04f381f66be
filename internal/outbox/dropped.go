package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// PrefixDropped holds a record of every alert dropped at its deadline.
const PrefixDropped = store.PrefixState + "dropped/"

// DroppedKey is the record of a dropped alert: state/dropped/<id>.json.
func DroppedKey(id string) string { return PrefixDropped + id + ".json" }

// Dropped is the record kept for an alert that missed its deadline.
type Dropped struct {
	Alert     Alert     `json:"alert"`
	DroppedAt time.Time `json:"droppedAt"`
	// Undelivered names the channels that never took the alert.
	Undelivered []string `json:"undelivered"`
}

// Drop re-reads alert id and, if it is still Expired at now, writes its
// record to state/dropped/<id>.json and deletes it from the outbox. It
// returns dropped=false when the alert is gone, no longer expired or being
// dropped by another run at the same moment.
func Drop(ctx context.Context, s *store.Store, id string, now time.Time) (rec Dropped, dropped bool, err error) {
	e, err := Get(ctx, s, id)
	if errors.Is(err, store.ErrNotFound) {
		return Dropped{}, false, nil
	}
	if err != nil {
		return Dropped{}, false, fmt.Errorf("drop alert %s: %w", id, err)
	}
	if !Expired(e.Alert, now) {
		return Dropped{}, false, nil
	}
	rec = Dropped{Alert: e.Alert, DroppedAt: now, Undelivered: Undelivered(e.Alert)}
	_, err = s.PutJSON(ctx, DroppedKey(id), rec, store.Condition{IfNoneMatch: true})
	first := err == nil // a conflict: another run is dropping it at the same time
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return Dropped{}, false, fmt.Errorf("drop alert %s: %w", id, err)
	}
	if err := Delete(ctx, s, id); err != nil {
		return Dropped{}, false, fmt.Errorf("drop alert %s: %w", id, err)
	}
	return rec, first, nil
}
