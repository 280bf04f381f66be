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
		"webhook ← DOWN      checkout is DOWN",
		"webhook ← RECOVERED checkout",
		"webhook ← STALE     backup-job is STALE",
		"alerts received: 4 DOWN, 1 STALE, 1 RECOVERED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	// Alerts arrive once: the outbox never sends twice to a channel that took it.
	if n := strings.Count(out, "webhook ← DOWN      checkout"); n != 1 {
		t.Errorf("checkout DOWN alert arrived %d times", n)
	}
}

func TestDemoFlags(t *testing.T) {
	code, _, errOut := medic(t, "demo", "--cycles", "0")
	if code != exitUsage || !strings.Contains(errOut, "--cycles must be between 1 and 50") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
