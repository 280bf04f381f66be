package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// MetricNamespace holds medic's own metrics (from log metric filters).
const MetricNamespace = "medic"

// newAlarms watches the monitor itself: failed, timed-out and throttled
// executions, no execution started for twice the schedule period, and alert
// delivery (Notify's failures are caught so that the run goes on, so they
// would otherwise never show). Each alarm notifies the topic when it fires
// and when it clears.
func newAlarms(stack awscdk.Stack, set Settings, sm awsstepfunctions.StateMachine, notify awslambda.Function, topic awssns.Topic) {
	action := awscloudwatchactions.NewSnsAction(topic)
	fiveMinutes := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	type alarmSpec struct {
		id, description string
		metric          awscloudwatch.Metric
		comparison      awscloudwatch.ComparisonOperator
		missing         awscloudwatch.TreatMissingData
		// periods is how many periods in a row must breach; 0 means 1.
		periods float64
	}
	quiet := 2 * set.ScheduleMinutes
	specs := []alarmSpec{
		{"ExecutionsFailed", "medic: a health-check execution failed", sm.MetricFailed(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 0},
		{"ExecutionsTimedOut", "medic: a health-check execution timed out", sm.MetricTimedOut(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 0},
		{"ExecutionsThrottled", "medic: starting a health-check execution was throttled", sm.MetricThrottled(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 0},
		{"NoExecutionsStarted", fmt.Sprintf("medic: no health-check execution started in %d minutes (twice the schedule): the monitor has stopped", quiet),
			sm.MetricStarted(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(float64(quiet))), Statistic: jsii.String("Sum")}),
			awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, awscloudwatch.TreatMissingData_BREACHING, 0},
	}
	// Every ERROR line of the notify function: an alert rejected by a
	// channel (a deleted webhook, a revoked token), dropped at its deadline,
	// or an outcome that could not be recorded.
	awslogs.NewMetricFilter(stack, jsii.String("NotifyErrorLines"), &awslogs.MetricFilterProps{
		LogGroup:        notify.LogGroup(),
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.level"), jsii.String("="), jsii.String("ERROR")),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String("AlertDeliveryErrors"),
		MetricValue:     jsii.String("1"),
	})
	specs = append(specs, alarmSpec{"AlertDeliveryErrors",
		"medic: an alert was rejected by a channel or dropped undelivered (see the notify function's log: ALERT DROPPED or \"alert rejected by channel\")",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(MetricNamespace), MetricName: jsii.String("AlertDeliveryErrors"),
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}),
		awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 1})
	// Transient delivery failures are retried and then held for the next
	// run; failing in three runs in a row means a channel is down for good.
	runs := 3.0
	if runs*float64(set.ScheduleMinutes) > 24*60 {
		runs = 1 // CloudWatch looks back at most one day
	}
	specs = append(specs, alarmSpec{"AlertDeliveryFailing",
		fmt.Sprintf("medic: alert delivery failed in %.0f run(s) in a row: a channel is unreachable and alerts are waiting in outbox/", runs),
		notify.MetricErrors(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(float64(set.ScheduleMinutes))), Statistic: jsii.String("Sum")}),
		awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, runs})
	for _, s := range specs {
		periods := s.periods
		if periods == 0 {
			periods = 1
		}
		a := awscloudwatch.NewAlarm(stack, jsii.String(s.id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(s.description),
			Metric:             s.metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(periods),
			ComparisonOperator: s.comparison,
			TreatMissingData:   s.missing,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
}
