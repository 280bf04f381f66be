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

// listEchoes lists echo/ (every page) and maps a target name to its echo
// object: "echo/web.json" is "web".
func listEchoes(ctx context.Context, s *store.Store) (map[string]store.Info, error) {
	infos, err := s.List(ctx, store.PrefixEcho)
	if err != nil {
		return nil, fmt.Errorf("list echoes: %w", err)
	}
	echoes := make(map[string]store.Info, len(infos))
	for _, info := range infos {
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, store.PrefixEcho), ".json")
		if !ok || name == "" || strings.Contains(name, "/") {
			continue
		}
		echoes[name] = info
	}
	return echoes, nil
}

// readEcho is an echo object as read: its ETag and its result, nil when
// the object vanished or could not be decoded.
type readEcho struct {
	etag   string
	result *probe.Result
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
