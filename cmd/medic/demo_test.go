package main

import (
	"strings"
	"testing"
)

// TestDemo runs the README's first command and checks the story it tells:
// DOWN, STALE and RECOVERED alerts arrive, and it exits 0.
func TestDemo(t *testing.T) {
	code, out, errOut := medic(t, "demo")
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"── cycle 1 of 6",
		"── cycle 6 of 6 · ",
		"webhook ← DOWN      postgres is DOWN",
		"webhook ← DOWN      search-api is DOWN",
		"webhook ← DOWN      status-page is DOWN",
		// The gateway's outage is one alert, naming the targets behind it.
		"webhook ← DOWN      gateway is DOWN since ",
		`"gateway unavailable\n", want "ok"; 2 dependent targets also failing: cart, checkout`,
		"webhook ← RECOVERED gateway RECOVERED after 15m down",
		"webhook ← STALE     backup-job is STALE",
		"  TARGET       GROUP  STATUS",
		"  checkout     shop   DOWN         FAIL", // STATUS as wide as MAINTENANCE
		// billing fails inside its maintenance window: no DOWN, no
		// RECOVERED, MAINTENANCE in the table, one summary after.
		"  billing      shop   MAINTENANCE  FAIL",
		"webhook ← MAINTENANCE billing: maintenance ",
		" is over: UP → DOWN → UP, 2 of 3 checks failed; now UP",
		"alerts received: 4 DOWN, 1 STALE, 1 RECOVERED, 1 MAINTENANCE summary; 2 targets' alerts folded into their dependency's.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	// Alerts arrive once: the outbox never sends twice to a channel that took it.
	if n := strings.Count(out, "webhook ← DOWN      gateway"); n != 1 {
		t.Errorf("gateway DOWN alert arrived %d times", n)
	}
	// The targets behind the gateway are DOWN with it, but tell nothing
	// on their own: not their DOWN, not their recovery.
	for _, folded := range []string{"webhook ← DOWN      cart", "webhook ← DOWN      checkout", "RECOVERED cart", "RECOVERED checkout", "webhook ← DOWN      billing", "RECOVERED billing"} {
		if strings.Contains(out, folded) {
			t.Errorf("demo output has %q: that alert should be folded into the gateway's", folded)
		}
	}
}

func TestDemoFlags(t *testing.T) {
	code, _, errOut := medic(t, "demo", "--cycles", "0")
	if code != exitUsage || !strings.Contains(errOut, "--cycles must be between 1 and 50") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
