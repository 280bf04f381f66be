package fold_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/fold"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/target"
)

// BenchmarkApply folds a wide outage: a router and n targets behind it
// (half of them through a switch that depends on the router) all go DOWN in
// one run.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			now := t0.Add(10 * time.Minute)
			targets := []target.Target{tgt("router"), tgt("switch", "router")}
			for i := range n {
				dep := "router"
				if i%2 == 1 {
					dep = "switch"
				}
				targets = append(targets, tgt(fmt.Sprintf("svc%05d", i), dep))
			}
			prev := map[string]status.TargetState{}
			down := map[string]status.TargetState{}
			var alerts []outbox.Alert
			for _, t := range targets {
				prev[t.Name] = status.TargetState{Target: t.Name, Status: status.Up, FirstSeenAt: t0}
				st := status.TargetState{Target: t.Name, Status: status.Down, Since: t0, FirstSeenAt: t0, Seq: 1}
				id := status.AlertID(t.Name, outbox.KindDown, 1, "r")
				st.LastAlertID = id
				down[t.Name] = st
				alerts = append(alerts, outbox.Alert{ID: id, Target: t.Name, Kind: outbox.KindDown, Seq: 1, Text: t.Name + " is DOWN"})
			}
			b.ReportAllocs()
			for b.Loop() {
				next := make(map[string]status.TargetState, len(down))
				for k, v := range down {
					next[k] = v
				}
				out, folded := fold.Apply(prev, next, targets, alerts, now, "r")
				if len(out) != 1 || len(folded) != n+1 {
					b.Fatalf("%d alerts, %d folded; want the router's alone, %d folded", len(out), len(folded), n+1)
				}
			}
		})
	}
}
