package checkstaleness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
)

// echoReaders bounds the concurrent reads of echo objects.
const echoReaders = 16

// prefixBatchEcho holds the scale mode's echo objects, one per batch
// (writeecho.PrefixBatchEcho).
const prefixBatchEcho = store.PrefixEcho + "batch/"

// listed is the echo/ listing: per-target echoes by target name, and the
// batch objects under echo/batch/ in key order.
type listed struct {
	targets map[string]store.Info
	batches []store.Info
}

// listEchoes lists echo/ (every page; echo/batch/ is part of the same
// listing) and maps a target name to its echo object: "echo/web.json" is
// "web". Objects under echo/batch/ ending in .json are batch objects.
func listEchoes(ctx context.Context, s *store.Store) (listed, error) {
	infos, err := s.List(ctx, store.PrefixEcho)
	if err != nil {
		return listed{}, fmt.Errorf("list echoes: %w", err)
	}
	l := listed{targets: make(map[string]store.Info, len(infos))}
	for _, info := range infos {
		if rest, ok := strings.CutPrefix(info.Key, prefixBatchEcho); ok {
			if strings.HasSuffix(rest, ".json") && !strings.Contains(rest, "/") {
				l.batches = append(l.batches, info)
			}
			continue
		}
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, store.PrefixEcho), ".json")
		if !ok || name == "" || strings.Contains(name, "/") {
			continue
		}
		l.targets[name] = info
	}
	return l, nil
}

// readEcho is an echo object as read: its ETag and its result (a
// per-target echo) or results (a batch object); none when the object
// vanished or could not be decoded.
type readEcho struct {
	etag    string
	result  *probe.Result
	results []probe.Result
}

// echoReader reads echo objects, each at most once per run, so a retry
// after a conflict does not read them again.
type echoReader struct {
	store *store.Store
	log   *slog.Logger
	mu    sync.Mutex
	cache map[string]readEcho // by key
}

// read reads the given echo objects that are not cached yet, concurrently.
func (r *echoReader) read(ctx context.Context, infos []store.Info) error {
	var todo []store.Info
	r.mu.Lock()
	for _, info := range infos {
		if _, ok := r.cache[info.Key]; !ok {
			todo = append(todo, info)
		}
	}
	r.mu.Unlock()

	errs := make([]error, len(todo))
	sem := make(chan struct{}, echoReaders)
	var wg sync.WaitGroup
	for i, info := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			e, err := r.readOne(ctx, info.Key)
			if err != nil {
				errs[i] = err
				return
			}
			r.mu.Lock()
			r.cache[info.Key] = e
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *echoReader) readOne(ctx context.Context, key string) (readEcho, error) {
	obj, err := r.store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return readEcho{}, nil // deleted since the listing
	}
	if err != nil {
		return readEcho{}, fmt.Errorf("read echo: %w", err)
	}
	if strings.HasPrefix(key, prefixBatchEcho) {
		return r.decodeBatch(key, obj), nil
	}
	var res probe.Result
	if err := json.Unmarshal(obj.Body, &res); err != nil || res.CheckedAt.IsZero() {
		// A broken echo is not a reason to stop checking the others; its
		// ETag is remembered so it is not read again until rewritten.
		r.log.Warn("ignoring an echo that is not a probe result", "key", key, "error", fmt.Sprint(err))
		return readEcho{etag: obj.ETag}, nil
	}
	return readEcho{etag: obj.ETag, result: &res}, nil
}

// get returns the cached echo at key.
func (r *echoReader) get(key string) (readEcho, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[key]
	return e, ok
}

// decodeBatch decodes a batch object: a JSON array of probe results.
// Entries without a target or a check time are left out; an object that
// is not such an array is logged and remembered by its ETag.
func (r *echoReader) decodeBatch(key string, obj store.Object) readEcho {
	var all []probe.Result
	if err := json.Unmarshal(obj.Body, &all); err != nil {
		r.log.Warn("ignoring a batch echo that is not a list of probe results", "key", key, "error", err.Error())
		return readEcho{etag: obj.ETag}
	}
	results := make([]probe.Result, 0, len(all))
	for _, res := range all {
		if res.Target == "" || res.CheckedAt.IsZero() || res.Skipped != "" {
			continue
		}
		results = append(results, res)
	}
	if len(results) < len(all) {
		r.log.Warn("ignoring entries of a batch echo that are not probe results", "key", key, "ignored", len(all)-len(results))
	}
	return readEcho{etag: obj.ETag, results: results}
}
