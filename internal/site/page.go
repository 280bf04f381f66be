package site

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

//go:embed page.html.tmpl
var pageTemplate string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"lower":  strings.ToLower,
	"pct":    pctText,
	"when":   timeTag,
	"strip":  strip,
	"spark":  sparkline,
	"word":   statusWord,
	"shown":  shownClass,
	"symbol": symbol,
	"dur":    func(s int64) string { return status.HumanDuration(time.Duration(s) * time.Second) },
	"anchor": anchor,
	"unix":   func(t time.Time) int64 { return t.Unix() },
	"groups": sections,
}).Parse(pageTemplate))

// HTML is the page, site/index.html: its CSS and script inline, nothing
// loaded from elsewhere, and every figure in the markup itself, so the
// table reads the same with scripts disabled.
func (p Page) HTML() ([]byte, error) {
	var b bytes.Buffer
	if err := page.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("render %s: %w", PageKey, err)
	}
	return b.Bytes(), nil
}

// section is the rows of one group (Name "" for the targets without one).
type section struct {
	Group Group
	Rows  []Row
}

// sections splits the rows (sorted by group) into a section per group.
func sections(p Page) []section {
	var out []section
	byName := map[string]Group{}
	for _, g := range p.Groups {
		byName[g.Name] = g
	}
	for _, r := range p.Targets {
		if len(out) == 0 || out[len(out)-1].Group.Name != r.Group {
			out = append(out, section{Group: byName[r.Group]})
		}
		out[len(out)-1].Rows = append(out[len(out)-1].Rows, r)
	}
	return out
}

// pctText is an uptime figure as the table shows it: "99.95%", or "no
// checks" for a window without any.
func pctText(v *float64) string {
	if v == nil {
		return "no checks"
	}
	return fmt.Sprintf("%.2f%%", *v)
}

// timeTag is a <time> the script shows in the viewer's zone; without the
// script it reads in UTC.
func timeTag(v any) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return "never"
		}
		t = *x
	}
	if t.IsZero() {
		return "never"
	}
	t = t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" data-local>%s</time>`, t.Format(time.RFC3339), t.Format("2006-01-02 15:04 UTC")))
}

// symbol is a status's shape, so that colour is never the only sign.
func symbol(s string) string {
	switch s {
	case status.InMaintenance, status.Paused:
		return "■"
	case status.Up:
		return "●"
	case status.Down:
		return "▼"
	case status.Stale:
		return "◆"
	}
	return "?"
}

// shownClass is the status a row's colour and shape follow: PAUSED or
// MAINTENANCE while held, else its status.
func shownClass(r Row) string {
	if r.Held != "" {
		return r.Held
	}
	return r.State
}

// statusWord is a row's status in words.
func statusWord(r Row) string {
	w := map[string]string{
		status.Up:      "UP",
		status.Down:    "DOWN",
		status.Stale:   "STALE (no recent check)",
		status.Unknown: "UNKNOWN (not checked enough yet)",
	}[r.State]
	switch r.Held {
	case status.InMaintenance:
		w = "MAINTENANCE (status " + r.State + ")"
	case status.Paused:
		w = "PAUSED (not checked; status " + r.State + ")"
	}
	if r.NotMonitored != "" {
		w += ", not monitored"
	}
	return w
}

// anchor is the id of an incident in the list.
func anchor(target string, start time.Time) string {
	return fmt.Sprintf("incident-%s-%d", target, start.Unix())
}

// dayClass is a day's colour in the bar strip.
func dayClass(d Day) string {
	switch {
	case d.Uptime == nil:
		return "gap"
	case d.Failures == 0:
		return "ok"
	case *d.Uptime >= 95:
		return "some"
	}
	return "bad"
}

// strip draws the 90-day bar strip as inline SVG: one bar per day, a run
// of days alike drawn as one rectangle (so a quiet target costs a few
// bytes), each with a title, and a summary for screen readers.
func strip(d Days) template.HTML {
	days := d.List()
	var b strings.Builder
	count := map[string]int{}
	for _, d := range days {
		count[dayClass(d)]++
	}
	var parts []string
	for _, c := range []struct{ class, words string }{{"ok", "all checks passed"}, {"some", "some failed"}, {"bad", "more than 5% failed"}, {"gap", "no checks"}} {
		if n := count[c.class]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", n, dayWord(n), c.words))
		}
	}
	fmt.Fprintf(&b, `<svg class="strip" viewBox="0 0 %d 10" preserveAspectRatio="none" role="img" aria-label="Last %d days: %s">`,
		len(days)*3, len(days), html.EscapeString(strings.Join(parts, ", ")))
	for i := 0; i < len(days); {
		j, class := i, dayClass(days[i])
		checks, failures := 0, 0
		for j < len(days) && dayClass(days[j]) == class && (class != "some" && class != "bad" || j == i) {
			checks += days[j].Checks
			failures += days[j].Failures
			j++
		}
		title := days[i].Day
		if j-i > 1 {
			title += " to " + days[j-1].Day
		}
		switch class {
		case "gap":
			title += ": no checks"
		case "ok":
			title += fmt.Sprintf(": all %d checks passed", checks)
		default:
			title += fmt.Sprintf(": %s of %d checks passed (%d failed)", pctText(days[i].Uptime), checks, failures)
		}
		fmt.Fprintf(&b, `<rect class="d-%s" x="%d" y="0" width="%d" height="10"><title>%s</title></rect>`, class, i*3, (j-i)*3-1, html.EscapeString(title))
		i = j
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func dayWord(n int) string {
	if n == 1 {
		return "day"
	}
	return "days"
}

// sparkline draws the recent response times as inline SVG: a line through
// the checks, failed checks marked, and a summary for screen readers.
func sparkline(l Latency) template.HTML {
	pts := l.Points()
	if len(pts) == 0 {
		return `<span class="muted">no checks yet</span>`
	}
	const w, h = 120.0, 24.0
	var top int64 = 1
	ms := make([]int64, 0, len(pts))
	fails := 0
	for _, p := range pts {
		top = max(top, p.LatencyMS)
		if p.Up {
			ms = append(ms, p.LatencyMS)
		} else {
			fails++
		}
	}
	slices.Sort(ms)
	label := fmt.Sprintf("Response time of the last %d checks", len(pts))
	if len(ms) > 0 {
		label += fmt.Sprintf(": median %d ms, slowest %d ms", ms[len(ms)/2], ms[len(ms)-1])
	}
	last := pts[len(pts)-1]
	latest := fmt.Sprintf("%d ms", last.LatencyMS)
	if !last.Up {
		latest = "failed"
	}
	label += ", latest " + latest
	if fails > 0 {
		label += fmt.Sprintf("; %d failed", fails)
	}
	x := func(i int) float64 {
		if len(pts) == 1 {
			return w / 2
		}
		return float64(i) * w / float64(len(pts)-1)
	}
	y := func(v int64) float64 { return h - 2 - float64(v)*(h-4)/float64(top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %g %g" role="img" aria-label="%s"><polyline points="`, w, h, html.EscapeString(label))
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x(i), y(p.LatencyMS))
	}
	b.WriteString(`"/>`)
	for i, p := range pts {
		if !p.Up {
			fmt.Fprintf(&b, `<circle class="fail" cx="%.1f" cy="%.1f" r="2"/>`, x(i), y(p.LatencyMS))
		}
	}
	b.WriteString(`</svg>`)
	fmt.Fprintf(&b, ` <span class="ms">%s</span>`, latest)
	return template.HTML(b.String())
}
