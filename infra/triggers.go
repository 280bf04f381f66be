package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// ScheduleInput is the fixed input of scheduled executions.
var ScheduleInput = map[string]interface{}{"trigger": "schedule"}

// newTriggers starts the state machine on a schedule, when a pulse/*.json
// object is uploaded, and (with an alarm name prefix) when a matching
// CloudWatch alarm changes state. Each trigger's role may start only this
// state machine.
func newTriggers(stack awscdk.Stack, set Settings, bucket awss3.Bucket, sm awsstepfunctions.StateMachine) {
	awsscheduler.NewSchedule(stack, jsii.String("Schedule"), &awsscheduler.ScheduleProps{
		Description: jsii.String("medic: check every target"),
		Schedule:    awsscheduler.ScheduleExpression_Rate(awscdk.Duration_Minutes(jsii.Number(float64(set.ScheduleMinutes)))),
		Target: awsschedulertargets.NewStepFunctionsStartExecution(sm, &awsschedulertargets.ScheduleTargetBaseProps{
			Input: awsscheduler.ScheduleTargetInput_FromObject(ScheduleInput),
		}),
	})

	// The whole S3 "Object Created" event is the execution input;
	// LoadTargets reads the key and checks that one target.
	awsevents.NewRule(stack, jsii.String("PulseUploaded"), &awsevents.RuleProps{
		Description: jsii.String("medic: a pulse/<target>.json upload starts a check of that target"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings("Object Created"),
			Detail: &map[string]interface{}{
				"bucket": map[string]interface{}{"name": jsii.Strings(*bucket.BucketName())},
				"object": map[string]interface{}{"key": awsevents.Match_Wildcard(jsii.String(PrefixPulse + "*.json"))},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, nil)},
	})

	if set.AlarmNamePrefix == "" {
		return
	}
	// The whole "CloudWatch Alarm State Change" event is the execution input;
	// LoadTargets finds the target from the alarm's metric namespace.
	awsevents.NewRule(stack, jsii.String("AlarmChanged"), &awsevents.RuleProps{
		Description: jsii.String("medic: an alarm named " + set.AlarmNamePrefix + "* going to ALARM or OK starts a check of its target"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.cloudwatch"),
			DetailType: jsii.Strings("CloudWatch Alarm State Change"),
			Detail: &map[string]interface{}{
				"alarmName": awsevents.Match_Prefix(jsii.String(set.AlarmNamePrefix)),
				"state":     map[string]interface{}{"value": jsii.Strings("ALARM", "OK")},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, nil)},
	})
}
