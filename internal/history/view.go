package history

import "time"

// Windows are the spans uptime is given for.
var Windows = []struct {
	Name string
	Span time.Duration
}{
	{"24h", 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
	{"90d", 90 * 24 * time.Hour},
}

// Ratio is checks passed over checks made; with no checks it is no figure
// at all (a gap), never 100%.
type Ratio struct {
	Checks   int `json:"checks"`
	Failures int `json:"failures"`
}

// Percent is the share of checks that passed, and false when there were
// none.
func (r Ratio) Percent() (float64, bool) {
	if r.Checks == 0 {
		return 0, false
	}
	return 100 * float64(r.Checks-r.Failures) / float64(r.Checks), true
}

// UptimeOver returns the target's checks over the span ending at now: the
// last 24 hourly buckets for 24 hours, whole UTC days (today's so far
// included) for longer spans.
func (s *Series) UptimeOver(span time.Duration, now time.Time) Ratio {
	if s == nil {
		return Ratio{}
	}
	var c, f int
	if span <= 48*time.Hour {
		last := hourOf(now)
		c, f = s.Hours.sum(last-int64(span/time.Hour)+1, last)
	} else {
		last := dayOf(now)
		c, f = s.Days.sum(last-int64(span/(24*time.Hour))+1, last)
	}
	return Ratio{Checks: c, Failures: f}
}

// DaysUpTo returns the target's counts for each of the n UTC days ending on
// now's, oldest first.
func (s *Series) DaysUpTo(now time.Time, n int) []Ratio {
	out := make([]Ratio, n)
	if s == nil {
		return out
	}
	last := dayOf(now)
	for i := range out {
		c, f := s.Days.at(last - int64(n-1-i))
		out[i] = Ratio{Checks: c, Failures: f}
	}
	return out
}
