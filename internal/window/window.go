// Package window decides whether a maintenance window is open: one-off
// windows (a start and an end) and recurring ones (a cron rule, a duration
// and an IANA time zone). It does no I/O; the time zone database is
// embedded (time/tzdata), so zones resolve on Lambda too.
package window

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones without a system database (Lambda's provided.al2023 has none)
)

// MaxDuration bounds a recurring window's duration: a weekly window at most.
const MaxDuration = 7 * 24 * time.Hour

// Spec is a window as written in the targets file; nil means not written.
type Spec struct {
	Start    *string `yaml:"start"`
	End      *string `yaml:"end"`
	Cron     *string `yaml:"cron"`
	Duration *string `yaml:"duration"`
	TimeZone *string `yaml:"timeZone"`
}

// FieldError is a mistake in one key of a Spec.
type FieldError struct {
	Field string // the key, as written: "cron", "timeZone"
	Msg   string
}

// Window is one maintenance window: one-off (Start, End) or recurring
// (Cron, Duration, TimeZone). The zero value is never open.
type Window struct {
	Start    time.Time
	End      time.Time
	Cron     string
	Duration time.Duration
	// TimeZone is an IANA zone name ("Europe/Berlin"); empty means UTC.
	// A recurring rule's times are wall-clock times in it; a one-off
	// window's start and end, when written without an offset, too.
	TimeZone string

	rule *Rule
}

// Occurrence is one opening of a window.
type Occurrence struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// localLayouts are the forms a one-off start or end may take without an
// offset (then in the window's time zone).
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// FromSpec checks s and returns the window it writes, or the mistakes,
// each naming its key.
func FromSpec(s Spec) (Window, []FieldError) {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	var w Window
	loc := time.UTC
	if s.TimeZone != nil {
		w.TimeZone = *s.TimeZone
		l, err := location(w.TimeZone)
		if err != nil {
			bad("timeZone", "unknown time zone %q: use an IANA name like \"Europe/Berlin\" or \"UTC\"", w.TimeZone)
		} else {
			loc = l
		}
	}
	oneOff := s.Start != nil || s.End != nil
	recurring := s.Cron != nil || s.Duration != nil
	switch {
	case oneOff && recurring:
		bad(firstSet(s), "give either start and end (a one-off window) or cron and duration (a recurring one), not both")
		return w, errs
	case !oneOff && !recurring:
		bad("start", "a window needs start and end (a one-off window) or cron and duration (a recurring one)")
		return w, errs
	}
	if oneOff {
		parse := func(field string, v *string) time.Time {
			if v == nil {
				bad(field, "%s is required with %s (a time like \"2026-12-05T02:00:00Z\")", field, other(field))
				return time.Time{}
			}
			t, err := parseTime(*v, loc)
			if err != nil {
				bad(field, "%v", err)
			}
			return t
		}
		w.Start, w.End = parse("start", s.Start), parse("end", s.End)
		if !w.Start.IsZero() && !w.End.IsZero() && !w.End.After(w.Start) {
			bad("end", "end %s must be after start %s", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
		}
		return w, errs
	}
	if s.Cron == nil {
		bad("cron", "cron is required with duration: when the window opens, like \"0 2 * * SUN\"")
	} else {
		r, err := ParseRule(*s.Cron)
		if err != nil {
			bad("cron", "%v", err)
		} else {
			w.Cron, w.rule = r.String(), &r
		}
	}
	if s.Duration == nil {
		bad("duration", "duration is required with cron: how long the window stays open, like \"2h\"")
	} else {
		d, err := time.ParseDuration(*s.Duration)
		switch {
		case err != nil:
			bad("duration", "invalid duration %q (use a form like \"30m\", \"2h\")", *s.Duration)
		case d <= 0 || d > MaxDuration:
			bad("duration", "duration %s must be more than 0 and at most %s", d, MaxDuration)
		default:
			w.Duration = d
		}
	}
	return w, errs
}

func firstSet(s Spec) string {
	if s.Start != nil {
		return "start"
	}
	return "end"
}

func other(field string) string {
	if field == "start" {
		return "end"
	}
	return "start"
}

// parseTime reads RFC 3339, or a local time in loc.
func parseTime(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (\"2026-12-05T02:00:00Z\") or \"2026-12-05 02:00\" in the window's timeZone", v)
}

var zones sync.Map // name → *time.Location

// location loads an IANA zone once.
func location(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if strings.ContainsAny(name, "\\") || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// OpenAt returns the occurrence of w open at now: start <= now < end.
func (w Window) OpenAt(now time.Time) (Occurrence, bool) {
	if w.Cron == "" {
		if w.Start.IsZero() || now.Before(w.Start) || !now.Before(w.End) {
			return Occurrence{}, false
		}
		return Occurrence{w.Start, w.End}, true
	}
	start, ok := w.lastStart(now)
	if !ok || !now.Before(start.Add(w.Duration)) {
		return Occurrence{}, false
	}
	return Occurrence{start, start.Add(w.Duration)}, true
}

// lastStart is the latest time at or before now at which the rule opens
// the window, looking back no further than the duration: an earlier start
// would have closed by now.
func (w Window) lastStart(now time.Time) (time.Time, bool) {
	r := w.rule
	if r == nil {
		parsed, err := ParseRule(w.Cron)
		if err != nil {
			return time.Time{}, false
		}
		r = &parsed
	}
	loc, err := location(w.TimeZone)
	if err != nil {
		return time.Time{}, false
	}
	local := now.In(loc)
	y, m, d := local.Date()
	days := int(w.Duration/(24*time.Hour)) + 2
	hours, minutes := r.hours(), r.minutes()
	for k := 0; k < days; k++ {
		noon := time.Date(y, m, d-k, 12, 0, 0, 0, loc)
		if !r.matchesDay(int(noon.Month()), noon.Day(), int(noon.Weekday())) {
			continue
		}
		var best time.Time
		for _, h := range hours {
			if wallTime(noon, h, minutes[len(minutes)-1], loc).After(now) {
				continue // the hour's earliest start is still to come
			}
			for _, mi := range minutes {
				t := wallTime(noon, h, mi, loc)
				if !t.After(now) && t.After(best) {
					best = t
				}
			}
			if !best.IsZero() {
				break // lower hours start earlier (but for a skipped hour, compared above)
			}
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}

// wallTime is the moment day's clock in loc shows h:mi. A time the clock
// skips (spring forward) is the moment it would have been before the
// change (02:30 on a skipped hour is 03:30 after it); a time the clock
// shows twice (fall back) is the first of the two.
func wallTime(day time.Time, h, mi int, loc *time.Location) time.Time {
	t := time.Date(day.Year(), day.Month(), day.Day(), h, mi, 0, 0, loc)
	for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
		if e := t.Add(-back).In(loc); e.Day() == day.Day() && e.Hour() == h && e.Minute() == mi {
			return e
		}
	}
	return t
}

// OpenAt returns the open occurrence of ws at now, the one that ends last
// when several are open; false when none is.
func OpenAt(ws []Window, now time.Time) (Occurrence, bool) {
	var out Occurrence
	found := false
	for _, w := range ws {
		if o, ok := w.OpenAt(now); ok && (!found || o.End.After(out.End)) {
			out, found = o, true
		}
	}
	return out, found
}

// wire is a Window in JSON, as it travels in the state machine's payloads.
type wire struct {
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	Cron     string    `json:"cron,omitempty"`
	Duration string    `json:"duration,omitempty"`
	TimeZone string    `json:"timeZone,omitempty"`
}

// MarshalJSON writes w with its duration as a string ("2h0m0s").
func (w Window) MarshalJSON() ([]byte, error) {
	v := wire{Start: w.Start, End: w.End, Cron: w.Cron, TimeZone: w.TimeZone}
	if w.Cron != "" {
		v.Duration = w.Duration.String()
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a window MarshalJSON wrote, checking it again.
func (w *Window) UnmarshalJSON(b []byte) error {
	var v wire
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s := Spec{}
	if v.TimeZone != "" {
		s.TimeZone = &v.TimeZone
	}
	if v.Cron != "" || v.Duration != "" {
		s.Cron, s.Duration = &v.Cron, &v.Duration
	} else {
		start, end := v.Start.Format(time.RFC3339Nano), v.End.Format(time.RFC3339Nano)
		s.Start, s.End = &start, &end
	}
	got, errs := FromSpec(s)
	if len(errs) > 0 {
		return fmt.Errorf("maintenance window: %s: %s", errs[0].Field, errs[0].Msg)
	}
	*w = got
	return nil
}
