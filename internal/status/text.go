package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// timeLayout is how alert texts write a time.
const timeLayout = "2006-01-02 15:04 UTC"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// downText: "web is DOWN since 2026-11-21 10:00 UTC: status 503, want 200-399".
// A reminder says "still" and for how long.
func downText(st TargetState, reminder bool, now time.Time) string {
	var b strings.Builder
	b.WriteString(st.Target)
	if reminder {
		b.WriteString(" is still DOWN since ")
	} else {
		b.WriteString(" is DOWN since ")
	}
	b.WriteString(formatTime(st.Since))
	if reminder {
		fmt.Fprintf(&b, " (%s)", HumanDuration(now.Sub(st.Since)))
	}
	if len(st.LastFailures) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(st.LastFailures, "; "))
	}
	return b.String()
}

// staleText: "beat is STALE: no heartbeat since 2026-11-21 10:00 UTC" for a
// heartbeat target, "web is STALE: no check result since ... (is the
// monitor running?)" for a probed one.
func staleText(st TargetState, t target.Target, reminder bool, now time.Time) string {
	what := "no check result"
	// A probed heartbeat target is STALE for want of echoes when Since is
	// its last echo; otherwise for want of a heartbeat.
	if isHeartbeat(t) && !(isProbed(t) && !st.LastEchoAt.IsZero() && st.Since.Equal(st.LastEchoAt)) {
		what = "no heartbeat"
	}
	is := " is STALE: "
	if reminder {
		is = " is still STALE: "
	}
	s := st.Target + is + what + " since " + formatTime(st.Since)
	if reminder {
		s += " (" + HumanDuration(now.Sub(st.Since)) + ")"
	}
	if what == "no check result" {
		s += "; is the monitor running?"
	}
	return s
}

// recoveredText: "web RECOVERED after 25m down".
func recoveredText(name, from string, d time.Duration) string {
	return fmt.Sprintf("%s RECOVERED after %s %s", name, HumanDuration(d), strings.ToLower(from))
}

// HumanDuration writes d coarsely for people: "45s", "25m", "1h 20m", "2d 3h".
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	default:
		return fmt.Sprintf("%dm", mins)
	}
}
