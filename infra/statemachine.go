package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
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
		Comment:                 jsii.String("medic health check: load targets, probe, write echoes, check staleness, notify"),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
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
