package infra

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/tasks/checkstaleness"
)

// MetricNamespace holds medic's own metrics (from log metric filters).
const MetricNamespace = "medic"

// MetricMonitorProblems is, in MetricNamespace, the problems the logs
// report: 1 for each ERROR line of the notify function (an alert rejected
// by a channel, dropped at its deadline, or an outcome that could not be
// recorded), and CheckStaleness's count of targets not monitored from its
// once-a-run coverage line when that count is above zero. One metric for
// both, so that one alarm covers them; it has data only while something
// is wrong.
const MetricMonitorProblems = "MonitorProblems"

// Event shapes the alarms' rules match (AWS-FACTS: Step Functions sends a
// "Step Functions Execution Status Change" event to the default bus for
// every Standard execution that changes status, with the execution's input
// as a string).
const (
	sfnSource           = "aws.states"
	sfnStatusChange     = "Step Functions Execution Status Change"
	deploySource        = "medic.deploy"
	deployCreatedDetail = "medic stack created"
)

// newAlarms watches the monitor itself, every alarm on a metric AWS
// provides or on a metric that has data only while something is wrong (a
// custom metric is billed only for the hours it gets data):
//
//   - RunsFailed: an execution FAILED, TIMED_OUT or was ABORTED, counted
//     by an EventBridge rule on Step Functions' status-change events
//     (one alarm metric for the three).
//   - ExecutionsThrottled: Step Functions throttled a state transition.
//   - NoScheduledRuns: no execution started by the schedule SUCCEEDED in
//     twice the cadence (missing data breaches), counted by a rule on the
//     SUCCEEDED events whose input is the schedule's; an event put when the
//     stack is created counts once, so the alarm waits a full period after
//     a fresh deploy.
//   - MonitorProblems: any ERROR line of the notify function (Notify's
//     failures are caught so that the run goes on, so they would otherwise
//     never show), or CheckStaleness reporting targets it knows but does
//     not monitor.
//   - AlertDeliveryFailing: notify's function errors in three runs in a
//     row (a channel down for good; also a Notify that crashes).
//
// Each alarm notifies the topic when it fires and when it clears, and the
// topic's policy lets exactly these alarms publish to it.
func newAlarms(stack awscdk.Stack, set Settings, sm awsstepfunctions.StateMachine, fns map[string]awslambda.Function, topic awssns.Topic) []awscloudwatch.Alarm {
	notify := fns["notify"]
	action := awscloudwatchactions.NewSnsAction(topic)
	minutes := func(m int) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(float64(m))) }
	fiveMinutes := &awscloudwatch.MetricOptions{Period: minutes(5), Statistic: jsii.String("Sum")}
	type alarmSpec struct {
		id, description string
		metric          awscloudwatch.IMetric
		comparison      awscloudwatch.ComparisonOperator
		missing         awscloudwatch.TreatMissingData
		// periods is how many periods in a row must breach; 0 means 1.
		periods float64
	}
	quiet := 2 * set.ScheduleMinutes

	failed := awsevents.NewRule(stack, jsii.String("RunFailed"), &awsevents.RuleProps{
		Description: jsii.String("medic: a health-check execution failed, timed out or was aborted (counted by the RunsFailed alarm)"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(sfnSource),
			DetailType: jsii.Strings(sfnStatusChange),
			Detail: &map[string]interface{}{
				"status":          jsii.Strings("FAILED", "TIMED_OUT", "ABORTED"),
				"stateMachineArn": jsii.Strings(*sm.StateMachineArn()),
			},
		},
	})
	specs := []alarmSpec{
		{"RunsFailed", "medic: a health-check execution failed, timed out or was aborted: see the state machine's executions (ConsoleUrl output)",
			triggered(failed, minutes(5)),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 0},
		{"ExecutionsThrottled", "medic: Step Functions throttled a state transition of a health-check execution", sm.MetricThrottled(fiveMinutes),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, 0},
		// Scheduled runs only: pulse uploads, alarm-triggered and manual
		// runs must not hide a dead schedule. Missing data is breaching (no
		// scheduled run at all in the period is exactly what this alarm is
		// for).
		{"NoScheduledRuns", fmt.Sprintf("medic: no scheduled run succeeded in %d minutes (twice the schedule): "+
			"the schedule, its role or the runs have stopped, and nothing is being checked", quiet),
			triggered(scheduledRunSucceeded(stack, sm), minutes(quiet)),
			awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, awscloudwatch.TreatMissingData_BREACHING, 0},
	}
	// Every ERROR line of the notify function. The filter has no default
	// value: the metric has data only while alerts fail.
	awslogs.NewMetricFilter(stack, jsii.String("NotifyErrorLines"), &awslogs.MetricFilterProps{
		LogGroup:        notify.LogGroup(),
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.level"), jsii.String("="), jsii.String("ERROR")),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricMonitorProblems),
		MetricValue:     jsii.String("1"),
	})
	// Transient delivery failures are retried and then held for the next
	// run; failing in three runs in a row means a channel is down for good.
	runs := 3.0
	if runs*float64(set.ScheduleMinutes) > 24*60 {
		runs = 1 // CloudWatch looks back at most one day
	}
	specs = append(specs, alarmSpec{"AlertDeliveryFailing",
		fmt.Sprintf("medic: alert delivery failed in %.0f run(s) in a row: a channel is unreachable and alerts are waiting in outbox/", runs),
		notify.MetricErrors(&awscloudwatch.MetricOptions{Period: minutes(set.ScheduleMinutes), Statistic: jsii.String("Sum")}),
		awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING, runs})
	// Monitoring coverage: every CheckStaleness run logs how many targets
	// medic knows but does not monitor (a definition with a problem, a
	// pulse file malformed, unreadable or deleted); their channels are told
	// once, and this alarm stays up while any is left. Only lines with a
	// count above zero become data, so a healthy month has none.
	awslogs.NewMetricFilter(stack, jsii.String("TargetsNotMonitoredLines"), &awslogs.MetricFilterProps{
		LogGroup: fns["checkstaleness"].LogGroup(),
		FilterPattern: awslogs.FilterPattern_All(
			awslogs.FilterPattern_StringValue(jsii.String("$.message"), jsii.String("="), jsii.String(checkstaleness.CoverageLogMessage)),
			awslogs.FilterPattern_NumberValue(jsii.String("$.notMonitored"), jsii.String(">"), jsii.Number(0)),
		),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricMonitorProblems),
		MetricValue:     jsii.String("$.notMonitored"),
	})
	specs = append(specs, alarmSpec{"MonitorProblems",
		"medic: an alert was rejected by a channel or dropped undelivered (the notify function's log: ALERT DROPPED or \"alert rejected by channel\"), " +
			"or some targets are not monitored (CheckStaleness's log: \"monitoring coverage\" with notMonitored, and the UNMONITORED alerts)",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(MetricNamespace), MetricName: jsii.String(MetricMonitorProblems),
			Period: minutes(set.ScheduleMinutes), Statistic: jsii.String("Maximum")}),
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

// triggered is how often rule matched an event (AWS/Events TriggeredRules
// of the default bus), summed over period.
func triggered(rule awsevents.Rule, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Events"),
		MetricName:    jsii.String("TriggeredRules"),
		DimensionsMap: &map[string]*string{"RuleName": rule.RuleName()},
		Period:        period,
		Statistic:     jsii.String("Sum"),
	})
}

// ScheduleInputJSON is the schedule's execution input as Step Functions
// receives it and reports it in status-change events.
func ScheduleInputJSON() string {
	b, err := json.Marshal(ScheduleInput)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return string(b)
}

// scheduledRunSucceeded is the rule the NoScheduledRuns alarm counts: a
// SUCCEEDED execution of sm whose input is the schedule's, or the event a
// custom resource puts once when the stack is created (not on updates: an
// existing stack has its history), so that a fresh stack's alarm waits a
// full period for its first scheduled run.
func scheduledRunSucceeded(stack awscdk.Stack, sm awsstepfunctions.StateMachine) awsevents.Rule {
	rule := awsevents.NewRule(stack, jsii.String("ScheduledRunSucceeded"), &awsevents.RuleProps{
		Description: jsii.String("medic: a scheduled run succeeded, or the stack was created (counted by the NoScheduledRuns alarm)"),
		// CDK's EventPattern has no $or: the override below adds it (merged
		// with this source list, which both branches satisfy).
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(sfnSource, deploySource)},
	})
	rule.Node().DefaultChild().(awsevents.CfnRule).AddPropertyOverride(jsii.String("EventPattern"), map[string]interface{}{
		"$or": []interface{}{
			map[string]interface{}{
				"source":      []string{sfnSource},
				"detail-type": []string{sfnStatusChange},
				"detail": map[string]interface{}{
					"status":          []string{"SUCCEEDED"},
					"stateMachineArn": []*string{sm.StateMachineArn()},
					"input":           []string{ScheduleInputJSON()},
				},
			},
			map[string]interface{}{
				"source":      []string{deploySource},
				"detail-type": []string{deployCreatedDetail},
				"detail":      map[string]interface{}{"stackId": []*string{stack.StackId()}},
			},
		},
	})
	created := customresources.NewAwsCustomResource(stack, jsii.String("ScheduleHeartbeatAtCreation"), &customresources.AwsCustomResourceProps{
		OnCreate: &customresources.AwsSdkCall{
			Service: jsii.String("EventBridge"),
			Action:  jsii.String("putEvents"),
			Parameters: map[string]interface{}{
				"Entries": []interface{}{map[string]interface{}{
					"Source":     deploySource,
					"DetailType": deployCreatedDetail,
					"Detail":     awscdk.Stack_Of(stack).ToJsonString(map[string]interface{}{"stackId": stack.StackId()}, nil),
				}},
			},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String("medic-schedule-heartbeat-at-creation")),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("events:PutEvents"),
				// The default bus, and only events of medic's deploy source.
				Resources:  jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("event-bus"), ResourceName: jsii.String("default")})),
				Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"events:source": deploySource}},
			}),
		}),
		// The SDK in the Lambda runtime: no download at deploy time.
		InstallLatestAwsSdk: jsii.Bool(false),
	})
	// The event must find the rule in place.
	created.Node().AddDependency(rule)
	return rule
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
