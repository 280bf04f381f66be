package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// A run probes its batches in Express child executions, whose events are
// not in the run's history: the targets' results are in the echo objects
// (echo/batch/<first>--<last>.json, package echo, each a JSON array of
// probe.Result naming the run that produced it). When the CLI can reach
// the run's bucket, it reads them from there.

// batchEchoReaders bounds the batch echo objects read at once.
const batchEchoReaders = 8

// echoClockSkew is how much earlier than the run's start a batch echo
// object of the run may be stamped (the store's clock against the
// engine's); S3 refuses requests signed further off than this.
const echoClockSkew = 15 * time.Minute

// batchEchoURL is where a bucket's batch echo objects are.
func batchEchoURL(bucket string) string {
	return "s3://" + bucket + "/" + echo.Prefix
}

// addRunResults fills in a run's targets and their results
// from the run's bucket, when the history lacks them and c can reach the
// bucket (locally, or with --aws, or with --endpoint and --s3-endpoint).
// A bucket the local store holds that cannot be read is an error; one in
// AWS or behind an endpoint is a warning on stderr (the caller's
// credentials may not reach it), and the report keeps saying where the
// results are.
func addRunResults(ctx context.Context, c *conn, r *report, stderr io.Writer) error {
	if !r.resultsMissing() || c.runStore == nil {
		return nil
	}
	bucket := r.targetList.Bucket
	st, err := c.runStore(ctx, bucket)
	if err == nil && st != nil {
		err = addBatchEchoes(ctx, st, r)
	}
	if err != nil {
		if c.env != nil {
			return err
		}
		fmt.Fprintf(stderr, "medic: cannot read this run's per-target results from s3://%s: %v\n", bucket, err)
	}
	return nil
}

// addBatchEchoes fills in a run's targets and their results from st, the
// run's bucket: the targets (in order) from the run's target list, their
// results from the echo objects that may hold them. ResultsIn stays set
// when a target of the run has no result there (its batch failed, or a
// later run replaced the object).
func addBatchEchoes(ctx context.Context, st *store.Store, r *report) error {
	targets, listed, err := readTargetList(ctx, st, r.targetList.Key)
	if err != nil {
		return err
	}
	results, err := readBatchEchoes(ctx, st, r.Execution, r.StartDate, names(targets, listed))
	if err != nil {
		return err
	}

	index := make(map[string]int, len(r.Targets))
	for i, t := range r.Targets {
		index[t.Name] = i
	}
	add := func(name string) *targetReport {
		i, ok := index[name]
		if !ok {
			i = len(r.Targets)
			index[name] = i
			r.Targets = append(r.Targets, targetReport{Name: name})
		}
		return &r.Targets[i]
	}
	complete := listed
	for _, t := range targets {
		tr := add(t.Name)
		tr.Group = t.Group
		res, ok := results[t.Name]
		switch {
		case ok:
			tr.setResult(res)
		case t.Kind == target.KindPush:
			// Push targets are not probed, and WriteEcho leaves them out.
			tr.Skipped = probe.SkippedPush
		default:
			complete = false
		}
	}
	// Results for targets the list does not name (it has expired).
	var rest []string
	for name := range results {
		if _, ok := index[name]; !ok {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		add(name).setResult(results[name])
	}
	if complete {
		r.ResultsIn = ""
	} else if len(results) == 0 {
		// The bucket was read and holds none of this run's results: a
		// later run has rewritten its echo objects.
		r.replaced = true
	}
	return nil
}

// readTargetList reads a run's target list. listed is false
// when the list is gone (the bucket expires runs/ after a day).
func readTargetList(ctx context.Context, st *store.Store, key string) (targets []target.Target, listed bool, err error) {
	if _, err := st.GetJSON(ctx, key, &targets); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read the run's target list: %w", err)
	}
	return targets, true, nil
}

// names returns the sorted names of a run's targets, or nil when the list
// is gone (then every object may hold the run's results).
func names(targets []target.Target, listed bool) []string {
	if !listed {
		return nil
	}
	out := make([]string, len(targets))
	for i, t := range targets {
		out[i] = t.Name
	}
	slices.Sort(out)
	return out
}

// holdsAny reports whether the object at key may hold a result for one of
// names (sorted): its name range covers one of them (package echo).
func holdsAny(key string, names []string) bool {
	for _, r := range echo.Ranges(key) {
		i, _ := slices.BinarySearch(names, r[0])
		if i < len(names) && names[i] <= r[1] {
			return true
		}
	}
	return false
}

// readBatchEchoes reads the echo objects and returns the results that run
// produced, the newest (by checkedAt) per target. Objects stamped well
// before start cannot hold the run's results and are not read, nor are
// objects whose name range covers none of the run's targets (only, when
// only names the run's targets, sorted; nil reads them all): a targeted
// run of one target reads one object. An object that is not a JSON array
// of results is not one WriteEcho wrote and is passed over.
func readBatchEchoes(ctx context.Context, st *store.Store, run string, start time.Time, only []string) (map[string]probe.Result, error) {
	infos, err := st.List(ctx, echo.Prefix)
	if err != nil {
		return nil, fmt.Errorf("list the batch echoes: %w", err)
	}
	var keys []string
	for _, info := range infos {
		if !strings.HasSuffix(info.Key, ".json") {
			continue
		}
		if !start.IsZero() && info.LastModified.Before(start.Add(-echoClockSkew)) {
			continue
		}
		if only != nil && !holdsAny(info.Key, only) {
			continue
		}
		keys = append(keys, info.Key)
	}

	var (
		mu    sync.Mutex
		found = map[string]probe.Result{}
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, batchEchoReaders)
	)
	for _, key := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results, err := readBatchEcho(ctx, st, key)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			for _, res := range results {
				if res.Run != run || res.Target == "" {
					continue
				}
				if old, ok := found[res.Target]; !ok || res.CheckedAt.After(old.CheckedAt) {
					found[res.Target] = res
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return found, nil
}

// readBatchEcho reads one batch echo object. An object deleted since the
// listing, or one that does not decode as results, holds none.
func readBatchEcho(ctx context.Context, st *store.Store, key string) ([]probe.Result, error) {
	obj, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the batch echo: %w", err)
	}
	var results []probe.Result
	if json.Unmarshal(obj.Body, &results) != nil {
		return nil, nil
	}
	return results, nil
}
