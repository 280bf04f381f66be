package infra

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/medic-dev/medic/internal/cadence"
)

// Context keys, with their defaults in cdk.json and in DefaultSettings.
const (
	CtxScheduleMinutes       = "scheduleMinutes"
	CtxStaleAfter            = "staleAfter"
	CtxBatchSize             = "batchSize"
	CtxMapConcurrency        = "mapConcurrency"
	CtxAlarmNamePrefix       = "alarmNamePrefix"
	CtxSecretParameter       = "secretParameter"
	CtxTargetSecretParameter = "targetSecretParameter"
	CtxSecretKeyArn          = "secretKeyArn"
	CtxLogRetentionDays      = "logRetentionDays"
	CtxAllowPrivateNetworks  = "allowPrivateNetworks"
	CtxStatusPage            = "statusPage"
)

// ContextKeys lists every setting read from CDK context.
var ContextKeys = []string{
	CtxScheduleMinutes, CtxStaleAfter, CtxBatchSize, CtxMapConcurrency,
	CtxAlarmNamePrefix, CtxSecretParameter, CtxTargetSecretParameter, CtxSecretKeyArn, CtxLogRetentionDays, CtxAllowPrivateNetworks, CtxStatusPage,
}

// Settings are the deploy-time choices an operator makes through CDK context
// (cdk.json or `cdk deploy -c key=value`).
type Settings struct {
	// ScheduleMinutes is the cadence: how often the scheduled check runs
	// (1..720: the "no scheduled run" alarm watches twice this, and
	// CloudWatch alarm periods stop at one day). `medic run --every` means
	// the same; both default to cadence.Default.
	ScheduleMinutes int
	// StaleAfter is the default staleAfter for targets that set none, as
	// written in the targets file (a Go duration such as "15m").
	StaleAfter string
	// BatchSize is how many targets one batch (one Express child
	// execution, one echo object) probes (1..500).
	BatchSize int
	// MapConcurrency is how many batches are probed at once (1..10,000
	// child executions).
	MapConcurrency int
	// AlarmNamePrefix selects the CloudWatch alarms whose state changes start
	// a targeted check; empty means no alarm rule.
	AlarmNamePrefix string
	// SecretParameter names the SSM Parameter Store SecureString parameter
	// holding channel credentials (a JSON object {"NAME": "value"}). The
	// operator creates it (CloudFormation cannot create SecureString
	// parameters); only the notify function may read it.
	SecretParameter string
	// TargetSecretParameter names the SecureString parameter holding the
	// values of targets' secrets (headerSecrets, basicAuth, TLS client
	// keys). Only the probe function may read it.
	TargetSecretParameter string
	// SecretKeyArn is the customer managed KMS key both parameters are
	// encrypted with; empty means the AWS managed key aws/ssm.
	SecretKeyArn string
	// LogRetentionDays is how long Lambda and state machine logs are kept; it
	// must be a value CloudWatch Logs accepts.
	LogRetentionDays int
	// AllowPrivateNetworks lets the probe reach RFC 1918, CGNAT and ULA
	// addresses (for targets inside a VPC or behind a private DNS name).
	AllowPrivateNetworks bool
	// StatusPage is "private" (site/ stays in the private bucket; 'medic
	// status --aws' prints a presigned link) or "public" (site/ is served
	// through CloudFront with origin access control).
	StatusPage string
}

// DefaultSettings are the settings when the context sets nothing.
func DefaultSettings() Settings {
	return Settings{
		ScheduleMinutes:  int(cadence.Default / time.Minute),
		StaleAfter:       "15m",
		BatchSize:        100,
		MapConcurrency:   10,
		LogRetentionDays: 30,

		SecretParameter:       "/medic/channels",
		TargetSecretParameter: "/medic/targets",
		StatusPage:            StatusPagePrivate,
	}
}

// ProbeNetworks is the MEDIC_ALLOW_NETWORKS value for the probe function.
func (s Settings) ProbeNetworks() string {
	if s.AllowPrivateNetworks {
		return "private"
	}
	return "public"
}

// Retention is LogRetentionDays as a CloudWatch Logs retention.
func (s Settings) Retention() awslogs.RetentionDays {
	return retentionDays[s.LogRetentionDays]
}

// retentionDays maps the retention periods CloudWatch Logs accepts to CDK's
// names for them.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// validRetentionDays lists the keys of retentionDays in order, for messages.
var validRetentionDays = func() []int {
	days := make([]int, 0, len(retentionDays))
	for d := range retentionDays {
		days = append(days, d)
	}
	slices.Sort(days)
	return days
}()

var (
	// A Parameter Store name: letters, digits, _.-/ and no reserved
	// aws/ssm prefix (ParameterNameReserved).
	parameterRE   = regexp.MustCompile(`^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,14}$`)
	reservedRE    = regexp.MustCompile(`(?i)^/?(aws|ssm)`)
	keyArnRE      = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	alarmPrefixRE = regexp.MustCompile(`^[^\x00-\x1f]{0,255}$`)
)

// removedKeys are settings medic no longer has, with what to do instead.
var removedKeys = map[string]string{
	"scaleMode": "medic has one state machine definition for every fleet size (docs/scale.md); remove scaleMode from cdk.json",
}

// SettingsFromContext reads and validates the settings from the CDK context
// of node (values from cdk.json are JSON; values from `-c` are strings).
func SettingsFromContext(node constructs.Node) (Settings, error) {
	values := map[string]any{}
	keys := slices.Clone(ContextKeys)
	for k := range removedKeys {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if v := node.TryGetContext(&k); v != nil {
			values[k] = v
		}
	}
	return ParseSettings(values)
}

// ParseSettings builds Settings from context values, starting from
// DefaultSettings. Every bad value is reported, each naming its key.
func ParseSettings(values map[string]any) (Settings, error) {
	s := DefaultSettings()
	var errs []error
	bad := func(key string, v any, want string) {
		errs = append(errs, fmt.Errorf("context %s: got %#v, want %s", key, v, want))
	}
	intIn := func(key string, dst *int, lo, hi int) {
		v, ok := values[key]
		if !ok {
			return
		}
		n, isInt := toInt(v)
		if !isInt || n < lo || n > hi {
			bad(key, v, fmt.Sprintf("a whole number from %d to %d", lo, hi))
			return
		}
		*dst = n
	}
	str := func(key string, dst *string) bool {
		v, ok := values[key]
		if !ok {
			return false
		}
		sv, isStr := v.(string)
		if !isStr {
			bad(key, v, "a string")
			return false
		}
		*dst = strings.TrimSpace(sv)
		return true
	}

	boolean := func(key string, dst *bool) {
		v, ok := values[key]
		if !ok {
			return
		}
		switch b := v.(type) {
		case bool:
			*dst = b
		case string:
			parsed, err := strconv.ParseBool(strings.TrimSpace(b))
			if err != nil {
				bad(key, v, "true or false")
			}
			*dst = parsed
		default:
			bad(key, v, "true or false")
		}
	}

	intIn(CtxScheduleMinutes, &s.ScheduleMinutes, int(cadence.MinStack/time.Minute), int(cadence.MaxStack/time.Minute))
	intIn(CtxBatchSize, &s.BatchSize, 1, 500)
	// A Distributed Map runs up to 10,000 child executions at once.
	intIn(CtxMapConcurrency, &s.MapConcurrency, 1, 10000)

	if v, ok := values[CtxLogRetentionDays]; ok {
		n, isInt := toInt(v)
		if _, known := retentionDays[n]; !isInt || !known {
			bad(CtxLogRetentionDays, v, fmt.Sprintf("one of the CloudWatch Logs retention periods %v", validRetentionDays))
		} else {
			s.LogRetentionDays = n
		}
	}

	if str(CtxStaleAfter, &s.StaleAfter) {
		d, err := time.ParseDuration(s.StaleAfter)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			bad(CtxStaleAfter, values[CtxStaleAfter], `a duration from 1m to 168h, such as "15m"`)
		}
	}
	if str(CtxAlarmNamePrefix, &s.AlarmNamePrefix) && !alarmPrefixRE.MatchString(s.AlarmNamePrefix) {
		bad(CtxAlarmNamePrefix, values[CtxAlarmNamePrefix], "at most 255 printable characters (empty for no alarm rule)")
	}
	parameter := func(key string, dst *string) {
		if str(key, dst) && (len(*dst) > 1011 || !parameterRE.MatchString(*dst) || reservedRE.MatchString(*dst)) {
			bad(key, values[key], `a Parameter Store parameter name such as "/medic/channels" (letters, digits, _.-/; not starting with aws or ssm)`)
		}
	}
	parameter(CtxSecretParameter, &s.SecretParameter)
	parameter(CtxTargetSecretParameter, &s.TargetSecretParameter)
	if s.SecretParameter == s.TargetSecretParameter {
		// One parameter for both would let the probe read channel
		// credentials and notify read target credentials.
		errs = append(errs, fmt.Errorf("context %s and %s: both are %q; each function reads only its own parameter, so they must differ",
			CtxSecretParameter, CtxTargetSecretParameter, s.SecretParameter))
	}
	if str(CtxSecretKeyArn, &s.SecretKeyArn) && s.SecretKeyArn != "" && !keyArnRE.MatchString(s.SecretKeyArn) {
		bad(CtxSecretKeyArn, values[CtxSecretKeyArn], "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or empty for the AWS managed key aws/ssm")
	}

	boolean(CtxAllowPrivateNetworks, &s.AllowPrivateNetworks)
	if str(CtxStatusPage, &s.StatusPage) && s.StatusPage != StatusPagePrivate && s.StatusPage != StatusPagePublic {
		bad(CtxStatusPage, values[CtxStatusPage], `"private" (the default: a presigned link from 'medic status --aws') or "public" (CloudFront)`)
	}
	for _, k := range slices.Sorted(maps.Keys(removedKeys)) {
		if _, ok := values[k]; ok {
			errs = append(errs, fmt.Errorf("context %s: no longer a setting: %s", k, removedKeys[k]))
		}
	}

	if err := errors.Join(errs...); err != nil {
		return Settings{}, fmt.Errorf("invalid settings: %w", err)
	}
	return s, nil
}

// toInt accepts a JSON number or a decimal string holding a whole number.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1e9 {
			return 0, false
		}
		return int(n), true
	case int:
		return n, true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(n))
		return i, err == nil
	}
	return 0, false
}
