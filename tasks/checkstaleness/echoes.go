package checkstaleness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
)

// echoReaders bounds the concurrent reads of echo objects.
const echoReaders = 16

// listEchoes lists the echo objects (every page of echo/batch/) in key
// order: the objects directly under echo/batch/ whose names end in .json.
// The results in them are taken by their target field, whatever the name.
func listEchoes(ctx context.Context, s *store.Store) ([]store.Info, error) {
	infos, err := s.List(ctx, echo.Prefix)
	if err != nil {
		return nil, fmt.Errorf("list echoes: %w", err)
	}
	out := infos[:0]
	for _, info := range infos {
		rest := strings.TrimPrefix(info.Key, echo.Prefix)
		if strings.HasSuffix(rest, ".json") && !strings.Contains(rest, "/") {
			out = append(out, info)
		}
	}
	return out, nil
}

// readEcho is an echo object as read: its ETag and its results; none
// when the object vanished or could not be decoded.
type readEcho struct {
	etag    string
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
	return r.decodeBatch(key, obj), nil
}

// get returns the cached echo at key.
func (r *echoReader) get(key string) (readEcho, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[key]
	return e, ok
}

// decodeBatch decodes an echo object (echo.Decode). An object that is
// not a list of results is logged and remembered by its ETag, so it is not
// read again until rewritten; a broken object is not a reason to stop
// checking the others.
func (r *echoReader) decodeBatch(key string, obj store.Object) readEcho {
	results, ignored, err := echo.Decode(obj.Body)
	if err != nil {
		r.log.Warn("ignoring a batch echo that is not a list of probe results", "key", key, "error", err.Error())
		return readEcho{etag: obj.ETag}
	}
	if ignored > 0 {
		r.log.Warn("ignoring entries of a batch echo that are not probe results", "key", key, "ignored", ignored)
	}
	return readEcho{etag: obj.ETag, results: results}
}
