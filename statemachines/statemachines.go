// Package statemachines embeds medic's Amazon States Language definition
// and fills in its ${...} placeholders. The same bytes are deployed by the
// CDK stack and executed by the local engine, at every fleet size.
//
// A placeholder is written inside a JSON string, so the file stays valid JSON
// and opens in Workflow Studio. A numeric setting (listed in Numeric) is
// written as the whole string "${Name}" and rendered as a bare number.
package statemachines

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

//go:embed healthcheck.asl.json
var healthCheck string

// HealthCheck returns the health-check definition with its placeholders:
// a Distributed Map that reads the run's target list from S3, batches it
// and runs one Express child execution per batch.
func HealthCheck() string { return healthCheck }

// Placeholder names in the health-check definition.
const (
	LoadTargetsFunctionArn    = "LoadTargetsFunctionArn"
	ProbeFunctionArn          = "ProbeFunctionArn"
	WriteEchoFunctionArn      = "WriteEchoFunctionArn"
	CheckStalenessFunctionArn = "CheckStalenessFunctionArn"
	NotifyFunctionArn         = "NotifyFunctionArn"
	MapConcurrency            = "MapConcurrency"
	// BatchSize is the ItemBatcher's MaxItemsPerBatch.
	BatchSize = "BatchSize"
	// ToleratedFailurePercentage is the distributed Map's
	// ToleratedFailurePercentage.
	ToleratedFailurePercentage = "ToleratedFailurePercentage"
)

// Numeric names the placeholders whose values are numbers.
var Numeric = []string{MapConcurrency, BatchSize, ToleratedFailurePercentage}

// DefaultMapConcurrency is how many batches are probed at once.
const DefaultMapConcurrency = 10

// DefaultBatchSize is the batch size, chosen from the cost model
// (BENCHMARKS.md), the same as LoadTargets' default.
const DefaultBatchSize = 100

// DefaultToleratedFailurePercentage is how many of a run's batches
// (in percent) may fail before its Map fails. Up to it, a failed batch only
// leaves its targets' echoes to age; above it something systemic is wrong
// (S3, Lambda throttling) and the run says so in its output.
const DefaultToleratedFailurePercentage = 10

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9]*)\}`)

// Placeholders lists the distinct placeholder names in def, in order of
// first appearance.
func Placeholders(def string) []string {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(def, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// Render substitutes values into def. Every placeholder must have a value and
// every value a placeholder; numeric placeholders must be integers.
func Render(def string, values map[string]string) (string, error) {
	names := Placeholders(def)
	var missing, unused []string
	for _, n := range names {
		if _, ok := values[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range values {
		if !slices.Contains(names, n) {
			unused = append(unused, n)
		}
	}
	slices.Sort(unused)
	if len(missing) > 0 {
		return "", fmt.Errorf("render definition: no value for placeholder(s) %s", strings.Join(missing, ", "))
	}
	if len(unused) > 0 {
		return "", fmt.Errorf("render definition: value(s) for unknown placeholder(s) %s", strings.Join(unused, ", "))
	}
	return renderSome(def, values)
}

// RenderSettings substitutes only the numeric settings and leaves the other
// placeholders for CloudFormation (CDK DefinitionSubstitutions) to fill.
func RenderSettings(def string, settings map[string]string) (string, error) {
	for n := range settings {
		if !slices.Contains(Numeric, n) {
			return "", fmt.Errorf("render definition: %s is not a numeric setting", n)
		}
	}
	for _, n := range Numeric {
		if _, ok := settings[n]; !ok && slices.Contains(Placeholders(def), n) {
			return "", fmt.Errorf("render definition: no value for setting %s", n)
		}
	}
	return renderSome(def, settings)
}

func renderSome(def string, values map[string]string) (string, error) {
	for n, v := range values {
		if slices.Contains(Numeric, n) {
			if _, err := strconv.Atoi(v); err != nil {
				return "", fmt.Errorf("render definition: %s must be an integer, got %q", n, v)
			}
			def = strings.ReplaceAll(def, `"${`+n+`}"`, v)
			continue
		}
		def = strings.ReplaceAll(def, "${"+n+"}", v)
	}
	return def, nil
}

// FunctionPlaceholders maps each task's name (its tasks/<name> directory) to
// the placeholder for its function ARN.
var FunctionPlaceholders = map[string]string{
	"loadtargets":    LoadTargetsFunctionArn,
	"probe":          ProbeFunctionArn,
	"writeecho":      WriteEchoFunctionArn,
	"checkstaleness": CheckStalenessFunctionArn,
	"notify":         NotifyFunctionArn,
}

// LocalFunctionArn is the ARN the local engine binds a task's handler to.
func LocalFunctionArn(task string) string {
	return "arn:aws:lambda:us-east-1:000000000000:function:medic-" + task
}

// Local renders the health-check definition for the local engine:
// function ARNs from LocalFunctionArn and the given Map concurrency, batch
// size and tolerated failure percentage.
func Local(mapConcurrency, batchSize, toleratedPercent int) (string, error) {
	if mapConcurrency < 1 {
		return "", fmt.Errorf("render the definition: map concurrency %d: want at least 1", mapConcurrency)
	}
	if batchSize < 1 {
		return "", fmt.Errorf("render the definition: batch size %d: want at least 1", batchSize)
	}
	if toleratedPercent < 0 || toleratedPercent > 100 {
		return "", fmt.Errorf("render the definition: tolerated failure percentage %d: want 0 to 100", toleratedPercent)
	}
	values := map[string]string{
		MapConcurrency:             strconv.Itoa(mapConcurrency),
		BatchSize:                  strconv.Itoa(batchSize),
		ToleratedFailurePercentage: strconv.Itoa(toleratedPercent),
	}
	for task, ph := range FunctionPlaceholders {
		values[ph] = LocalFunctionArn(task)
	}
	return Render(healthCheck, values)
}

// LocalDefault renders the definition for the local engine with the
// default settings.
func LocalDefault() (string, error) {
	return Local(DefaultMapConcurrency, DefaultBatchSize, DefaultToleratedFailurePercentage)
}
