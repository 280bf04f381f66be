// Package cadence is how often a full check runs: the stack's
// scheduleMinutes setting (EventBridge Scheduler's rate) and `medic run
// --every` locally mean the same thing and share Default. The cost model
// prices a month of runs at a cadence.
package cadence

import (
	"fmt"
	"time"
)

// Default is the cadence when none is set: the stack's scheduleMinutes
// default (cdk.json) and the value of a bare `medic run --every`.
const Default = 10 * time.Minute

// Month is the month the cost model prices: 30 days.
const Month = 30 * 24 * time.Hour

// MinStack and MaxStack bound the stack's cadence: EventBridge Scheduler's
// rate is in whole minutes, and the "no scheduled run" alarm watches twice
// the cadence, within CloudWatch's one-day alarm period.
const (
	MinStack = time.Minute
	MaxStack = 720 * time.Minute
)

// RunsPerMonth is how many scheduled runs a 30-day month has at cadence
// every (4,320 at 10 minutes), rounded down.
func RunsPerMonth(every time.Duration) int {
	if every <= 0 {
		return 0
	}
	return int(Month / every)
}

// Minutes is every as a whole number of minutes, as scheduleMinutes takes
// it; a cadence that is not whole minutes, or is outside MinStack..MaxStack,
// is an error naming it.
func Minutes(every time.Duration) (int, error) {
	if every%time.Minute != 0 || every < MinStack || every > MaxStack {
		return 0, fmt.Errorf("cadence %s: the stack's schedule takes whole minutes from %s to %s", every, MinStack, MaxStack)
	}
	return int(every / time.Minute), nil
}
