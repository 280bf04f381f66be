// Package hold keeps what people asked medic to hold back: paused targets
// (not probed, no alert) and acknowledged ones (no reminders until they
// recover). Both live in one bucket object, state/holds.json, which the
// CLI changes with conditional writes (If-Match, or If-None-Match when it
// does not exist yet), so two changes made at once never lose each other;
// the tasks only read it.
package hold

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// Key is the object that holds the pauses and acknowledgements.
const Key = "state/holds.json"

// MaxNoteBytes bounds a pause's or an acknowledgement's note.
const MaxNoteBytes = 500

// Pause is a paused target: it is not probed and raises no alert until it
// is resumed, or until Until when that is set.
type Pause struct {
	At time.Time `json:"at"`
	// Until, when set, ends the pause by itself.
	Until time.Time `json:"until,omitzero"`
	By    string    `json:"by"`
	Note  string    `json:"note,omitempty"`
}

// ActiveAt says whether the pause holds at now.
func (p Pause) ActiveAt(now time.Time) bool { return p.Until.IsZero() || now.Before(p.Until) }

// Ack is an acknowledgement of a DOWN or STALE target: no reminders until
// it recovers, and the recovery alert says who acknowledged it and when.
type Ack struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Note string    `json:"note,omitempty"`
}

// File is the content of state/holds.json.
type File struct {
	Paused    map[string]Pause `json:"paused,omitempty"`
	Acks      map[string]Ack   `json:"acks,omitempty"`
	UpdatedAt time.Time        `json:"updatedAt,omitzero"`
}

// PauseOf returns name's pause if it holds at now.
func (f File) PauseOf(name string, now time.Time) (Pause, bool) {
	p, ok := f.Paused[name]
	if !ok || !p.ActiveAt(now) {
		return Pause{}, false
	}
	return p, true
}

// Parse reads a holds file.
func Parse(data []byte) (File, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return File{}, fmt.Errorf("parse %s: %w", Key, err)
	}
	return f, nil
}

// Read reads state/holds.json and its ETag; an absent object is an empty
// file and an empty ETag.
func Read(ctx context.Context, s *store.Store) (File, string, error) {
	obj, err := s.Get(ctx, Key)
	if errors.Is(err, store.ErrNotFound) {
		return File{}, "", nil
	}
	if err != nil {
		return File{}, "", fmt.Errorf("read %s: %w", Key, err)
	}
	f, err := Parse(obj.Body)
	if err != nil {
		return File{}, "", err
	}
	return f, obj.ETag, nil
}

// MaxAttempts bounds the read-change-write rounds of Update when other
// writers keep saving first.
const MaxAttempts = 8

// Update reads state/holds.json, lets change change it, and writes it back
// on the condition that nobody wrote it in between (If-Match the ETag read,
// If-None-Match when there was none). On a conflict it reads again and
// calls change again on what the other writer saved, so neither change is
// lost. Pauses that have ended are dropped on the way. change returning an
// error stops the update without writing.
func Update(ctx context.Context, s *store.Store, now time.Time, change func(*File) error) (File, error) {
	for attempt := 1; ; attempt++ {
		f, etag, err := Read(ctx, s)
		if err != nil {
			return File{}, err
		}
		if f.Paused == nil {
			f.Paused = map[string]Pause{}
		}
		if f.Acks == nil {
			f.Acks = map[string]Ack{}
		}
		if err := change(&f); err != nil {
			return File{}, err
		}
		for name, p := range f.Paused {
			if !p.ActiveAt(now) {
				delete(f.Paused, name)
			}
		}
		f.UpdatedAt = now
		_, err = s.PutJSON(ctx, Key, f, store.Condition{IfMatch: etag, IfNoneMatch: etag == ""})
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == MaxAttempts {
			return File{}, fmt.Errorf("write %s (attempt %d of %d): %w", Key, attempt, MaxAttempts, err)
		}
		base := 10 * time.Millisecond << min(attempt-1, 4)
		t := time.NewTimer(base/2 + rand.N(base))
		select {
		case <-ctx.Done():
			t.Stop()
			return File{}, ctx.Err()
		case <-t.C:
		}
	}
}
