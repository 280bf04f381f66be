package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// newOutputs tells the operator what was deployed and what to do next.
func newOutputs(stack awscdk.Stack, set Settings, bucket awss3.Bucket, sm awsstepfunctions.StateMachine, topic awssns.Topic, page awscloudfront.Distribution) {
	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
	}
	join := func(parts ...*string) *string { return awscdk.Fn_Join(jsii.String(""), &parts) }
	region := stack.Region()
	arn := sm.StateMachineArn()

	out("StateMachineArn", "The health-check state machine", arn)
	out("BucketName", "The bucket holding config/, pulse/, echo/, state/, outbox/, history/ and site/", bucket.BucketName())
	if page != nil {
		out("StatusPageUrl", "The public status page (site/ of the bucket through CloudFront)",
			join(jsii.String("https://"), page.DistributionDomainName(), jsii.String("/")))
	}
	out("AlertsTopicArn", "SNS topic for the sns channel and the monitor's own alarms: subscribe your email here", topic.TopicArn())
	out("ChannelSecretParameter", `SecureString parameter you create for channel credentials, a JSON object {"NAME": "value"} (docs/deploy.md)`,
		jsii.String(set.SecretParameter))
	out("TargetSecretParameter", `SecureString parameter you create for the values of targets' secrets, a JSON object {"NAME": "value"} (docs/deploy.md)`,
		jsii.String(set.TargetSecretParameter))
	out("ConsoleUrl", "Runs of the health check in the Step Functions console",
		join(jsii.String("https://"), region, jsii.String(".console.aws.amazon.com/states/home?region="), region,
			jsii.String("#/statemachines/view/"), arn))
	out("CheckCommand", "Start a targeted check with the AWS CLI (replace NAME with a target's name)",
		join(jsii.String("aws stepfunctions start-execution --region "), region,
			jsii.String(" --state-machine-arn "), arn, jsii.String(` --input '{"targets":["NAME"]}'`)))
	out("MedicCheckCommand", "Start a targeted check with the medic CLI and follow it (replace NAME with a target's name)",
		join(jsii.String("AWS_REGION="), region, jsii.String(" medic check NAME --aws --state-machine-arn "), arn))
}
