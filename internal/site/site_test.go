package site_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// scenario runs a day and a half of history through the real store: web up
// all along, api down for 30 minutes and back, db down since the last
// hour, beat (a push target) gone stale, fresh not checked enough yet, web
// and api in the group shop, batch failing in a maintenance window, and
// a day with no run at all (the monitor stopped).
func scenario(t *testing.T) site.Input {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	s := store.New(srv.Client(), "medic")
	states := map[string]status.TargetState{}
	groups := map[string]string{"web": "shop", "api": "shop"}
	set := func(name, st string, since time.Time, failures ...string) {
		states[name] = status.TargetState{Target: name, Status: st, Since: since, LastFailures: failures, Group: groups[name]}
	}
	var snap history.Snapshot
	run := func(now time.Time, checks map[string]*history.Check) {
		var obs []history.Observation
		for name, st := range states {
			obs = append(obs, history.Observation{Target: name, State: st, Check: checks[name], Push: name == "beat"})
		}
		if snap, err = history.Update(context.Background(), s, obs, now); err != nil {
			t.Fatal(err)
		}
	}
	ok := func(at time.Time, ms float64) *history.Check { return &history.Check{At: at, Up: true, LatencyMS: ms} }
	bad := func(at time.Time) *history.Check {
		return &history.Check{At: at, Failure: "status 503, want 200-399"}
	}
	set("web", status.Up, t0)
	set("api", status.Up, t0)
	set("db", status.Up, t0)
	set("beat", status.Up, t0)
	// Day 1: 12 runs, 10 minutes apart.
	for i := range 12 {
		now := t0.Add(time.Duration(i) * 10 * time.Minute)
		apiCheck := ok(now, 80+float64(i))
		switch {
		case i == 4 || i == 5 || i == 6:
			apiCheck = bad(now)
			set("api", status.Down, t0.Add(30*time.Minute), "status 503, want 200-399")
			a := states["api"]
			a.LastAlertID, a.LastAlertAt = "api-down-1-aa1ec10c5b69", t0.Add(50*time.Minute)
			states["api"] = a
		case i == 7:
			a := states["api"]
			a.Status, a.Since = status.Up, now
			a.LastAlertID, a.LastAlertAt = "api-recovered-2-aa1ec10c5b69", now
			states["api"] = a
		}
		run(now, map[string]*history.Check{"web": ok(now, 40+float64(i%3)), "api": apiCheck, "db": ok(now, 5)})
	}
	// Day 2: no run. Day 3: db goes down, beat goes stale, fresh appears.
	day3 := t0.Add(48 * time.Hour)
	set("beat", status.Stale, day3)
	set("fresh", status.Unknown, day3)
	set("batch", status.Down, day3, "status 500, want 200-399")
	b := states["batch"]
	b.Maintenance = &status.Maintenance{Start: day3, End: day3.Add(2 * time.Hour)}
	states["batch"] = b
	for i := range 3 {
		now := day3.Add(time.Duration(i) * 10 * time.Minute)
		if i == 1 {
			set("db", status.Down, day3, "dial tcp 10.0.0.5:5432: connection refused")
			d := states["db"]
			d.LastAlertID, d.LastAlertAt = "db-down-1-aa1ec10c5b69", now
			states["db"] = d
		}
		dbCheck := ok(now, 6)
		if i > 0 {
			dbCheck = bad(now)
			dbCheck.Failure = "dial tcp 10.0.0.5:5432: connection refused"
		}
		run(now, map[string]*history.Check{"web": ok(now, 41), "api": ok(now, 90), "db": dbCheck, "batch": bad(now)})
	}
	now := day3.Add(20 * time.Minute)
	return site.Input{Now: now, State: status.File{Targets: states, UpdatedAt: now}, History: snap, StaleAfter: 15 * time.Minute}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./internal/site -update' to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (run 'go test ./internal/site -update' and review the diff)\n got:\n%s", name, got)
	}
}

// TestGoldenJSON compares site/status.json with testdata/status.json.
func TestGoldenJSON(t *testing.T) {
	p := site.Build(scenario(t))
	js, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status.json", js)
}

// TestGoldenHTML compares site/index.html with testdata/index.html.
func TestGoldenHTML(t *testing.T) {
	page, err := site.Build(scenario(t)).HTML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "index.html", page)
}

// TestFigures checks the page's figures against the scenario by hand.
func TestFigures(t *testing.T) {
	p := site.Build(scenario(t))
	if p.Overall != status.Down || p.OverallText != "1 of 6 targets down (1 paused or in maintenance)" {
		t.Fatalf("overall %s %q", p.Overall, p.OverallText)
	}
	rows := map[string]site.Row{}
	for _, r := range p.Targets {
		rows[r.Name] = r
	}
	if len(p.Groups) != 1 || p.Groups[0].Name != "shop" || p.Groups[0].State != status.Up || strings.Join(p.Groups[0].Targets, ",") != "api,web" {
		t.Errorf("groups %+v, want shop (api, web) UP", p.Groups)
	}
	if p.Targets[len(p.Targets)-1].Name != "web" || p.Targets[0].Name != "batch" {
		t.Errorf("rows are not by group, then name: first %s, last %s", p.Targets[0].Name, p.Targets[len(p.Targets)-1].Name)
	}
	// api: 15 checks, 3 failed (12 on day 1, 3 on day 3).
	if v := rows["api"].Uptime.D7; v == nil || *v != 80 {
		t.Errorf("api 7d uptime %v, want 80", v)
	}
	// db over 24 h: day 3's 3 checks, 2 failed: 33.33% (rounded down).
	if v := rows["db"].Uptime.H24; v == nil || *v != 33.33 {
		t.Errorf("db 24h uptime %v, want 33.33", v)
	}
	// batch fails during its maintenance window: shown as MAINTENANCE, its
	// checks not counted, no incident.
	if r := rows["batch"]; r.Held != status.InMaintenance || r.Uptime.H24 != nil || r.Incident != nil || len(r.Latency.At) != 0 {
		t.Errorf("batch in maintenance: %+v", r)
	}
	// fresh has no checks: no figure, never 100%.
	if rows["fresh"].Uptime.H24 != nil || rows["fresh"].Uptime.D90 != nil {
		t.Errorf("fresh has uptime %+v, want none", rows["fresh"].Uptime)
	}
	// Day 2 (no run) is a gap in every row.
	days := rows["web"].Days.List()
	if d := days[len(days)-2]; d.Checks != 0 || d.Uptime != nil {
		t.Errorf("the day without runs is %+v, want a gap", d)
	}
	if d := days[len(days)-3]; d.Checks != 12 || d.Uptime == nil || *d.Uptime != 100 {
		t.Errorf("web's first day %+v, want 12 checks at 100%%", d)
	}
	if inc := rows["db"].Incident; inc == nil || inc.Reason != "dial tcp 10.0.0.5:5432: connection refused" || inc.End != nil {
		t.Errorf("db's open incident %+v", inc)
	}
	if len(p.Incidents) != 3 {
		t.Fatalf("incidents %+v, want db's, beat's and api's", p.Incidents)
	}
	api := p.Incidents[2]
	if api.Target != "api" || api.DurationSeconds != 40*60 || len(api.Alerts) != 2 {
		t.Errorf("api's incident %+v, want 40m with 2 alerts", api)
	}
}

// TestPageStructure parses the page: nothing loaded from elsewhere, a row
// per target with its status in words, headers for the table, and a
// labelled graphic for every strip and sparkline.
func TestPageStructure(t *testing.T) {
	p := site.Build(scenario(t))
	page, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var rows, colHeads, svgs int
	words := map[string]string{}
	var walk func(n *html.Node, row string)
	walk = func(n *html.Node, row string) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if (a.Key == "src" || a.Key == "href") && (strings.Contains(a.Val, "//") || strings.HasPrefix(a.Val, "data:")) {
					t.Errorf("<%s %s=%q> loads from elsewhere", n.Data, a.Key, a.Val)
				}
			}
			switch n.Data {
			case "link", "img", "iframe", "object":
				t.Errorf("the page has a <%s>", n.Data)
			case "tr":
				if id := attr(n, "id"); strings.HasPrefix(id, "target-") {
					rows++
					row = strings.TrimPrefix(id, "target-")
				}
			case "th":
				if attr(n, "scope") == "col" {
					colHeads++
				}
			case "td":
				if strings.HasPrefix(attr(n, "class"), "st ") {
					words[row] = strings.TrimSpace(text(n))
				}
			case "svg":
				svgs++
				if attr(n, "role") != "img" || attr(n, "aria-label") == "" {
					t.Errorf("an <svg> without role=img and a label in row %s", row)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, row)
		}
	}
	walk(doc, "")
	if rows != len(p.Targets) || colHeads != 10 {
		t.Fatalf("%d rows, %d column headers; want %d and 10", rows, colHeads, len(p.Targets))
	}
	want := map[string]string{"batch": "■ MAINTENANCE (status DOWN)", "web": "● UP", "api": "● UP", "db": "▼ DOWN", "beat": "◆ STALE (no recent check)", "fresh": "? UNKNOWN (not checked enough yet)"}
	for name, w := range want {
		if words[name] != w {
			t.Errorf("%s's status cell %q, want %q", name, words[name], w)
		}
	}
	// A strip per row, and a sparkline per row that has checks (fresh,
	// beat and batch have none).
	if svgs != 2*len(p.Targets)-3 {
		t.Errorf("%d graphics, want %d", svgs, 2*len(p.Targets)-3)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}
