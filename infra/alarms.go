package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// newAlarms watches the monitor itself: failed, timed-out and throttled
// executions, and no execution started for twice the schedule period. Each
// alarm notifies the topic when it fires and when it clears.
func newAlarms(stack awscdk.Stack, set Settings, sm awsstepfunctions.StateMachine, topic awssns.Topic) {
	action := awscloudwatchactions.NewSnsAction(topic)
	fiveMinutes := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	type alarmSpec struct {
		id, description string
		metric          awscloudwatch.Metric
		comparison      awscloudwatch.ComparisonOperator
		missing         awscloudwatch.TreatMissingData
	}
	quiet := 2 * set.ScheduleMinutes
	specs := []alarmSpec{
		{"ExecutionsFailed", "medic: a health-check execution failed", sm.MetricFailed(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING},
		{"ExecutionsTimedOut", "medic: a health-check execution timed out", sm.MetricTimedOut(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING},
		{"ExecutionsThrottled", "medic: starting a health-check execution was throttled", sm.MetricThrottled(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING},
		{"NoExecutionsStarted", fmt.Sprintf("medic: no health-check execution started in %d minutes (twice the schedule): the monitor has stopped", quiet),
			sm.MetricStarted(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(float64(quiet))), Statistic: jsii.String("Sum")}),
			awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, awscloudwatch.TreatMissingData_BREACHING},
	}
	for _, s := range specs {
		a := awscloudwatch.NewAlarm(stack, jsii.String(s.id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(s.description),
			Metric:             s.metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: s.comparison,
			TreatMissingData:   s.missing,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
}
