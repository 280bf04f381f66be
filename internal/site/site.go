// Package site builds medic's status page: site/status.json, every
// target's status, uptime, latency and incidents as the last run left them,
// and site/index.html, one static page with its CSS and script inline that
// shows the same without needing its script (see docs/status.md, "The
// status page").
package site

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
)

// Object keys.
const (
	Prefix   = "site/"
	PageKey  = "site/index.html"
	JSONKey  = "site/status.json"
	maxShown = 50 // incidents listed on the page
)

// Input is what the page is built from.
type Input struct {
	Now     time.Time
	State   status.File
	History history.Snapshot
	// StaleAfter is how old the page may be before it warns that the
	// monitor has stopped.
	StaleAfter time.Duration
}

// Page is site/status.json.
type Page struct {
	GeneratedAt       time.Time      `json:"generatedAt"`
	StaleAfterSeconds int64          `json:"staleAfterSeconds"`
	Overall           string         `json:"overall"`
	OverallText       string         `json:"overallText"`
	Counts            map[string]int `json:"counts"`
	Targets           []Row          `json:"targets"`
	// Groups are the targets' groups (targets.yaml `group:`), each with the
	// worst status of its targets; none when no target has a group.
	Groups    []Group    `json:"groups,omitempty"`
	Incidents []Incident `json:"incidents"`
}

// Group is a group of targets on the page.
type Group struct {
	Name    string   `json:"name"`
	State   string   `json:"status"`
	Targets []string `json:"targets"`
}

// Row is one target on the page.
type Row struct {
	Name string `json:"name"`
	// Group is the target's group, if any.
	Group string    `json:"group,omitempty"`
	State string    `json:"status"`
	Since time.Time `json:"since,omitzero"`
	// Held is PAUSED or MAINTENANCE while the target's alerts are held on
	// purpose (its checks then count neither way); empty otherwise.
	Held string `json:"held,omitempty"`
	// NotMonitored says why the target is not monitored now.
	NotMonitored string `json:"notMonitored,omitempty"`
	// Push marks a push target: its checks are its heartbeats, with no
	// response time.
	Push        bool       `json:"push,omitempty"`
	LastCheckAt *time.Time `json:"lastCheckAt,omitempty"`
	// Uptime is the share of checks that passed in each window, in
	// percent; a window without checks is null, never 100.
	Uptime Uptime `json:"uptime"`
	// Days are the checks of the last 90 UTC days.
	Days Days `json:"days"`
	// Latency is the recent checks, oldest first.
	Latency Latency `json:"latency"`
	// Incident is the open incident, if any.
	Incident *Incident `json:"incident,omitempty"`
}

// Uptime is a row's uptime in percent per window (null: no checks).
type Uptime struct {
	H24 *float64 `json:"24h"`
	D7  *float64 `json:"7d"`
	D30 *float64 `json:"30d"`
	D90 *float64 `json:"90d"`
}

// Days are a row's checks and failures per UTC day, oldest first, from
// First: a day with no checks is a gap (the monitor did not run).
type Days struct {
	First    string `json:"first"`
	Checks   []int  `json:"checks"`
	Failures []int  `json:"failures"`
}

// Day is one UTC day of a row's bar strip.
type Day struct {
	Day      string
	Checks   int
	Failures int
	// Uptime is nil for a day without checks.
	Uptime *float64
}

// List returns the days one by one.
func (d Days) List() []Day {
	first, err := time.Parse(time.DateOnly, d.First)
	out := make([]Day, len(d.Checks))
	for i := range out {
		out[i] = Day{Checks: d.Checks[i], Failures: d.Failures[i], Uptime: percent(history.Ratio{Checks: d.Checks[i], Failures: d.Failures[i]})}
		if err == nil {
			out[i].Day = first.AddDate(0, 0, i).Format(time.DateOnly)
		}
	}
	return out
}

// Latency is a row's recent checks, oldest first, a column per field so
// that the document stays small at 10,000 targets: At in Unix seconds, MS
// the response time in milliseconds, Up one character a check ('1' passed,
// '0' failed).
type Latency struct {
	At []int64 `json:"at"`
	MS []int64 `json:"ms"`
	Up string  `json:"up"`
}

// Point is one recent check.
type Point struct {
	At        time.Time
	Up        bool
	LatencyMS int64
}

// Points returns the checks one by one.
func (l Latency) Points() []Point {
	n := min(len(l.At), len(l.MS), len(l.Up))
	out := make([]Point, n)
	for i := range out {
		out[i] = Point{At: time.Unix(l.At[i], 0).UTC(), Up: l.Up[i] == '1', LatencyMS: l.MS[i]}
	}
	return out
}

// Incident is an incident as the page lists it.
type Incident struct {
	Target          string     `json:"target"`
	Status          string     `json:"status"`
	Start           time.Time  `json:"start"`
	End             *time.Time `json:"end,omitempty"`
	DurationSeconds int64      `json:"durationSeconds"`
	Reason          string     `json:"reason,omitempty"`
	Alerts          []string   `json:"alerts,omitempty"`
}

// severity orders the statuses for the overall one: the worst wins.
var severity = map[string]int{status.Up: 0, status.Unknown: 1, status.Stale: 2, status.Down: 3}

// Build builds the page from one run's state and history.
func Build(in Input) Page {
	p := Page{
		GeneratedAt:       in.Now.UTC(),
		StaleAfterSeconds: int64(in.StaleAfter / time.Second),
		Overall:           status.Up,
		Counts:            map[string]int{status.Up: 0, status.Down: 0, status.Stale: 0, status.Unknown: 0},
		Targets:           []Row{},
		Incidents:         []Incident{},
	}
	names := make([]string, 0, len(in.State.Targets))
	for name := range in.State.Targets {
		names = append(names, name)
	}
	// By group (targets without one first), then by name.
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(in.State.Targets[a].Group, in.State.Targets[b].Group); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	open := map[string]Incident{}
	for _, inc := range in.History.Incidents.Incidents {
		row := incidentRow(inc, in.Now)
		if inc.Open() {
			if _, ok := open[inc.Target]; !ok {
				open[inc.Target] = row
			}
		}
		if _, known := in.State.Targets[inc.Target]; known && len(p.Incidents) < maxShown {
			p.Incidents = append(p.Incidents, row)
		}
	}
	for _, name := range names {
		st := in.State.Targets[name]
		r := row(name, st, in)
		if inc, ok := open[name]; ok {
			r.Incident = &inc
		}
		p.Counts[st.Status]++
		if r.Held == "" && severity[st.Status] > severity[p.Overall] {
			p.Overall = st.Status
		}
		p.Targets = append(p.Targets, r)
		if r.Group == "" {
			continue
		}
		if len(p.Groups) == 0 || p.Groups[len(p.Groups)-1].Name != r.Group {
			p.Groups = append(p.Groups, Group{Name: r.Group, State: status.Up})
		}
		g := &p.Groups[len(p.Groups)-1]
		g.Targets = append(g.Targets, name)
		if r.Held == "" && severity[st.Status] > severity[g.State] {
			g.State = st.Status
		}
	}
	if len(names) == 0 {
		p.Overall = status.Unknown
	}
	p.OverallText = overallText(p)
	return p
}

func row(name string, st status.TargetState, in Input) Row {
	r := Row{Name: name, Group: st.Group, State: st.Status, Held: held(st), Since: st.Since.UTC(), NotMonitored: st.NotMonitored, Latency: Latency{At: []int64{}, MS: []int64{}}}
	series := in.History.Uptime.Targets[name]
	ups := []**float64{&r.Uptime.H24, &r.Uptime.D7, &r.Uptime.D30, &r.Uptime.D90}
	for i, w := range history.Windows {
		*ups[i] = percent(series.UptimeOver(w.Span, in.Now))
	}
	r.Days.First = in.Now.UTC().AddDate(0, 0, -(history.Days - 1)).Format(time.DateOnly)
	for _, d := range series.DaysUpTo(in.Now, history.Days) {
		r.Days.Checks = append(r.Days.Checks, d.Checks)
		r.Days.Failures = append(r.Days.Failures, d.Failures)
	}
	if pts := in.History.Recent.Targets[name]; pts != nil {
		r.Latency = Latency{At: pts.At, MS: pts.MS, Up: pts.Up}
	}
	if series != nil {
		r.Push = series.Push
	}
	if series != nil && !series.LastAt.IsZero() {
		at := series.LastAt.UTC()
		r.LastCheckAt = &at
	}
	return r
}

// percent is r's uptime rounded down to two decimals, so that a failure is
// never shown as 100%; nil without checks.
func percent(r history.Ratio) *float64 {
	p, ok := r.Percent()
	if !ok {
		return nil
	}
	v := math.Floor(p*100) / 100
	return &v
}

// held is what the page says instead of the status while the target's
// alerts are held on purpose (status.TargetState.Shown).
func held(st status.TargetState) string {
	if shown := st.Shown(); shown != st.Status {
		return shown
	}
	return ""
}

func incidentRow(inc history.Incident, now time.Time) Incident {
	r := Incident{Target: inc.Target, Status: inc.Status, Start: inc.Start.UTC(), Reason: inc.Reason, Alerts: inc.Alerts,
		DurationSeconds: int64(inc.Duration(now) / time.Second)}
	if !inc.Open() {
		end := inc.End.UTC()
		r.End = &end
	}
	return r
}

func overallText(p Page) string {
	n := len(p.Targets)
	switch {
	case n == 0:
		return "No targets yet"
	}
	count := map[string]int{}
	heldN := 0
	for _, r := range p.Targets {
		if r.Held != "" {
			heldN++
			continue
		}
		count[r.State]++
	}
	suffix := ""
	if heldN > 0 {
		suffix = fmt.Sprintf(" (%d paused or in maintenance)", heldN)
	}
	switch {
	case count[status.Down] > 0:
		return fmt.Sprintf("%d of %d %s down", count[status.Down], n, plural(n)) + suffix
	case count[status.Stale] > 0:
		return fmt.Sprintf("%d of %d %s stale (no recent check)", count[status.Stale], n, plural(n)) + suffix
	case count[status.Unknown] > 0:
		return fmt.Sprintf("%d of %d %s not checked enough yet", count[status.Unknown], n, plural(n)) + suffix
	case heldN == n:
		return fmt.Sprintf("All %d %s paused or in maintenance", n, plural(n))
	}
	return fmt.Sprintf("All %d %s up", n-heldN, plural(n-heldN)) + suffix
}

func plural(n int) string {
	if n == 1 {
		return "target"
	}
	return "targets"
}

// JSON is the page's JSON document.
func (p Page) JSON() ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", JSONKey, err)
	}
	return b, nil
}

// Publish writes site/status.json and site/index.html: two PUTs, whatever
// the number of targets.
func Publish(ctx context.Context, s *store.Store, p Page) error {
	js, err := p.JSON()
	if err != nil {
		return err
	}
	page, err := p.HTML()
	if err != nil {
		return err
	}
	if _, err := s.PutContent(ctx, JSONKey, js, "application/json"); err != nil {
		return fmt.Errorf("publish the status page: %w", err)
	}
	if _, err := s.PutContent(ctx, PageKey, page, "text/html; charset=utf-8"); err != nil {
		return fmt.Errorf("publish the status page: %w", err)
	}
	return nil
}
