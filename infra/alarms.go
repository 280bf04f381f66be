package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/internal/trigger"
	"github.com/medic-dev/medic/tasks/checkstaleness"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

// MetricNamespace holds medic's own metrics (from log metric filters).
const MetricNamespace = "medic"

// MetricScheduleHeartbeat counts, in MetricNamespace, the scheduled runs
// whose LoadTargets loaded the targets (one per LoadTargets log line of
// trigger "schedule"), plus one when the stack is created, so that the
// "no scheduled run" alarm waits a full period after a fresh deploy.
const MetricScheduleHeartbeat = "ScheduleHeartbeat"

// MetricTargetsNotMonitored is, in MetricNamespace, CheckStaleness's count
// of targets not monitored, from its once-a-run coverage log line.
const MetricTargetsNotMonitored = "TargetsNotMonitored"

// newAlarms watches the monitor itself: failed, timed-out and throttled
// executions, no scheduled run for twice the schedule period, and alert
// delivery (Notify's failures are caught so that the run goes on, so they
// would otherwise never show). Each alarm notifies the topic when it fires
// and when it clears, and the topic's policy lets exactly these alarms
// publish to it.
func newAlarms(stack awscdk.Stack, set Settings, sm awsstepfunctions.StateMachine, fns map[string]awslambda.Function, topic awssns.Topic) []awscloudwatch.Alarm {
	notify := fns["notify"]
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
		// Scheduled runs only: pulse uploads, alarm-triggered and manual
		// runs must not hide a dead schedule. Missing data is breaching (no
		// scheduled run at all in the period is exactly what this alarm is
		// for); the heartbeat put at stack creation keeps it quiet for the
		// first full period, before the first scheduled run's line arrives.
		{"NoScheduledRuns", fmt.Sprintf("medic: no scheduled run loaded its targets in %d minutes (twice the schedule): "+
			"the schedule, its role or LoadTargets has stopped, and nothing is being checked", quiet),
			scheduleHeartbeat(stack, fns["loadtargets"], quiet),
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
	// Monitoring coverage: every CheckStaleness run logs how many targets
	// medic knows but does not monitor (a definition with a problem, a
	// pulse file malformed, unreadable or deleted); their channels are told
	// once, and this alarm stays up while any is left.
	awslogs.NewMetricFilter(stack, jsii.String("TargetsNotMonitoredLines"), &awslogs.MetricFilterProps{
		LogGroup:        fns["checkstaleness"].LogGroup(),
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.message"), jsii.String("="), jsii.String(checkstaleness.CoverageLogMessage)),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricTargetsNotMonitored),
		MetricValue:     jsii.String("$.notMonitored"),
	})
	specs = append(specs, alarmSpec{"TargetsNotMonitored",
		"medic: some targets are not monitored (a problem in their definition or pulse file, or a pulse file deleted): see CheckStaleness's notMonitored and the UNMONITORED alerts",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(MetricNamespace), MetricName: jsii.String(MetricTargetsNotMonitored),
			Period: awscdk.Duration_Minutes(jsii.Number(float64(set.ScheduleMinutes))), Statistic: jsii.String("Maximum")}),
		awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 1})
	var alarms []awscloudwatch.Alarm
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
		alarms = append(alarms, a)
	}
	allowAlarmsToPublish(stack, topic, alarms)
	return alarms
}

// scheduleHeartbeat is MetricScheduleHeartbeat summed over minutes: a log
// metric filter on LoadTargets' JSON lines of scheduled runs, and one data
// point put by a custom resource when the stack is created (not on updates:
// an existing stack has its history).
func scheduleHeartbeat(stack awscdk.Stack, loadTargets awslambda.Function, minutes int) awscloudwatch.Metric {
	awslogs.NewMetricFilter(stack, jsii.String("ScheduledRunLines"), &awslogs.MetricFilterProps{
		LogGroup: loadTargets.LogGroup(),
		FilterPattern: awslogs.FilterPattern_All(
			awslogs.FilterPattern_StringValue(jsii.String("$.message"), jsii.String("="), jsii.String(loadtargets.LogTargetsLoaded)),
			awslogs.FilterPattern_StringValue(jsii.String("$.trigger"), jsii.String("="), jsii.String(trigger.Schedule)),
		),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricScheduleHeartbeat),
		MetricValue:     jsii.String("1"),
		Unit:            awscloudwatch.Unit_COUNT,
	})
	customresources.NewAwsCustomResource(stack, jsii.String("ScheduleHeartbeatAtCreation"), &customresources.AwsCustomResourceProps{
		OnCreate: &customresources.AwsSdkCall{
			Service: jsii.String("CloudWatch"),
			Action:  jsii.String("putMetricData"),
			Parameters: map[string]interface{}{
				"Namespace": MetricNamespace,
				"MetricData": []interface{}{map[string]interface{}{
					"MetricName": MetricScheduleHeartbeat, "Value": 1, "Unit": "Count",
				}},
			},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String("medic-schedule-heartbeat-at-creation")),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("cloudwatch:PutMetricData"),
				// PutMetricData has no resource-level permissions; the
				// namespace condition keeps it to medic's metrics.
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"cloudwatch:namespace": MetricNamespace}},
			}),
		}),
		// The SDK in the Lambda runtime: no download at deploy time.
		InstallLatestAwsSdk: jsii.Bool(false),
	})
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(MetricNamespace),
		MetricName: jsii.String(MetricScheduleHeartbeat),
		Period:     awscdk.Duration_Minutes(jsii.Number(float64(minutes))),
		Statistic:  jsii.String("Sum"),
	})
}

// allowAlarmsToPublish adds to the topic's policy the statement CloudWatch
// needs to deliver the alarms' notifications. The topic policy that
// EnforceSSL creates holds only a Deny and replaces SNS's default policy, so
// without this statement every alarm notification would be refused ("no
// resource-based policy allows the SNS:Publish action"). It is scoped to
// this account and to these alarms' ARNs (the confused-deputy guard).
func allowAlarmsToPublish(stack awscdk.Stack, topic awssns.Topic, alarms []awscloudwatch.Alarm) {
	arns := make([]*string, len(alarms))
	for i, a := range alarms {
		arns[i] = a.AlarmArn()
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowStackAlarmsToPublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
			"ArnEquals":    map[string]interface{}{"aws:SourceArn": arns},
		},
	}))
}
