package checkstaleness

import (
	"time"

	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/target"
)

// echoClockMargin absorbs the difference between the clock that stamps a
// result's CheckedAt (the Probe function's) and the one that stamps an
// object's LastModified (S3's, to the second), when an object is judged
// too old to hold anything new.
const echoClockMargin = time.Minute

// batchResult is a target's newest result among the batch objects read,
// with the ETag of the object it came from.
type batchResult struct {
	result *probe.Result
	etag   string
}

// batchesToRead picks the echo objects (echo/batch/) that may hold
// results not processed yet. One is skipped when
//   - its ETag is the one a target's state remembers (read already, not
//     rewritten since), or
//   - it was written more than echoClockMargin before the oldest last
//     processed result of the probed targets: every result in it is older
//     than what each target has already counted. This is how objects left
//     over from an old batching (the target list changed, so the batches'
//     first and last names did) stop being read, until the bucket's
//     lifecycle rule deletes them.
//
// Reading more than needed is harmless: status.Decide counts a result only
// when its CheckedAt is after the target's LastEchoAt.
func batchesToRead(prev status.File, set *target.Set, batches []store.Info) []store.Info {
	if len(batches) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var oldest time.Time
	for _, t := range set.Targets {
		st, ok := prev.Targets[t.Name]
		if !ok || !isProbed(t) {
			continue
		}
		if st.EchoETag != "" {
			seen[st.EchoETag] = true
		}
		if !st.LastEchoAt.IsZero() && (oldest.IsZero() || st.LastEchoAt.Before(oldest)) {
			oldest = st.LastEchoAt
		}
	}
	var infos []store.Info
	for _, info := range batches {
		if seen[info.ETag] || (!oldest.IsZero() && writtenBefore(info, oldest)) {
			continue
		}
		infos = append(infos, info)
	}
	return infos
}

// writtenBefore reports whether the object was written more than
// echoClockMargin before t, so any result in it was checked before t.
func writtenBefore(info store.Info, t time.Time) bool {
	return !info.LastModified.IsZero() && !t.IsZero() && info.LastModified.Add(echoClockMargin).Before(t)
}

// newestInBatches indexes the results of the batch objects read by
// target: the newest CheckedAt wins; on a tie the object listed first.
// Objects left over from an old batching lose by age.
func newestInBatches(batches []store.Info, r *echoReader) map[string]batchResult {
	newest := map[string]batchResult{}
	for _, info := range batches {
		e, ok := r.get(info.Key)
		if !ok {
			continue
		}
		for i := range e.results {
			res := &e.results[i]
			if cur, ok := newest[res.Target]; ok && !res.CheckedAt.After(cur.result.CheckedAt) {
				continue
			}
			newest[res.Target] = batchResult{result: res, etag: e.etag}
		}
	}
	return newest
}
