package infra

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// BundlingImage is required by CDK's bundling options but never used: the
// binaries are built locally by goBundler.
const BundlingImage = "public.ecr.aws/docker/library/golang:1.26"

// functionSpec is what differs between the task functions.
type functionSpec struct {
	description string
	memoryMB    float64
	timeout     awscdk.Duration
	env         map[string]string
	access      s3Access
}

// s3Access lists the object prefixes a function may read, write, delete and
// list. Each becomes its own statement scoped to those prefixes.
type s3Access struct {
	get, put, del, list []string
	// keys are single objects the function reads (GetObject on exactly
	// that key) and may find absent (ListBucket with s3:prefix exactly the
	// key, so a missing one reads as NoSuchKey).
	keys []string
}

// functionSpecs are the per-task settings: memory, timeout, environment
// (the contract in DESIGN.md) and S3 access.
func functionSpecs(set Settings) map[string]functionSpec {
	return map[string]functionSpec{
		"loadtargets": {
			description: "medic LoadTargets: reads config/ and pulse/, picks the targets of a run and writes them, sorted, to runs/",
			memoryMB:    128,
			timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
			env: map[string]string{
				"MEDIC_CONFIG_KEY":  ConfigKey,
				"MEDIC_BATCH_SIZE":  fmt.Sprint(set.BatchSize),
				"MEDIC_STALE_AFTER": set.StaleAfter,
			},
			access: s3Access{
				// LoadTargets writes the target list, reading first; config/
				// and runs/ are listed only so a missing object reads as
				// NoSuchKey rather than AccessDenied.
				get:  []string{PrefixConfig, PrefixPulse, PrefixRuns},
				put:  []string{PrefixRuns},
				list: []string{PrefixConfig, PrefixPulse, PrefixRuns},
				// The pauses: a paused target is not probed.
				keys: []string{HoldsKey},
			},
		},
		"probe": {
			description: "medic Probe: checks one batch of targets concurrently",
			memoryMB:    256,
			// Targets time out after at most 60 s; leave room for the rest.
			timeout: awscdk.Duration_Seconds(jsii.Number(90)),
			env:     map[string]string{"MEDIC_ALLOW_NETWORKS": set.ProbeNetworks()},
		},
		"writeecho": {
			description: "medic WriteEcho: writes a batch's results to echo/batch/<first>--<last>.json",
			memoryMB:    128,
			timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
			access:      s3Access{put: []string{PrefixEcho}},
		},
		"checkstaleness": {
			description: "medic CheckStaleness: decides UP/DOWN/STALE and queues alerts in outbox/",
			// 512 MB: at 10,000 targets the state, the history and the
			// status page hold over 100 MB live at once (measured; see
			// docs/status.md), past 128 MB's GOMEMLIMIT.
			memoryMB: 512,
			timeout:  awscdk.Duration_Seconds(jsii.Number(60)),
			env: map[string]string{
				"MEDIC_CONFIG_KEY":  ConfigKey,
				"MEDIC_STALE_AFTER": set.StaleAfter,
			},
			access: s3Access{
				get: []string{PrefixConfig, PrefixEcho, PrefixPulse, PrefixState, PrefixOutbox, PrefixHistory},
				put: []string{PrefixState, PrefixOutbox, PrefixHistory, PrefixSite},
				// The history removes the day object that turns 90 days old.
				del: []string{PrefixHistory},
				// state/ and history/ are listed so a first read of an
				// object is NoSuchKey (404) rather than AccessDenied (403).
				list: []string{PrefixEcho, PrefixPulse, PrefixOutbox, PrefixState, PrefixHistory},
			},
		},
		"notify": {
			description: "medic Notify: delivers outbox/ alerts to their channels",
			memoryMB:    128,
			timeout:     awscdk.Duration_Seconds(jsii.Number(60)),
			env: map[string]string{
				"MEDIC_CONFIG_KEY": ConfigKey,
				// Channel URLs come from the targets file: deliveries follow
				// the probe's address policy.
				"MEDIC_ALLOW_NETWORKS": set.ProbeNetworks(),
			},
			access: s3Access{
				get:  []string{PrefixConfig, PrefixOutbox, PrefixState},
				put:  []string{PrefixOutbox, PrefixState},
				del:  []string{PrefixOutbox},
				list: []string{PrefixOutbox, PrefixState},
			},
		},
	}
}

// newFunctions creates one function per task, each with its own role, log
// group and least-privilege policy. channelTopics are the SNS topics the
// targets file's sns channels name besides the stack's topic.
func newFunctions(stack awscdk.Stack, root string, set Settings, bucket awss3.Bucket, topic awssns.Topic, channelTopics []string) map[string]awslambda.Function {
	specs := functionSpecs(set)
	fns := make(map[string]awslambda.Function, len(Tasks))
	for _, task := range Tasks {
		spec := specs[task]
		env := map[string]*string{
			"MEDIC_BUCKET": bucket.BucketName(),
			// A soft limit under the function's memory: the Go GC works
			// harder near it instead of the function running out of memory
			// (CheckStaleness holds every target's state at once).
			"GOMEMLIMIT": jsii.String(goMemLimit(spec.memoryMB)),
		}
		for k, v := range spec.env {
			env[k] = jsii.String(v)
		}
		switch task {
		case "notify":
			env["MEDIC_SECRET_PARAMETER"] = jsii.String(set.SecretParameter)
			env["MEDIC_SNS_TOPIC_ARN"] = topic.TopicArn()
		case "probe":
			// Read only when a batch has a target that needs a secret.
			env["MEDIC_TARGET_SECRET_PARAMETER"] = jsii.String(set.TargetSecretParameter)
		}
		fn := newTaskFunction(stack, root, set, task, spec, env)
		grantS3(fn.Role(), bucket, spec.access)
		switch task {
		case "notify":
			grantReadParameter(stack, fn.Role(), set.SecretParameter, set.SecretKeyArn)
			grantPublish(fn.Role(), topic, channelTopics)
		case "probe":
			grantReadParameter(stack, fn.Role(), set.TargetSecretParameter, set.SecretKeyArn)
		}
		fns[task] = fn
	}
	return fns
}

func newTaskFunction(stack awscdk.Stack, root string, set Settings, task string, spec functionSpec, env map[string]*string) awslambda.Function {
	id := constructName(task)
	logs := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     set.Retention(),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("medic " + task + " function: only the log group, bucket prefixes and services it uses"),
	})
	// Instead of the AWSLambdaBasicExecutionRole managed policy (any log
	// group): write to this function's log group only.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logs.LogGroupArn()),
	}))

	code := awslambda.Code_FromAsset(jsii.String(filepath.Join(root, "tasks", task)), &awss3assets.AssetOptions{
		// The hash of the built binary: the reproducible build makes it
		// change only when the program does.
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			Image: awscdk.DockerImage_FromRegistry(jsii.String(BundlingImage)),
			Local: &goBundler{repoRoot: root, task: task},
		},
	})
	return awslambda.NewFunction(stack, jsii.String(id), &awslambda.FunctionProps{
		Description:   jsii.String(spec.description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          code,
		MemorySize:    jsii.Number(spec.memoryMB),
		Timeout:       spec.timeout,
		Environment:   &env,
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Tracing:       awslambda.Tracing_ACTIVE,
	})
}

// grantS3 adds one statement per kind of access, scoped to the prefixes.
// Listing is allowed on the bucket only with an s3:prefix under them.
func grantS3(role awsiam.IRole, bucket awss3.Bucket, a s3Access) {
	objects := func(prefixes []string) *[]*string {
		var arns []*string
		for _, p := range prefixes {
			arns = append(arns, bucket.ArnForObjects(jsii.String(p+"*")))
		}
		return &arns
	}
	add := func(sid, action string, prefixes []string) {
		if len(prefixes) == 0 {
			return
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Actions:   jsii.Strings(action),
			Resources: objects(prefixes),
		}))
	}
	add("ReadObjects", "s3:GetObject", a.get)
	if len(a.keys) > 0 {
		var arns []*string
		for _, k := range a.keys {
			arns = append(arns, bucket.ArnForObjects(jsii.String(k)))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadKeys"),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &arns,
		}))
	}
	add("WriteObjects", "s3:PutObject", a.put)
	add("DeleteObjects", "s3:DeleteObject", a.del)
	if len(a.list) > 0 || len(a.keys) > 0 {
		var patterns []*string
		for _, p := range a.list {
			patterns = append(patterns, jsii.String(p+"*"))
		}
		for _, k := range a.keys {
			patterns = append(patterns, jsii.String(k))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("ListPrefixes"),
			Actions:    jsii.Strings("s3:ListBucket"),
			Resources:  jsii.Strings(*bucket.BucketArn()),
			Conditions: &map[string]interface{}{"StringLike": map[string]interface{}{"s3:prefix": patterns}},
		}))
	}
}

// grantPublish lets the notify function publish to the stack's topic and
// to the topics the targets file's sns channels name, and nothing else of
// them. A topic in another account must also allow the role in its own
// topic policy.
func grantPublish(role awsiam.IRole, topic awssns.Topic, channelTopics []string) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishAlerts"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: jsii.Strings(append([]string{*topic.TopicArn()}, channelTopics...)...),
	}))
}

// constructName turns a task name into a construct ID ("checkstaleness" →
// "CheckStaleness").
func constructName(task string) string {
	names := map[string]string{
		"loadtargets":    "LoadTargets",
		"probe":          "Probe",
		"writeecho":      "WriteEcho",
		"checkstaleness": "CheckStaleness",
		"notify":         "Notify",
	}
	if n, ok := names[task]; ok {
		return n
	}
	return strings.ToUpper(task[:1]) + task[1:]
}

// goMemLimit is the GOMEMLIMIT for a function of memoryMB: 80%, leaving
// the rest to the runtime, stacks and the Lambda runtime API client.
func goMemLimit(memoryMB float64) string {
	return fmt.Sprintf("%dMiB", int(memoryMB*0.8))
}
