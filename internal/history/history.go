// Package history keeps every target's history in the bucket: its recent
// checks (status, latency, failure), hourly and daily counts for uptime over
// 24 hours to 90 days, daily latency percentiles, and an incident log.
//
// All targets share each object, so a run makes the same few requests
// whatever the number of targets (see docs/status.md, "History"):
//
//	history/recent.json          the last MaxRecent checks of every target
//	history/uptime.json          hourly (48 h) and daily (90 d) check counts
//	history/days/YYYY-MM-DD.json one UTC day's counts and latency histogram
//	history/incidents.json       open incidents and the closed ones of 90 days
//
// Every object is written with a conditional PUT (If-Match, If-None-Match
// when it is new) and an update is applied again after a conflict, so runs
// that overlap lose nothing; applying a run twice changes nothing, because a
// check is counted only when it is newer than the last one counted.
package history

import (
	"slices"
	"time"

	"github.com/medic-dev/medic/internal/clip"
	"github.com/medic-dev/medic/internal/status"
)

// Object keys, all under Prefix.
const (
	Prefix       = "history/"
	RecentKey    = "history/recent.json"
	UptimeKey    = "history/uptime.json"
	IncidentsKey = "history/incidents.json"
	DaysPrefix   = "history/days/"
)

// Bounds on what is kept.
const (
	// MaxRecent is how many of a target's latest checks are kept as points.
	MaxRecent = 48
	// Hours and Days are how many hourly and daily buckets are kept.
	Hours = 48
	Days  = 90
	// MaxFailureBytes cuts a point's or an incident's failure text.
	MaxFailureBytes = 200
	// MaxIncidents bounds the incident log (the newest are kept), and
	// MaxIncidentAlerts the alert IDs one incident lists.
	MaxIncidents      = 5000
	MaxIncidentAlerts = 10
)

// DayKey is the object of the UTC day of t.
func DayKey(t time.Time) string { return DaysPrefix + t.UTC().Format(time.DateOnly) + ".json" }

// Check is one check result counted by a run.
type Check struct {
	At        time.Time
	Up        bool
	LatencyMS float64
	// Failure is the first failed condition (empty when Up).
	Failure string
}

// Observation is what a run knows about one target once it has decided its
// status: the status saved and, when the run counted one, the new check.
type Observation struct {
	Target string
	// Push marks a push (heartbeat) target: it has no checks of its own,
	// so every run counts its status as a check (UP passes, DOWN and STALE
	// fail, UNKNOWN is not counted).
	Push  bool
	State status.TargetState
	Check *Check
}

// Point is one recent check.
type Point struct {
	At        time.Time
	Up        bool
	LatencyMS int64
	// Failure is the check's first failure; only the latest
	// MaxFailureTexts failures of a target keep theirs.
	Failure string
}

// Points are one target's recent checks in history/recent.json, oldest
// first, a column per field (so 10,000 targets' points stay a few MB):
// At in Unix seconds, MS the latency, Up one byte a check ('1' passed, '0'
// failed) and Fail the failure text ("" when passed or not kept).
type Points struct {
	At   []int64  `json:"at"`
	MS   []int64  `json:"ms"`
	Up   string   `json:"up"`
	Fail []string `json:"fail"`
}

// MaxFailureTexts is how many of a target's recent failures keep their text.
const MaxFailureTexts = 3

// List returns the points one by one.
func (p *Points) List() []Point {
	if p == nil {
		return nil
	}
	n := min(len(p.At), len(p.MS), len(p.Up), len(p.Fail))
	out := make([]Point, n)
	for i := range out {
		out[i] = Point{At: time.Unix(p.At[i], 0).UTC(), Up: p.Up[i] == '1', LatencyMS: p.MS[i], Failure: p.Fail[i]}
	}
	return out
}

func pointsOf(pts []Point) *Points {
	p := &Points{At: make([]int64, len(pts)), MS: make([]int64, len(pts)), Fail: make([]string, len(pts))}
	up := make([]byte, len(pts))
	texts := 0
	for i := len(pts) - 1; i >= 0; i-- {
		pt := pts[i]
		p.At[i], p.MS[i], up[i] = pt.At.Unix(), pt.LatencyMS, '0'
		if pt.Up {
			up[i] = '1'
		} else if pt.Failure != "" && texts < MaxFailureTexts {
			p.Fail[i] = pt.Failure
			texts++
		}
	}
	p.Up = string(up)
	return p
}

// Recent is history/recent.json: each target's latest checks.
type Recent struct {
	Targets   map[string]*Points `json:"targets"`
	UpdatedAt time.Time          `json:"updatedAt,omitzero"`
}

// Series is one target's counts in history/uptime.json.
type Series struct {
	// LastAt is the time of the last check counted: only a later one counts.
	LastAt time.Time `json:"lastAt,omitzero"`
	// Push marks a push target's counts: its runs' statuses, not checks
	// with a response time.
	Push  bool   `json:"push,omitempty"`
	Hours window `json:"hours"`
	Days  window `json:"days"`
}

// Uptime is history/uptime.json.
type Uptime struct {
	Targets   map[string]*Series `json:"targets"`
	UpdatedAt time.Time          `json:"updatedAt,omitzero"`
}

// Day is one UTC day's object, history/days/YYYY-MM-DD.json.
type Day struct {
	Day     string             `json:"day"`
	Targets map[string]*DayAgg `json:"targets"`
}

// DayAgg is one target's checks of one day.
type DayAgg struct {
	Checks   int       `json:"checks"`
	Failures int       `json:"failures"`
	LastAt   time.Time `json:"lastAt,omitzero"`
	// Hist counts latencies by bucket (see latencyBucket).
	Hist  map[int]int `json:"hist,omitempty"`
	MaxMS int64       `json:"maxMs"`
}

// Incident is a target's time DOWN (or, for a push target, STALE).
type Incident struct {
	Target string    `json:"target"`
	Status string    `json:"status"`
	Start  time.Time `json:"start"`
	// End is zero while the incident is open.
	End time.Time `json:"end,omitzero"`
	// Reason is the first failure the incident was opened with.
	Reason string `json:"reason,omitempty"`
	// Alerts are the IDs of the alerts raised during it.
	Alerts []string `json:"alerts,omitempty"`
}

// Open reports whether the incident has not ended.
func (i Incident) Open() bool { return i.End.IsZero() }

// Duration is how long the incident lasted, or has lasted by now.
func (i Incident) Duration(now time.Time) time.Duration {
	if i.Open() {
		return now.Sub(i.Start)
	}
	return i.End.Sub(i.Start)
}

// Incidents is history/incidents.json, newest first.
type Incidents struct {
	Incidents []Incident `json:"incidents"`
	UpdatedAt time.Time  `json:"updatedAt,omitzero"`
}

// checkOf is the check an observation counts: its own, or for a push target
// its status at now; none while the target is paused or in a maintenance
// window.
func checkOf(o Observation, now time.Time) *Check {
	if held(o.State) {
		return nil // paused or in maintenance: a gap, neither up nor down
	}
	if o.Check != nil {
		return o.Check
	}
	if !o.Push || o.State.NotMonitored != "" {
		return nil
	}
	switch o.State.Status {
	case status.Up:
		return &Check{At: now, Up: true}
	case status.Down, status.Stale:
		f := "no heartbeat"
		if len(o.State.LastFailures) > 0 {
			f = o.State.LastFailures[0]
		}
		return &Check{At: now, Failure: f}
	}
	return nil
}

// applyRecent adds each observation's check as a point (once: a point at
// the same time is not added again) and keeps MaxRecent points per target.
// A push target has no checks, so no points. Targets not observed are
// dropped.
func applyRecent(r *Recent, obs []Observation, now time.Time) {
	next := make(map[string]*Points, len(obs))
	for _, o := range obs {
		cur := r.Targets[o.Target]
		if c := o.Check; c != nil && !held(o.State) && !hasPoint(cur, c.At) {
			pts := cur.List()
			p := Point{At: c.At.UTC(), Up: c.Up, LatencyMS: int64(c.LatencyMS + 0.5)}
			if !c.Up {
				p.Failure = clip.Bytes(c.Failure, MaxFailureBytes)
			}
			pts = append(pts, p)
			slices.SortStableFunc(pts, func(a, b Point) int { return a.At.Compare(b.At) })
			if len(pts) > MaxRecent {
				pts = pts[len(pts)-MaxRecent:]
			}
			cur = pointsOf(pts)
		}
		if cur != nil {
			next[o.Target] = cur
		}
	}
	r.Targets, r.UpdatedAt = next, now
}

// hasPoint reports whether p has a point at the second of at (points are
// kept to the second).
func hasPoint(p *Points, at time.Time) bool {
	return p != nil && slices.Contains(p.At, at.Unix())
}

// applyUptime counts each new check in its hour and day. Targets not
// observed are dropped.
func applyUptime(u *Uptime, obs []Observation, now time.Time) {
	next := make(map[string]*Series, len(obs))
	for _, o := range obs {
		s := u.Targets[o.Target]
		if s == nil {
			s = &Series{}
		}
		s.Push = o.Push
		if c := checkOf(o, now); c != nil && c.At.After(s.LastAt) {
			s.Hours.add(hourOf(c.At), c.Up, Hours)
			s.Days.add(dayOf(c.At), c.Up, Days)
			s.LastAt = c.At.UTC()
		}
		// Buckets age out even while a target has no checks.
		s.Hours.trim(hourOf(now), Hours)
		s.Days.trim(dayOf(now), Days)
		next[o.Target] = s
	}
	u.Targets, u.UpdatedAt = next, now
}

// applyDay counts the new checks of day (those whose time falls on it) in
// its object.
func applyDay(d *Day, day string, obs []Observation, now time.Time) {
	d.Day = day
	if d.Targets == nil {
		d.Targets = map[string]*DayAgg{}
	}
	for _, o := range obs {
		c := checkOf(o, now)
		if c == nil || c.At.UTC().Format(time.DateOnly) != day {
			continue
		}
		a := d.Targets[o.Target]
		if a == nil {
			a = &DayAgg{}
			d.Targets[o.Target] = a
		}
		if !c.At.After(a.LastAt) {
			continue
		}
		a.Checks++
		if !c.Up {
			a.Failures++
		}
		a.LastAt = c.At.UTC()
		if c.Up || c.LatencyMS > 0 {
			if a.Hist == nil {
				a.Hist = map[int]int{}
			}
			a.Hist[latencyBucket(c.LatencyMS)]++
			a.MaxMS = max(a.MaxMS, int64(c.LatencyMS+0.5))
		}
	}
}

// applyIncidents opens an incident for a target that is DOWN (or a push
// target that is STALE) without one, records the alerts raised during it,
// and closes it when the target is UP again, at the time it recovered. A
// probed target's STALE (no checks: the monitor stopped) neither opens nor
// closes one. The open incidents of targets no longer observed are
// dropped, and closed ones older than Days.
func applyIncidents(in *Incidents, obs []Observation, now time.Time) {
	byTarget := make(map[string]Observation, len(obs))
	for _, o := range obs {
		byTarget[o.Target] = o
	}
	open := map[string]int{} // target → index of its open incident
	var kept []Incident
	for _, inc := range in.Incidents {
		_, observed := byTarget[inc.Target]
		switch {
		case inc.Open() && !observed:
			continue
		case inc.Open():
			if _, dup := open[inc.Target]; dup {
				continue
			}
			open[inc.Target] = len(kept)
		case now.Sub(inc.End) > Days*24*time.Hour:
			continue
		}
		kept = append(kept, inc)
	}
	var opened []Incident
	for _, o := range obs {
		st := o.State
		failing := st.Status == status.Down || (o.Push && st.Status == status.Stale)
		i, isOpen := open[o.Target]
		switch {
		case failing && !isOpen && held(st):
			// Down during maintenance (or paused): not an incident.
		case failing && !isOpen:
			inc := Incident{Target: o.Target, Status: st.Status, Start: st.Since.UTC()}
			if len(st.LastFailures) > 0 {
				inc.Reason = clip.Bytes(st.LastFailures[0], MaxFailureBytes)
			} else if st.Status == status.Stale {
				inc.Reason = "no heartbeat"
			}
			noteAlert(&inc, st)
			opened = append(opened, inc)
		case failing:
			kept[i].Status = st.Status
			noteAlert(&kept[i], st)
		case isOpen && st.Status == status.Up:
			noteAlert(&kept[i], st)
			end := st.Since.UTC()
			if end.Before(kept[i].Start) {
				end = kept[i].Start
			}
			kept[i].End = end
		}
	}
	all := append(opened, kept...)
	slices.SortStableFunc(all, func(a, b Incident) int { return b.Start.Compare(a.Start) })
	if len(all) > MaxIncidents {
		all = all[:MaxIncidents]
	}
	in.Incidents, in.UpdatedAt = all, now
}

// noteAlert adds the target's last alert to the incident when it was
// raised during it.
func noteAlert(inc *Incident, st status.TargetState) {
	if st.LastAlertID == "" || st.LastAlertAt.Before(inc.Start) || slices.Contains(inc.Alerts, st.LastAlertID) {
		return
	}
	if len(inc.Alerts) < MaxIncidentAlerts {
		inc.Alerts = append(inc.Alerts, st.LastAlertID)
	}
}

// held reports whether the target's alerts are held on purpose: it is
// paused, or one of its maintenance windows is open.
func held(st status.TargetState) bool { return st.Shown() != st.Status }

func hourOf(t time.Time) int64 { return t.Unix() / 3600 }
func dayOf(t time.Time) int64  { return t.Unix() / 86400 }
