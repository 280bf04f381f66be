package infra

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddChecks runs cdk-nag's AwsSolutions pack over everything in scope when
// it is synthesized. Findings become error and warning annotations (which
// fail `cdk synth`) and cdk.out/AwsSolutions-<stack>-NagReport.csv.
func AddChecks(scope constructs.Construct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// Reasons for the findings medic accepts. Each suppression names the exact
// resources or actions it covers (appliesTo), so a new wildcard still fails.
const (
	reasonXRay = "X-Ray's PutTraceSegments and PutTelemetryRecords (and the sampling reads) do not support " +
		"resource-level permissions; Resource * is what the service requires for tracing."
	reasonPrefixes = "Each statement is scoped to the one bucket prefix the task owns (config/, pulse/, echo/, state/, outbox/, history/, site/, runs/); " +
		"the * is the object name under that prefix, which is the target name (or, under runs/, the target list's hash; under history/, the UTC day) and not known at deploy time."
	reasonTargetLists = "The Distributed Map's ItemReader reads the run's target list from runs/; the * is the list's hash, " +
		"written by LoadTargets at run time."
	reasonChildExecutions = "A Distributed Map starts its child executions as executions of this state machine named " +
		"<state machine>/<map run label>:<id>; AWS's policy for Distributed Map states scopes DescribeExecution and " +
		"StopExecution to execution:<state machine>/*, the ids being chosen by Step Functions at run time."
	reasonLogDelivery = "Step Functions log delivery (logs:CreateLogDelivery and friends) does not support resource-level " +
		"permissions; Resource * is what the service requires to log executions to CloudWatch Logs."
	reasonAccessLogs = "The bucket is private and written only by medic's own roles every few minutes; server access logs " +
		"would add a second bucket and more objects than the data itself. Use CloudTrail S3 data events for an audit trail."
	reasonCDKHandler = "A handler of aws-cdk-lib itself, run by CloudFormation only at deploy time; its runtime, " +
		"managed logging policy and permissions are set by CDK and cannot be changed from the stack."
)

// bucketPrefixResource matches the prefix-scoped object ARNs of the data
// bucket, as cdk-nag renders them: Resource::<Data1234ABCD.Arn>/echo/*.
var bucketPrefixResource = map[string]interface{}{
	"regex": `/^Resource::<Data[0-9A-F]{8}\.Arn>\/(config|pulse|echo|state|outbox|history|site|runs)\/\*$/`,
}

// cdkAssetsBucketObjects matches the objects of the bootstrap assets
// bucket, with the account and region as tokens (an environment-agnostic
// stack) or literal (when the CLI sets CDK_DEFAULT_ACCOUNT/REGION).
var cdkAssetsBucketObjects = map[string]interface{}{
	"regex": `/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-(<AWS::AccountId>|[0-9]{12})-(<AWS::Region>|[a-z0-9-]+)\/\*$/`,
}

func suppressFindings(s *Stack) {
	suppress := func(c constructs.IConstruct, children bool, sups ...*cdknag.NagPackSuppression) {
		cdknag.NagSuppressions_AddResourceSuppressions(c, &sups, jsii.Bool(children))
	}
	rule := func(id, reason string, appliesTo ...interface{}) *cdknag.NagPackSuppression {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
		if len(appliesTo) > 0 {
			sup.AppliesTo = &appliesTo
		}
		return sup
	}

	for _, task := range Tasks {
		suppress(s.Functions[task].Role(), true,
			rule("AwsSolutions-IAM5", reasonXRay+" "+reasonPrefixes, "Resource::*", bucketPrefixResource))
	}
	suppress(s.StateMachine.Role(), true,
		rule("AwsSolutions-IAM5", reasonLogDelivery+" "+reasonXRay+" "+reasonTargetLists, "Resource::*", bucketPrefixResource))
	suppress(s.DistributedMapPolicy, true,
		rule("AwsSolutions-IAM5", reasonChildExecutions, map[string]interface{}{
			"regex": `/^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):execution:<HealthCheck[0-9A-F]{8}\.Name>\/\*$/`,
		}))
	if s.StatusPage != nil {
		suppress(s.StatusPage, false,
			rule("AwsSolutions-CFR1", "The public status page (statusPage: public) is meant for anyone, wherever they are; the private default needs no distribution at all."),
			rule("AwsSolutions-CFR2", "The distribution serves only GET and HEAD of two static objects (site/index.html, site/status.json), cached for up to a minute; "+
				"a WAF web ACL would add at least $5 a month to a monitor whose stack costs about $2. CloudFront's Shield Standard applies."),
			rule("AwsSolutions-CFR3", "Standard access logs need a second bucket with ACLs enabled, which this stack does not otherwise keep; "+
				"the page is read-only public status information, and CloudFront's request metrics remain available."),
			rule("AwsSolutions-CFR4", "The distribution uses the default *.cloudfront.net certificate, whose security policy cannot be set "+
				"(a custom domain with an ACM certificate is needed for TLSv1.2_2021); the page holds no secrets and takes no input."))
	}
	suppress(s.Bucket, false, rule("AwsSolutions-S1", reasonAccessLogs))

	// The config deployment, the bucket's EventBridge switch and the
	// schedule heartbeat are custom resources whose handlers CDK adds as
	// singletons at the stack's top level.
	for _, c := range *s.Stack.Node().Children() {
		id := *c.Node().Id()
		switch {
		case strings.HasPrefix(id, "Custom::CDKBucketDeployment"):
			suppress(c, true,
				rule("AwsSolutions-L1", reasonCDKHandler),
				rule("AwsSolutions-IAM4", reasonCDKHandler,
					"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
				rule("AwsSolutions-IAM5", reasonCDKHandler+" It copies config/targets.yaml from the CDK assets bucket into the data bucket.",
					"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*",
					cdkAssetsBucketObjects,
					map[string]interface{}{"regex": `/^Resource::<Data[0-9A-F]{8}\.Arn>\/\*$/`}),
			)
		case strings.HasPrefix(id, "AWS679f53fac002430cb0da5b7982bd2287"):
			// The singleton function of AwsCustomResource (the heartbeat).
			suppress(c, true, rule("AwsSolutions-IAM4", reasonCDKHandler+" It puts the one 'medic stack created' event at stack creation.",
				"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"))
		case strings.HasPrefix(id, "BucketNotificationsHandler"):
			suppress(c, true, rule("AwsSolutions-IAM4", reasonCDKHandler+" It turns on EventBridge notifications for the data bucket.",
				"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"))
		}
	}
}
