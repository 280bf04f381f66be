package status

import (
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/target"
)

// Restate returns a new DOWN or STALE alert that tells st's current status
// as if it had just been entered (its Since, its last failures), and
// records it in st (Seq, LastAlertAt, LastAlertID). It is for a status that
// was not told when it began (its alert was folded into a dependency's,
// package fold). It returns false when st is neither DOWN nor STALE or t
// has no channels.
func Restate(st *TargetState, t target.Target, now time.Time, raiser string) (outbox.Alert, bool) {
	var kind, text string
	switch st.Status {
	case Down:
		kind, text = outbox.KindDown, downText(*st, false, now)
	case Stale:
		kind, text = outbox.KindStale, staleText(*st, t, false, now)
	default:
		return outbox.Alert{}, false
	}
	if len(t.Channels) == 0 {
		return outbox.Alert{}, false
	}
	st.Seq++
	return newAlert(st, t, kind, text, now, raiser)
}
