// Package infra is medic's AWS CDK stack: the bucket, one Lambda per task,
// the health-check state machine, its triggers, the channels' topic, read
// access to the operator's two secret parameters, and the alarms that watch the monitor itself.
package infra

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/statemachines"
)

// ConfigKey is where the deployed targets file lives in the bucket.
const ConfigKey = "config/targets.yaml"

// Tasks are the task names, in the order the run reaches them.
var Tasks = []string{"loadtargets", "probe", "writeecho", "checkstaleness", "notify"}

// StackProps configures NewStack.
type StackProps struct {
	awscdk.StackProps
	// Settings are the validated deploy settings (see SettingsFromContext).
	Settings Settings
	// RepoRoot is the module root holding tasks/ and config/; empty means
	// the directory with go.mod above the working directory.
	RepoRoot string
}

// Stack is the medic stack and the constructs tests and callers look at.
type Stack struct {
	awscdk.Stack
	Bucket       awss3.Bucket
	Functions    map[string]awslambda.Function
	StateMachine awsstepfunctions.StateMachine
	Topic        awssns.Topic
	// Settings are the settings the stack was built with.
	Settings Settings
	// StatusPage serves site/ when Settings.StatusPage is public (nil
	// otherwise).
	StatusPage awscloudfront.Distribution
	// DistributedMapPolicy lets the state machine run its Distributed Map's
	// child executions.
	DistributedMapPolicy awsiam.Policy
}

// NewStack defines the medic stack in scope.
func NewStack(scope constructs.Construct, id string, props *StackProps) (*Stack, error) {
	if props == nil {
		props = &StackProps{Settings: DefaultSettings()}
	}
	root := props.RepoRoot
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("new stack %s: %w", id, err)
		}
		if root, err = FindRepoRoot(wd); err != nil {
			return nil, fmt.Errorf("new stack %s: %w", id, err)
		}
	}
	if err := checkSources(root); err != nil {
		return nil, fmt.Errorf("new stack %s: %w", id, err)
	}
	targets, err := readTargetsFile(root, props.Settings)
	if err != nil {
		return nil, fmt.Errorf("new stack %s: %w", id, err)
	}
	topics, err := channelTopics(targets)
	if err != nil {
		return nil, fmt.Errorf("new stack %s: %w", id, err)
	}
	def, err := Definition(props.Settings)
	if err != nil {
		return nil, fmt.Errorf("new stack %s: %w", id, err)
	}

	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("medic: a serverless health monitor (Step Functions, Lambda, S3)")
	}
	set := props.Settings
	s := &Stack{Stack: awscdk.NewStack(scope, &id, &sp), Settings: set}

	s.Bucket = newBucket(s.Stack, root)
	s.Topic = newTopic(s.Stack)
	s.Functions = newFunctions(s.Stack, root, set, s.Bucket, s.Topic, topics)
	s.StateMachine = newStateMachine(s.Stack, def, set, s.Functions)
	s.DistributedMapPolicy = grantDistributedMap(s.Stack, s.StateMachine, s.Bucket)
	if set.StatusPage == StatusPagePublic {
		s.StatusPage = newStatusPage(s.Stack, s.Bucket)
	}
	newTriggers(s.Stack, set, s.Bucket, s.StateMachine)
	newAlarms(s.Stack, set, s.StateMachine, s.Functions, s.Topic)
	newOutputs(s.Stack, set, s.Bucket, s.StateMachine, s.Topic, s.StatusPage)
	suppressFindings(s)
	return s, nil
}

// Definition is the definition the settings deploy, with the numeric
// settings rendered and the function ARNs left for CloudFormation.
func Definition(set Settings) (string, error) {
	return statemachines.RenderSettings(statemachines.HealthCheck(), map[string]string{
		statemachines.MapConcurrency:             fmt.Sprint(set.MapConcurrency),
		statemachines.BatchSize:                  fmt.Sprint(set.BatchSize),
		statemachines.ToleratedFailurePercentage: fmt.Sprint(statemachines.DefaultToleratedFailurePercentage),
	})
}

// checkSources reports a missing task entry point before CDK tries (and
// fails, less clearly) to bundle it.
func checkSources(root string) error {
	for _, t := range Tasks {
		p := filepath.Join(root, "tasks", t, "bootstrap", "main.go")
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("task %s has no Lambda entry point: %w", t, err)
		}
	}
	return nil
}
