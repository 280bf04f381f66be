package channel

import (
	"fmt"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
)

// Headline is a short title for an alert: "web is DOWN", "web RECOVERED".
func Headline(a outbox.Alert) string {
	switch a.Kind {
	case outbox.KindRecovered:
		return a.Target + " RECOVERED"
	case outbox.KindReminder:
		return a.Target + " is still DOWN"
	case outbox.KindUnmonitored:
		return a.Target + " is not monitored"
	case outbox.KindMonitored:
		return a.Target + " is monitored again"
	case outbox.KindMaintenance:
		return a.Target + ": maintenance over"
	default:
		return a.Target + " is " + a.Kind
	}
}

// Text is the alert's one-line message: Alert.Text as CheckStaleness wrote
// it, or one built from the alert's fields when it is empty, followed by
// the summary of the alerts collapsed into it (CollapsedSummary).
func Text(a outbox.Alert) string {
	s := a.Text
	if s == "" {
		s = Headline(a)
		if !a.Since.IsZero() {
			s += " since " + FormatTime(a.Since)
		}
		if len(a.Failures) > 0 {
			s += ": " + strings.Join(a.Failures, "; ")
		}
	}
	if sum := CollapsedSummary(a); sum != "" {
		s += " (" + sum + ")"
	}
	return s
}

// maxCollapsedNamed bounds the alerts a summary line lists one by one.
const maxCollapsedNamed = 10

// CollapsedSummary is the one line that tells the alerts collapsed into a
// ("while this channel was unreachable: DOWN at 10:10 UTC, RECOVERED at
// 10:25 UTC"), or "" when there are none.
func CollapsedSummary(a outbox.Alert) string {
	if len(a.Collapsed) == 0 {
		return ""
	}
	parts := make([]string, 0, min(len(a.Collapsed), maxCollapsedNamed)+1)
	for i, c := range a.Collapsed {
		if i == maxCollapsedNamed {
			parts = append(parts, fmt.Sprintf("and %d more", len(a.Collapsed)-maxCollapsedNamed))
			break
		}
		at := c.At.UTC().Format("15:04 UTC")
		if !a.At.IsZero() && c.At.UTC().Format("2006-01-02") != a.At.UTC().Format("2006-01-02") {
			at = FormatTime(c.At)
		}
		parts = append(parts, c.Kind+" at "+at)
	}
	return "while this channel was unreachable: " + strings.Join(parts, ", ")
}

// FormatTime writes t as people read it in an alert: "2026-11-21 10:00 UTC".
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Emoji marks an alert's kind in chat channels.
func Emoji(kind string) string {
	switch kind {
	case outbox.KindDown:
		return "🔴"
	case outbox.KindStale:
		return "🟠"
	case outbox.KindRecovered:
		return "🟢"
	case outbox.KindReminder:
		return "🔁"
	case outbox.KindUnmonitored:
		return "⚠️"
	case outbox.KindMonitored:
		return "👁️"
	case outbox.KindMaintenance:
		return "🛠️"
	case outbox.KindFlapping:
		return "🔀"
	default:
		return "ℹ️"
	}
}

// Colour is an alert kind's colour as 0xRRGGBB (red down, amber stale or
// flapping, green recovered).
func Colour(kind string) int {
	switch kind {
	case outbox.KindDown, outbox.KindReminder:
		return 0xE01E5A
	case outbox.KindStale, outbox.KindUnmonitored, outbox.KindFlapping:
		return 0xECB22E
	case outbox.KindRecovered, outbox.KindMonitored:
		return 0x2EB67D
	default:
		return 0x808080
	}
}

// Details lists the alert's facts as "label: value" lines, for channels that
// send more than one line (SNS email, LINE).
func Details(a outbox.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", Emoji(a.Kind), Text(a))
	if a.Endpoint != "" {
		fmt.Fprintf(&b, "Endpoint: %s\n", a.Endpoint)
	}
	if !a.Since.IsZero() {
		fmt.Fprintf(&b, "Since: %s\n", FormatTime(a.Since))
	}
	for _, f := range ExtraFailures(a) {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	fmt.Fprintf(&b, "Alert: %s", a.ID)
	return b.String()
}

// ExtraFailures returns the alert's failures that its text does not already
// say, so a message does not repeat itself.
func ExtraFailures(a outbox.Alert) []string {
	text := Text(a)
	var out []string
	for _, f := range a.Failures {
		if !strings.Contains(text, f) {
			out = append(out, f)
		}
	}
	return out
}
