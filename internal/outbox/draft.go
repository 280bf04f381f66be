package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/medic-dev/medic/internal/store"
)

// A CheckStaleness run raises alerts in two steps around its conditional
// write of the state: it writes each alert as a draft, saves the state
// (which lists the drafts it decided, status.File.Raised), and then commits
// them. A run that loses the race to save the state withdraws its drafts, so
// only the alerts of a decision that was saved are ever sent, and an alert
// is never lost between the two writes: whoever next reads the saved state
// commits the drafts it lists.

// WriteDraft writes a as a draft. If a draft with its ID exists (an earlier
// round or attempt of the same run decided the same change), it is replaced
// by a; an alert already committed under that ID is left as it is.
func WriteDraft(ctx context.Context, s *store.Store, a Alert) error {
	if a.ID == "" {
		return fmt.Errorf("write draft alert: empty id")
	}
	a.Draft, a.Withdrawn = true, false
	err := createOnce(ctx, s, a)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrPreconditionFailed) {
		return fmt.Errorf("write draft alert %s: %w", a.ID, err)
	}
	_, err = Update(ctx, s, a.ID, func(cur *Alert) error {
		if !cur.Draft {
			return ErrNoChange
		}
		*cur = a
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // delivered and settled since: nothing to write
	}
	if err != nil {
		return fmt.Errorf("write draft alert %s: %w", a.ID, err)
	}
	return nil
}

// Commit makes draft id an alert Notify sends. Committing an alert that is
// committed already, or gone (delivered, dropped), does nothing.
func Commit(ctx context.Context, s *store.Store, id string) error {
	_, err := Update(ctx, s, id, func(a *Alert) error {
		if !a.Draft {
			return ErrNoChange
		}
		a.Draft, a.Withdrawn = false, false
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("commit alert %s: %w", id, err)
	}
	return nil
}

// Withdraw marks draft id as withdrawn: its run did not save the decision
// it came from. Notify deletes it unsent. A committed or absent alert is
// left alone.
func Withdraw(ctx context.Context, s *store.Store, id string) error {
	_, err := Update(ctx, s, id, func(a *Alert) error {
		if !a.Draft || a.Withdrawn {
			return ErrNoChange
		}
		a.Withdrawn = true
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("withdraw alert %s: %w", id, err)
	}
	return nil
}
