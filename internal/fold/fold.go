// Package fold folds the alerts of targets whose dependency is failing into
// the dependency's alert. A target that lists dependsOn (target.DependsOn)
// is covered while one of those targets is DOWN or STALE: its own DOWN and
// STALE alerts, and its reminders, are not sent; the dependency's alert
// names it instead ("router is DOWN since ...; 2 dependent targets also
// failing: shop, shop-db"). When it is no longer covered (the dependency
// recovered) and still failing, it alerts on its own. Folding changes which
// alerts are sent, never a status: every target is decided and recorded as
// before. It does no I/O; CheckStaleness calls Apply once per decision.
package fold

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/target"
)

// MaxNamed bounds the dependents an alert's text names; the rest are
// counted ("and 4 more").
const MaxNamed = 10

// Folded is one alert that was not raised because it was folded into a
// dependency's, for the log.
type Folded struct {
	Alert  string // the ID it would have had
	Target string
	Kind   string
	Into   string // the dependency whose alerts tell it
}

// Apply folds this run's alerts. prev holds the targets' states before the
// run and next after it (next is updated: FoldedInto, and the alert
// bookkeeping of the targets whose alerts are folded or raised here);
// targets are the run's targets and alerts what the run decided. It returns
// the alerts to raise, in their order, with the ones it raises (a target no
// longer covered telling its status on its own) after them, and the alerts
// it folded.
//
// A target T is folded into R, the root of its failing dependencies: the
// first of T's dependsOn that is DOWN or STALE (and monitored), followed
// the same way while that one has a failing dependency of its own. T is
// folded only when every channel of T is a channel of R, so nobody loses an
// alert because R's go elsewhere.
func Apply(prev, next map[string]status.TargetState, targets []target.Target, alerts []outbox.Alert, now time.Time, raiser string) ([]outbox.Alert, []Folded) {
	g := newGraph(next, targets)
	raisedNow := map[string]bool{}
	for _, a := range alerts {
		raisedNow[a.ID] = true
	}
	var folded []Folded
	out := make([]outbox.Alert, 0, len(alerts))
	for _, a := range alerts {
		st, ok := next[a.Target]
		if !ok {
			out = append(out, a)
			continue
		}
		into := g.root(a.Target)
		fold := false
		switch {
		case into != "" && (a.Kind == outbox.KindDown || a.Kind == outbox.KindStale):
			fold = true
			if st.FoldedInto == "" {
				st.FoldedSince = now
			}
			st.FoldedInto = into
		case into != "" && a.Kind == outbox.KindReminder:
			fold = true
		case a.Kind == outbox.KindRecovered && prev[a.Target].FoldedInto != "":
			// Its failure was never told on its own: nor is its recovery.
			fold, into = true, prev[a.Target].FoldedInto
			st.FoldedInto, st.FoldedSince = "", time.Time{}
		case st.FoldedInto != "" && a.Kind == outbox.KindReminder:
			// No longer covered: the status is told anew below, not
			// "still" something nobody was told.
			fold, into = true, st.FoldedInto
		case a.Kind == outbox.KindDown || a.Kind == outbox.KindStale:
			st.FoldedInto, st.FoldedSince = "", time.Time{} // told on its own now
			next[a.Target] = st
		}
		if !fold {
			out = append(out, a)
			continue
		}
		// As if the alert had not been raised: the next one's prev is the
		// one before it. (Its seq stays used: seq grows on every change.)
		st.LastAlertID = a.Prev
		if !raisedNow[a.Prev] {
			st.LastAlertAt = prev[a.Target].LastAlertAt
		}
		next[a.Target] = st
		folded = append(folded, Folded{Alert: a.ID, Target: a.Target, Kind: a.Kind, Into: into})
	}

	// Targets folded before: folded into the root they have now, or told
	// on their own once nothing covers them.
	unfolded := map[string][]string{} // the root each was folded into → targets
	for _, name := range g.names {
		st := next[name]
		if st.FoldedInto == "" {
			continue
		}
		if into := g.root(name); into != "" {
			st.FoldedInto = into
			next[name] = st
			continue
		}
		was, since := st.FoldedInto, st.FoldedSince
		st.FoldedInto, st.FoldedSince = "", time.Time{}
		if a, ok := status.Restate(&st, g.targets[name], now, raiser); ok {
			a.Text += fmt.Sprintf(" (folded into %s's alerts since %s)", was, since.UTC().Format("2006-01-02 15:04 UTC"))
			out = append(out, a)
			unfolded[was] = append(unfolded[was], name)
		}
		next[name] = st
	}

	// The roots' alerts name their failing dependents.
	dependents := map[string][]string{}
	for _, name := range g.names {
		if r := g.root(name); r != "" && g.failing(name) {
			dependents[r] = append(dependents[r], name)
		}
	}
	for i := range out {
		a := &out[i]
		switch a.Kind {
		case outbox.KindDown, outbox.KindStale, outbox.KindReminder:
			if ds := dependents[a.Target]; len(ds) > 0 {
				a.Text += fmt.Sprintf("; %s also failing: %s", count(len(ds), "dependent target"), list(ds))
				a.Dependents = slices.Clone(ds[:min(len(ds), outbox.MaxDependents)])
			}
		case outbox.KindRecovered:
			if ds := unfolded[a.Target]; len(ds) > 0 {
				a.Text += fmt.Sprintf("; %s still failing, now alerted on their own: %s", count(len(ds), "dependent target"), list(ds))
			}
		}
	}
	return out, folded
}

// graph answers which targets are failing and what covers them.
type graph struct {
	next    map[string]status.TargetState
	targets map[string]target.Target
	names   []string // sorted
	roots   map[string]string
}

func newGraph(next map[string]status.TargetState, targets []target.Target) *graph {
	g := &graph{next: next, targets: make(map[string]target.Target, len(targets)), roots: map[string]string{}}
	for _, t := range targets {
		g.targets[t.Name] = t
		g.names = append(g.names, t.Name)
	}
	slices.Sort(g.names)
	return g
}

// failing reports whether name is a monitored target of the run that is
// DOWN or STALE. A paused target is not: it is not probed and raises no
// alert, so its status is old news and nothing could tell what it covers.
func (g *graph) failing(name string) bool {
	st, ok := g.next[name]
	if _, configured := g.targets[name]; !ok || !configured || st.NotMonitored != "" || st.Paused != nil {
		return false
	}
	return st.Status == status.Down || st.Status == status.Stale
}

// root is the target whose alerts tell name's failure, or "" when nothing
// covers name (no dependency failing, or the root's alerts do not reach
// all of name's channels).
func (g *graph) root(name string) string {
	r := g.top(name, len(g.targets))
	if r == "" || !subset(g.targets[name].Channels, g.targets[r].Channels) {
		return ""
	}
	return r
}

// top follows the first failing dependency while there is one; depth
// guards against a cycle (the targets file rejects them).
func (g *graph) top(name string, depth int) string {
	if r, ok := g.roots[name]; ok {
		return r
	}
	r := ""
	if depth > 0 {
		for _, d := range g.targets[name].DependsOn {
			if g.failing(d) {
				if r = g.top(d, depth-1); r == "" {
					r = d
				}
				break
			}
		}
	}
	g.roots[name] = r
	return r
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// list names the first MaxNamed of names and counts the rest.
func list(names []string) string {
	if len(names) <= MaxNamed {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:MaxNamed], ", ") + fmt.Sprintf(" and %d more", len(names)-MaxNamed)
}
