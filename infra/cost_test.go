package infra

import (
	"testing"

	"github.com/medic-dev/medic/internal/cost"
)

// TestCostModelMirrorsStack checks that the cost model prices what the
// default stack deploys: its monthly alarms and custom metrics (one per log
// metric filter); it creates no secret (the operator's SecureString
// parameters have no monthly charge).
func TestCostModelMirrorsStack(t *testing.T) {
	s := defaultStack(t)
	for _, c := range []struct {
		typ, constant string
		want          int
	}{
		{"AWS::CloudWatch::Alarm", "cost.StackAlarms", cost.StackAlarms},
		// Both of the problem metric's filters feed one metric.
		{"AWS::Logs::MetricFilter", "2 filters for cost.StackProblemMetrics", 2 * cost.StackProblemMetrics},
		{"AWS::SecretsManager::Secret", "no secret", 0},
	} {
		if got := len(s.resources(c.typ)); got != c.want {
			t.Errorf("the default stack has %d %s, %s is %d: change internal/cost and infra/ together", got, c.typ, c.constant, c.want)
		}
	}
}
