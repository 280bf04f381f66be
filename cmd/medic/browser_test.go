package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	xhtml "golang.org/x/net/html"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// chromium finds a Chromium or Chrome to drive, or skips the test saying
// how to run it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MEDIC_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("MEDIC_REQUIRE_CHROMIUM=1 but no chromium, chromium-browser or google-chrome is on PATH")
	}
	t.Skip("no Chromium on this machine: the status page's browser test needs one " +
		"(Debian/Ubuntu: apt-get install -y chromium), then: go test ./cmd/medic -run TestStatusPageInABrowser")
	return ""
}

// statusScenario runs medic locally, as the demo does, through an outage
// and a recovery: 'web' answers all along, 'api' fails for runs 2 and 3 and
// recovers, 'db' fails from run 5 on (its incident is still open). The runs
// are 10 minutes apart and the last one is at end.
func statusScenario(t *testing.T, end time.Time) (stateDir string) {
	t.Helper()
	const runs = 6
	var apiDown, dbDown atomic.Bool
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(web.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apiDown.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(api.Close)
	db := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dbDown.Load() {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(db.Close)
	stateDir = t.TempDir()
	clk := clock.NewManual(end.Add(-(runs - 1) * 10 * time.Minute))
	env, err := local.Open(local.Options{StateDir: stateDir, Clock: clk, EngineClock: local.InstantClock(clk)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	targets := fmt.Sprintf(`
defaults: {failureThreshold: 1, timeout: 5s}
targets:
  - {name: web, url: %q, group: shop}
  - {name: api, url: %q, group: shop}
  - {name: db, url: %q}
`, web.URL, api.URL, db.URL)
	ctx := context.Background()
	if err := env.PutTargets(ctx, []byte(targets)); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= runs; n++ {
		if n > 1 {
			clk.Advance(10 * time.Minute)
		}
		apiDown.Store(n == 2 || n == 3)
		dbDown.Store(n >= 5)
		rec, err := env.Run(ctx, fmt.Sprintf("run-%d", n), `{"trigger":"schedule"}`)
		if err != nil || rec.Status != "SUCCEEDED" {
			t.Fatalf("run %d: %v %+v", n, err, rec)
		}
	}
	return stateDir
}

// TestStatusPageInABrowser opens the status page 'medic serve' serves, in
// headless Chromium, after runs with an outage and a recovery: the rows,
// their statuses and uptime, the incidents, the charts, the keyboard path,
// the stale-page warning, and the same table with scripts disabled. It
// saves a screenshot (to $MEDIC_SCREENSHOT when set: that is how the
// README's picture is made).
func TestStatusPageInABrowser(t *testing.T) {
	browser := chromium(t)
	stateDir := statusScenario(t, time.Now().UTC().Truncate(time.Second))
	pageURL, s3URL := servePage(t, stateDir)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.WindowSize(1280, 800), chromedp.NoSandbox)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab := func() context.Context {
		ctx, cancel := chromedp.NewContext(actx)
		t.Cleanup(cancel)
		// The first run opens the tab (and the browser) for the life of
		// ctx: it must have no timeout of its own.
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("start %s: %v", browser, err)
		}
		return ctx
	}

	// With scripts: the rows, statuses, uptime, incidents and charts.
	ctx := tab()
	act(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS("#targets table")))
	rows := value(t, ctx, chromedp.Evaluate[[]map[string]string](rowsJS))
	byName := map[string]map[string]string{}
	for _, r := range rows {
		byName[r["name"]] = r
	}
	if len(rows) != 3 {
		t.Fatalf("rows %v, want web, api and db", rows)
	}
	for _, tc := range []struct{ name, status, h24 string }{
		// 6 runs each; api failed 2 of them, db the last 2.
		{"web", "● UP", "100.00%"},
		{"api", "● UP", "66.66%"},
		{"db", "▼ DOWN", "66.66%"},
	} {
		r := byName[tc.name]
		if r["status"] != tc.status || r["24h"] != tc.h24 || r["90d"] != tc.h24 {
			t.Errorf("%s: status %q, 24h %q, 90d %q; want %q and %q", tc.name, r["status"], r["24h"], r["90d"], tc.status, tc.h24)
		}
	}
	if !strings.Contains(byName["db"]["incident"], "status 500, want 200-399") {
		t.Errorf("db's open incident reads %q", byName["db"]["incident"])
	}
	if byName["db"]["lastCheck"] == "" || strings.Contains(byName["db"]["lastCheck"], "UTC") {
		t.Errorf("db's last check %q, want a time in the viewer's zone", byName["db"]["lastCheck"])
	}
	if overall := value(t, ctx, chromedp.Text(chromedp.CSS("#overall"))); !strings.Contains(overall, "1 of 3 targets down") {
		t.Errorf("overall %q", overall)
	}
	incidents := value(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#incidents li")].map(li => li.textContent.replace(/\s+/g, " ").trim())`))
	if len(incidents) != 2 || !strings.Contains(incidents[0], "db DOWN") || !strings.Contains(incidents[0], "ongoing") ||
		!strings.Contains(incidents[1], "api DOWN") || !strings.Contains(incidents[1], "(30m)") {
		t.Errorf("incidents %q, want db's (ongoing) then api's (30m: from its last good check to the recovery)", incidents)
	}
	// api's sparkline: a point a check, its two failures marked; its strip:
	// the days before (no checks) and today (some failed).
	chart := value(t, ctx, chromedp.Evaluate[map[string]int](`({points: document.querySelector("#target-api svg.spark polyline").points.numberOfItems,
	  fails: document.querySelectorAll("#target-api svg.spark circle.fail").length,
	  gap: document.querySelectorAll("#target-api svg.strip rect.d-gap").length,
	  bad: document.querySelectorAll("#target-api svg.strip rect.d-bad").length})`))
	if chart["points"] != 6 || chart["fails"] != 2 || chart["gap"] != 1 || chart["bad"] != 1 {
		t.Errorf("api's charts %v, want 6 points, 2 failures, a gap and a bad day", chart)
	}
	if stale := value(t, ctx, chromedp.Evaluate[bool](`document.getElementById("stale").hidden`)); !stale {
		t.Error("a fresh page shows the stale warning")
	}
	if tz := value(t, ctx, chromedp.Text(chromedp.CSS("#tz"))); !strings.Contains(tz, "your zone") {
		t.Errorf("zone note %q", tz)
	}
	saveScreenshot(t, value(t, ctx, chromedp.FullScreenshot(100)))
	// The keyboard: the first Tab is the skip link to the table.
	act(t, ctx, chromedp.KeyEvent(kb.Tab))
	if f := value(t, ctx, chromedp.Evaluate[string](`document.activeElement.className + " → " + document.activeElement.getAttribute("href")`)); f != "skip → #targets" {
		t.Errorf("the first Tab focuses %q, want the skip link", f)
	}

	// Scripts disabled: the same table, the times in UTC.
	noJS := tab()
	act(t, noJS, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}), chromedp.Navigate(pageURL), chromedp.WaitReady(chromedp.CSS("#targets")))
	plain := textOf(t, value(t, noJS, chromedp.OuterHTML(chromedp.CSS("html"))))
	for _, want := range []string{"api ● UP 66.66% 66.66% 66.66% 66.66%", "db ▼ DOWN 66.66%", "(times in UTC)", "status 500, want 200-399", "UTC"} {
		if !strings.Contains(plain, want) {
			t.Errorf("with scripts disabled the page lacks %q:\n%s", want, plain)
		}
	}

	// In another time zone, an hour later (the page re-published as made
	// an hour ago): the times are the viewer's, and the page says it is
	// out of date.
	made := republishOlder(t, stateDir, s3URL, time.Hour)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	later := tab()
	act(t, later, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
		return err
	}), chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS("#stale")))
	staleText := value(t, later, chromedp.Text(chromedp.CSS("#stale")))
	if !strings.Contains(staleText, "out of date") || !strings.Contains(staleText, "60 minutes ago") {
		t.Errorf("stale warning %q", staleText)
	}
	updated := value(t, later, chromedp.Text(chromedp.CSS(".updated time")))
	tz := value(t, later, chromedp.Text(chromedp.CSS("#tz")))
	local := made.In(tokyo)
	h := local.Hour() % 12
	if h == 0 {
		h = 12
	}
	if want := fmt.Sprintf("%02d:%02d", h, local.Minute()); !strings.Contains(updated, want) || !strings.Contains(tz, "Asia/Tokyo") {
		t.Errorf("in Tokyo the page was updated %q (%s), want %s", updated, tz, want)
	}
}

// act runs browser actions, failing the test on an error.
func act(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// value runs one browser action and returns its value.
func value[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// republishOlder rewrites the served page as if made age ago, through the
// S3 endpoint of the running 'medic serve', and returns that time.
func republishOlder(t *testing.T, stateDir, s3URL string, age time.Duration) time.Time {
	t.Helper()
	creds, ok, err := localauth.Load(stateDir)
	if err != nil || !ok {
		t.Fatalf("no local credentials in %s: %v", stateDir, err)
	}
	s := store.New(s3local.NewClient(s3URL, creds), local.DefaultBucket)
	var p site.Page
	if _, err := s.GetJSON(context.Background(), site.JSONKey, &p); err != nil {
		t.Fatal(err)
	}
	p.GeneratedAt = time.Now().UTC().Add(-age).Truncate(time.Second)
	if err := site.Publish(context.Background(), s, p); err != nil {
		t.Fatal(err)
	}
	return p.GeneratedAt
}

// textOf is an HTML document's text, spaces folded.
func textOf(t *testing.T, doc string) string {
	t.Helper()
	n, err := xhtml.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(*xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// rowsJS reads every target row of the table as the page shows it.
const rowsJS = `[...document.querySelectorAll("tr[id^=target-]")].map(tr => {
  const cell = i => tr.children[i].textContent.replace(/\s+/g, " ").trim();
  return {name: cell(0), status: cell(1), "24h": cell(2), "7d": cell(3), "30d": cell(4), "90d": cell(5),
          lastCheck: cell(8), incident: cell(9)};
})`

// servePage starts 'medic serve' on stateDir and returns its status page's
// URL and its S3 endpoint, read from the banner.
func servePage(t *testing.T, stateDir string) (pageURL, s3URL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"serve", "--state-dir", stateDir, "--config", filepath.Join(stateDir, "none.yaml"),
			"--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0", "--page-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := regexp.MustCompile(`status page\s+(http://\S+)`).FindStringSubmatch(stdout.String())
	s3 := regexp.MustCompile(`S3 endpoint\s+(http://\S+)`).FindStringSubmatch(stdout.String())
	if m == nil || s3 == nil {
		t.Fatalf("the serve banner names no status page or S3 endpoint:\n%s", stdout.String())
	}
	return m[1], s3[1]
}

func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	path := os.Getenv("MEDIC_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "status-page.png")
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}
