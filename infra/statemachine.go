package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/statemachines"
)

// newStateMachine deploys the embedded health-check definition (already
// rendered with the numeric settings) as a Standard state machine with the
// function ARNs substituted by CloudFormation. Invoke is granted for each function
// explicitly, because CDK cannot see which functions a string definition calls.
func newStateMachine(stack awscdk.Stack, def string, set Settings, fns map[string]awslambda.Function) awsstepfunctions.StateMachine {
	logs := awslogs.NewLogGroup(stack, jsii.String("HealthCheckLogs"), &awslogs.LogGroupProps{
		// The vendedlogs prefix keeps the CloudWatch Logs resource policy
		// small when many state machines log.
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + *stack.StackName() + "-HealthCheck"),
		Retention:     set.Retention(),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	subs := map[string]*string{}
	for task, placeholder := range statemachines.FunctionPlaceholders {
		subs[placeholder] = fns[task].FunctionArn()
	}
	sm := awsstepfunctions.NewStateMachine(stack, jsii.String("HealthCheck"), &awsstepfunctions.StateMachineProps{
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(def)),
		DefinitionSubstitutions: &subs,
		Comment:                 jsii.String(comment(set)),
		Logs: &awsstepfunctions.LogOptions{
			Destination: logs,
			Level:       awsstepfunctions.LogLevel_ALL,
			// The Express children log with the parent's settings: with
			// execution data every batch's targets and probe results would
			// be logged (and billed) each run. The parent's own history
			// keeps its data in the console either way, and its
			// ProbeTargets output names every batch's echo object.
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled: jsii.Bool(true),
		// A run takes minutes; one stuck for an hour is a bug to surface as a
		// timed-out execution (and an alarm).
		Timeout: awscdk.Duration_Hours(jsii.Number(1)),
	})
	// Exactly the five unqualified ARNs the definition names (GrantInvoke
	// would also allow every version and alias, ARN:*).
	var arns []*string
	for _, task := range Tasks {
		arns = append(arns, fns[task].FunctionArn())
	}
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeTaskFunctions"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &arns,
	}))
	return sm
}

func comment(Settings) string {
	return "medic health check: load targets to S3, probe them in one Express child execution per batch, write one echo object per batch, check staleness, notify"
}

// grantDistributedMap gives the state machine's role what the
// definition's Distributed Map needs (AWS's "IAM policies for Distributed
// Map states"): start child executions of this state machine, describe and
// stop them (execution:<name>/<map run label>:<id>), and read the target
// list the ItemReader gets from runs/. The execution statements sit in
// their own policy: the state machine depends on its role's default
// policy, so that policy cannot name the state machine's own ARN.
func grantDistributedMap(stack awscdk.Stack, sm awsstepfunctions.StateMachine, bucket awss3.Bucket) awsiam.Policy {
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadTargetLists"),
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(*bucket.ArnForObjects(jsii.String(PrefixRuns + "*"))),
	}))
	children := awscdk.Stack_Of(sm).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("execution"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		ResourceName: jsii.String(*sm.StateMachineName() + "/*"),
	})
	policy := awsiam.NewPolicy(stack, jsii.String("DistributedMapPolicy"), &awsiam.PolicyProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("StartChildExecutions"),
				Actions:   jsii.Strings("states:StartExecution"),
				Resources: jsii.Strings(*sm.StateMachineArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ManageChildExecutions"),
				Actions:   jsii.Strings("states:DescribeExecution", "states:StopExecution"),
				Resources: jsii.Strings(*children),
			}),
		},
	})
	sm.Role().AttachInlinePolicy(policy)
	return policy
}
