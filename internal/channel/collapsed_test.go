package channel_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/outbox"
)

func TestCollapsedSummary(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 40, 0, 0, time.UTC)
	many := make([]outbox.Collapsed, 12)
	for i := range many {
		many[i] = outbox.Collapsed{ID: fmt.Sprint(i), Kind: outbox.KindDown, At: at.Add(-time.Duration(12-i) * time.Minute)}
	}
	tests := []struct {
		name      string
		collapsed []outbox.Collapsed
		want      string
	}{
		{"none", nil, "web is DOWN"},
		{"two", []outbox.Collapsed{{Kind: outbox.KindDown, At: at.Add(-30 * time.Minute)}, {Kind: outbox.KindRecovered, At: at.Add(-15 * time.Minute)}},
			"web is DOWN (while this channel was unreachable: DOWN at 10:10 UTC, RECOVERED at 10:25 UTC)"},
		{"another day", []outbox.Collapsed{{Kind: outbox.KindStale, At: at.Add(-24 * time.Hour)}},
			"web is DOWN (while this channel was unreachable: STALE at 2026-11-20 10:40 UTC)"},
		{"more than ten", many,
			"web is DOWN (while this channel was unreachable: DOWN at 10:28 UTC, DOWN at 10:29 UTC, DOWN at 10:30 UTC, DOWN at 10:31 UTC, DOWN at 10:32 UTC, DOWN at 10:33 UTC, DOWN at 10:34 UTC, DOWN at 10:35 UTC, DOWN at 10:36 UTC, DOWN at 10:37 UTC, and 2 more)"},
	}
	for _, tt := range tests {
		a := outbox.Alert{Target: "web", Kind: outbox.KindDown, Text: "web is DOWN", At: at, Collapsed: tt.collapsed}
		if got := channel.Text(a); got != tt.want {
			t.Errorf("%s: Text = %q, want %q", tt.name, got, tt.want)
		}
	}
}
