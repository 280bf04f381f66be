// Package cost turns the counts of one medic run (billed state
// transitions, Lambda invocations and their durations, S3 requests,
// scheduler invocations, log bytes) into a monthly AWS bill, adds the
// deployed stack's own monthly items (alarms, custom metrics), X-Ray
// tracing and the KMS requests of reading secrets so that the bill is "all
// in", and compares it with
// Route 53 health checks and CloudWatch Synthetics canaries.
//
// Prices are us-east-1 list prices from /work/shared/AWS-FACTS.md (the
// repository's AWS facts); lines marked (secondary) there are from a
// reliable copy rather than AWS's own page. The CloudWatch alarm and
// custom-metric, KMS, Parameter Store and X-Ray prices are from AWS's
// pricing pages and not in the repository's AWS facts.
package cost

import "github.com/medic-dev/medic/internal/cadence"

// Prices in US dollars.
const (
	// StandardTransition is one Step Functions Standard state transition
	// ($0.025 per 1,000); retries count.
	StandardTransition = 0.025 / 1000
	// StandardFreeTransitions a month (the always-free tier, applied).
	StandardFreeTransitions = 4000

	// ExpressRequest is one Express execution ($1.00 per 1M).
	ExpressRequest = 1.00 / 1e6
	// ExpressGBSecond is Express duration: rounded up to 100 ms, memory in
	// 64 MB steps.
	ExpressGBSecond = 0.00001667
	// ExpressMemoryMB is the memory an Express child is billed at: the
	// smallest 64 MB step (medic's children carry at most a 256 KB batch).
	ExpressMemoryMB = 64

	// LambdaRequest is one arm64 Lambda invocation ($0.20 per 1M).
	LambdaRequest = 0.20 / 1e6
	// LambdaGBSecond is arm64 Lambda duration, billed per 1 ms (secondary).
	LambdaGBSecond = 0.0000133334

	// S3Write is one S3 Standard PUT, COPY, POST or LIST request (secondary).
	S3Write = 0.005 / 1000
	// S3Read is one S3 Standard GET or HEAD request (secondary).
	S3Read = 0.0004 / 1000

	// SchedulerInvocation is one EventBridge Scheduler invocation beyond
	// the free SchedulerFreeInvocations a month (secondary).
	SchedulerInvocation = 1.00 / 1e6
	// SchedulerFreeInvocations a month.
	SchedulerFreeInvocations = 14_000_000

	// LogsGB is CloudWatch Logs ingestion per GB (2^30 bytes) (secondary).
	LogsGB = 0.50

	// Route53Check is a Route 53 health check of a non-AWS endpoint, per
	// month (secondary); Route53Feature is each optional feature (HTTPS,
	// string matching, fast interval, latency measurement) on it.
	Route53Check   = 0.75
	Route53Feature = 1.00

	// SyntheticsRun is one CloudWatch Synthetics canary run (secondary).
	SyntheticsRun = 0.0012

	// AlarmMonth is one standard-resolution CloudWatch metric alarm for a
	// month, from AWS's pricing page (aws.amazon.com/cloudwatch/pricing);
	// not in the repository's AWS facts.
	AlarmMonth = 0.10
	// CustomMetricMonth is one CloudWatch custom metric (such as a log
	// metric filter's) for a month, from AWS's pricing page
	// (aws.amazon.com/cloudwatch/pricing); not in the repository's AWS facts.
	CustomMetricMonth = 0.30
	// CloudWatchFreeAlarms and CloudWatchFreeMetrics are CloudWatch's
	// always-free tier (alarm metrics and custom metrics a month), from
	// AWS's pricing page; not in the repository's AWS facts. Not applied:
	// the tier is shared with everything else in the account.
	CloudWatchFreeAlarms  = 10
	CloudWatchFreeMetrics = 10

	// KMSRequest is one AWS KMS request ($0.03 per 10,000), such as the
	// Decrypt Parameter Store makes for a SecureString read with
	// decryption, also with the AWS managed key aws/ssm (which has no
	// monthly charge), from AWS's pricing page (aws.amazon.com/kms/pricing);
	// not in the repository's AWS facts. KMS's free tier (20,000 requests a
	// month, shared with the account) is not applied. A standard
	// SecureString parameter and its GetParameter calls at standard
	// throughput have no charge (aws.amazon.com/systems-manager/pricing).
	KMSRequest = 0.03 / 10_000

	// XRayTrace is one X-Ray trace recorded ($5.00 per 1M), from AWS's
	// pricing page (aws.amazon.com/xray/pricing); not in the repository's
	// AWS facts.
	XRayTrace = 5.00 / 1e6
	// XRayFreeTraces a month is X-Ray's free tier, from AWS's pricing page;
	// not in the repository's AWS facts. Not applied: the tier is shared
	// with everything else in the account.
	XRayFreeTraces = 100_000
)

// Cadence and month.
const (
	// Cadence is the default cadence (cadence.Default: the stack's
	// scheduleMinutes and a bare `medic run --every`); MonthlyAt prices
	// any other.
	Cadence = cadence.Default
	// RunsPerMonth at Cadence over a 30-day month: 6 × 24 × 30 = 4,320.
	RunsPerMonth = int(cadence.Month / Cadence)
)

// Memory sizes (MB) of the task functions. They mirror functionSpecs in
// infra/functions.go; change both together.
var FunctionMemoryMB = map[string]int{
	"loadtargets":    128,
	"probe":          256,
	"writeecho":      128,
	"checkstaleness": 512,
	"notify":         128,
}

// What the default stack deploys that is billed by the month, whatever the
// runs. They mirror infra/alarms.go (the alarms and the metric filters'
// custom metrics); change both together (infra/cost_test.go checks them
// against the synthesized stack). The channels' and targets' secrets are
// SecureString parameters the operator creates, with no monthly charge.
const (
	// StackAlarms are standard-resolution CloudWatch metric alarms, one
	// metric each: RunsFailed, ExecutionsThrottled, NoScheduledRuns,
	// MonitorProblems, AlertDeliveryFailing.
	StackAlarms = 5
	// StackCustomMetrics are custom metrics with data all month (none: the
	// alarms watch metrics AWS provides, and the heartbeat is an
	// EventBridge rule's TriggeredRules).
	StackCustomMetrics = 0
	// StackProblemMetrics are custom metrics fed by log metric filters
	// that match only a problem: MonitorProblems, fed by notify's ERROR
	// lines and by coverage lines with notMonitored > 0.
	// A custom metric is billed only for the hours it receives data
	// (CustomMetricMonth prorated by the hour, from AWS's pricing page), so
	// it costs nothing in a healthy month and about $0.0004 an hour while a
	// problem lasts; the model prices a healthy month.
	StackProblemMetrics = 1
)

// LambdaPlatformLogBytes approximates the START, END and REPORT lines Lambda
// writes to CloudWatch Logs for every invocation (JSON log format).
const LambdaPlatformLogBytes = 600
