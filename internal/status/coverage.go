package status

import (
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/target"
)

// NotMonitored marks st as no longer monitored for reason, from now, and
// returns the alert that says so to channels (none when channels is
// empty). A target already marked keeps its first reason and raises
// nothing: the loss is told once.
func NotMonitored(st *TargetState, reason string, channels []string, now time.Time, raiser string) []outbox.Alert {
	if st.NotMonitored != "" {
		return nil
	}
	st.NotMonitored, st.NotMonitoredSince = reason, now
	st.Seq++
	text := st.Target + " is no longer monitored: " + reason
	a, ok := newAlert(st, target.Target{Name: st.Target, Channels: channels}, outbox.KindUnmonitored, text, now, raiser)
	if !ok {
		return nil
	}
	return []outbox.Alert{a}
}

// MonitoredAgain clears st's NotMonitored mark and returns the alert that
// says the target is monitored again (none when it was not marked or
// channels is empty).
func MonitoredAgain(st *TargetState, channels []string, now time.Time, raiser string) []outbox.Alert {
	if st.NotMonitored == "" {
		return nil
	}
	since := st.NotMonitoredSince
	st.NotMonitored, st.NotMonitoredSince = "", time.Time{}
	st.Seq++
	text := st.Target + " is monitored again (it was not for " + HumanDuration(now.Sub(since)) + ")"
	a, ok := newAlert(st, target.Target{Name: st.Target, Channels: channels}, outbox.KindMonitored, text, now, raiser)
	if !ok {
		return nil
	}
	return []outbox.Alert{a}
}

// UnmatchedAlert is the alert for an alarm run that named name, which no
// target has: nothing was checked for it.
func UnmatchedAlert(name string, channels []string, now time.Time, raiser string) (outbox.Alert, bool) {
	st := TargetState{Target: name, Since: now}
	text := "an alarm asked medic to check " + name + ", but no target has that name: nothing was checked (name a target after the alarm metric's namespace)"
	return newAlert(&st, target.Target{Name: name, Channels: channels}, outbox.KindUnmonitored, text, now, raiser)
}
