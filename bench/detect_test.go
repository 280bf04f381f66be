package bench

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// TestMeasureDetection runs a few outages and blips of the study at the
// built-in confirmation: every outage is alerted by the first run that
// sees it (within one cadence and the two pauses, plus the little real
// time the handlers take), a blip shorter than the pause raises nothing,
// and one longer than both pauses is an outage.
func TestMeasureDetection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a few dozen real cycles")
	}
	s := DetectSetting{Cadence: 10 * time.Minute, Attempts: target.DefaultConfirmAttempts, Interval: target.DefaultConfirmInterval}
	o := DetectStudyOptions{Outages: 5, Blips: 2, BlipLengths: []time.Duration{time.Second, 30 * time.Second}}
	r, err := MeasureDetection(context.Background(), s, o, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	window := time.Duration(s.Attempts) * s.Interval
	if r.Missed != 0 || r.Best < window || r.Worst > s.Cadence+window+time.Minute {
		t.Fatalf("%+v: want every outage alerted after at least the %v of pauses and within one cadence of them", r, window)
	}
	if r.BlipAlerts[time.Second] != 0 || r.BlipAlerts[30*time.Second] != o.Blips {
		t.Fatalf("blip alerts %v, want none for 1s blips and every 30s blip alerted", r.BlipAlerts)
	}
}
