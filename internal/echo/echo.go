// Package echo is the layout of medic's echo objects, the probe results
// WriteEcho stores and CheckStaleness, the CLI and the status page read:
// one object per batch, echo/batch/<first>--<last>.json, a JSON array of
// probe.Result. The run's targets are sorted by name before they are cut
// into batches, so an object's key says which names it holds, and a
// target's latest result is a listing and one GET away (Latest).
package echo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
)

// Prefix holds the echo objects.
const Prefix = store.PrefixEcho + "batch/"

// Key is the object of a batch whose results run from target first to
// target last (by name).
func Key(first, last string) string { return Prefix + first + "--" + last + ".json" }

// Ranges returns the name ranges [first, last] a key may stand for. A
// target name may itself contain "--", so a key can be read more than one
// way; each reading with first <= last is returned. None: not an echo key.
func Ranges(key string) [][2]string {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok {
		return nil
	}
	rest, ok = strings.CutSuffix(rest, ".json")
	if !ok || strings.Contains(rest, "/") {
		return nil
	}
	var out [][2]string
	for i := 0; ; {
		j := strings.Index(rest[i:], "--")
		if j < 0 {
			break
		}
		first, last := rest[:i+j], rest[i+j+2:]
		if first != "" && last != "" && first <= last {
			out = append(out, [2]string{first, last})
		}
		i += j + 1
	}
	return out
}

// Holds reports whether the object at key may hold target name's result.
func Holds(key, name string) bool {
	for _, r := range Ranges(key) {
		if r[0] <= name && name <= r[1] {
			return true
		}
	}
	return false
}

// Decode reads an echo object: a JSON array of results. Entries without a
// target or a check time, and skipped ones, are left out and counted.
func Decode(body []byte) (results []probe.Result, ignored int, err error) {
	var all []probe.Result
	if err := json.Unmarshal(body, &all); err != nil {
		return nil, 0, fmt.Errorf("not a list of probe results: %w", err)
	}
	results = make([]probe.Result, 0, len(all))
	for _, res := range all {
		if res.Target == "" || res.CheckedAt.IsZero() || res.Skipped != "" {
			continue
		}
		results = append(results, res)
	}
	return results, len(all) - len(results), nil
}

// Latest finds target name's latest result: it lists Prefix (one request
// per 1,000 objects) and reads the objects whose names cover name, newest
// (LastModified) first, until one holds a result for name: usually one
// GET. Objects left over from an earlier batching (before targets were
// added or removed) may cover the name too; they lose by age. key is the
// object it came from; ok is false when no object holds a result for name.
func Latest(ctx context.Context, s *store.Store, name string) (res probe.Result, key string, ok bool, err error) {
	infos, err := s.List(ctx, Prefix)
	if err != nil {
		return probe.Result{}, "", false, fmt.Errorf("list %s: %w", Prefix, err)
	}
	var cands []store.Info
	for _, info := range infos {
		if Holds(info.Key, name) {
			cands = append(cands, info)
		}
	}
	slices.SortFunc(cands, func(a, b store.Info) int { return b.LastModified.Compare(a.LastModified) })
	for _, info := range cands {
		obj, err := s.Get(ctx, info.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue // expired since the listing
		}
		if err != nil {
			return probe.Result{}, "", false, err
		}
		results, _, err := Decode(obj.Body)
		if err != nil {
			continue
		}
		for _, r := range results {
			if r.Target == name && (!ok || r.CheckedAt.After(res.CheckedAt)) {
				res, key, ok = r, info.Key, true
			}
		}
		if ok {
			// The newest object that holds the target: an older one
			// (written before it, by S3's clock) cannot be newer.
			return res, key, true, nil
		}
	}
	return probe.Result{}, "", false, nil
}
