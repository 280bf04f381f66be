package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// Entry is an alert as read from the bucket, with the ETag that a
// conditional update must match.
type Entry struct {
	Alert Alert
	ETag  string
}

// ErrCorrupt marks outbox objects that could not be decoded. List returns
// the readable entries alongside an error wrapping it.
var ErrCorrupt = errors.New("unreadable outbox object")

// maxUpdateAttempts bounds re-read-and-retry on conditional write conflicts.
const maxUpdateAttempts = 10

// Create writes a new alert. If an alert with the same ID already exists it
// returns created=false and no error: someone else raised the same alert.
// If the alert was already settled or dropped (a retried run deciding a
// change that an overlapping run raised and Notify delivered in between),
// the new copy is removed again and created is false, so it is not sent twice.
func Create(ctx context.Context, s *store.Store, a Alert) (created bool, err error) {
	if a.ID == "" {
		return false, fmt.Errorf("create alert: empty id")
	}
	if err := createOnce(ctx, s, a); err != nil {
		if errors.Is(err, store.ErrPreconditionFailed) {
			return false, nil
		}
		return false, fmt.Errorf("create alert %s: %w", a.ID, err)
	}
	// Checked after the write: Settle and Drop write their record before
	// deleting the alert, so if our write found the key free, any record
	// of an earlier copy is already visible here.
	done, err := retired(ctx, s, a.ID)
	if err != nil {
		return true, err
	}
	if done {
		if err := Delete(ctx, s, a.ID); err != nil {
			return false, fmt.Errorf("create alert %s: remove copy of an alert already handled: %w", a.ID, err)
		}
		return false, nil
	}
	return true, nil
}

// Get reads one alert; an absent one is an error wrapping store.ErrNotFound.
func Get(ctx context.Context, s *store.Store, id string) (Entry, error) {
	var a Alert
	etag, err := s.GetJSON(ctx, Key(id), &a)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Alert: a, ETag: etag}, nil
}

// List reads every alert under outbox/ (following pagination), oldest first
// (by At, then ID). Alerts deleted while listing are skipped. Objects that
// cannot be decoded are left out and reported in an error wrapping
// ErrCorrupt; the readable entries are returned with it.
func List(ctx context.Context, s *store.Store) ([]Entry, error) {
	infos, err := s.List(ctx, store.PrefixOutbox)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	var entries []Entry
	var corrupt []string
	for _, info := range infos {
		if !strings.HasSuffix(info.Key, ".json") {
			continue
		}
		obj, err := s.Get(ctx, info.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue // delivered and deleted since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		var a Alert
		if err := json.Unmarshal(obj.Body, &a); err != nil || a.ID == "" || Key(a.ID) != info.Key {
			corrupt = append(corrupt, info.Key)
			continue
		}
		entries = append(entries, Entry{Alert: a, ETag: obj.ETag})
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].Alert, entries[j].Alert
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ID < b.ID
	})
	if len(corrupt) > 0 {
		return entries, fmt.Errorf("%w: %s (each must be an alert whose id matches its key)", ErrCorrupt, strings.Join(corrupt, ", "))
	}
	return entries, nil
}

// ErrNoChange is returned by an Update change function to leave the alert
// as it is; Update then returns the current entry and no error.
var ErrNoChange = errors.New("no change")

// Update reads the alert, applies change and writes it back with If-Match.
// On a conflict it re-reads and applies change again to the new version.
// An absent alert is an error wrapping store.ErrNotFound.
func Update(ctx context.Context, s *store.Store, id string, change func(*Alert) error) (Entry, error) {
	for range maxUpdateAttempts {
		e, err := Get(ctx, s, id)
		if err != nil {
			return Entry{}, fmt.Errorf("update alert %s: %w", id, err)
		}
		if err := change(&e.Alert); err != nil {
			if errors.Is(err, ErrNoChange) {
				return e, nil
			}
			return e, err
		}
		etag, err := s.PutJSON(ctx, Key(id), e.Alert, store.Condition{IfMatch: e.ETag})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Entry{}, fmt.Errorf("update alert %s: %w", id, err)
		}
		return Entry{Alert: e.Alert, ETag: etag}, nil
	}
	return Entry{}, fmt.Errorf("update alert %s: still conflicting after %d attempts: %w", id, maxUpdateAttempts, store.ErrConflict)
}

// Delete removes the alert.
func Delete(ctx context.Context, s *store.Store, id string) error {
	if err := s.Delete(ctx, Key(id)); err != nil {
		return fmt.Errorf("delete alert %s: %w", id, err)
	}
	return nil
}

// createOnce writes a with If-None-Match. A 409 (another write to the key in
// progress) says nothing about whether the alert exists, so it is retried
// until S3 answers 200 (created) or 412 (exists).
func createOnce(ctx context.Context, s *store.Store, a Alert) error {
	var err error
	for attempt := range maxUpdateAttempts {
		_, err = s.PutJSON(ctx, Key(a.ID), a, store.Condition{IfNoneMatch: true})
		if !errors.Is(err, store.ErrConcurrentWrite) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return err
}
