// Package trigger reads a run's execution input: what started the run, and
// which targets it is for. It understands the shapes listed in
// docs/targets.md ("Execution input"); anything else is an error that says
// which shapes are expected.
package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Kinds of run.
const (
	Schedule = "schedule" // every target
	Targeted = "targeted" // the targets named in the input
	Alarm    = "alarm"    // the target a CloudWatch alarm names
	Pulse    = "pulse"    // the target whose pulse file was uploaded
)

// MaxNames bounds how many targets one input may name.
const MaxNames = 1000

// maxNameLen bounds one name; a longer one cannot be a target.
const maxNameLen = 256

// Trigger is what a run is for. Names is empty for a schedule run and
// holds at least one name otherwise, in input order without repeats.
type Trigger struct {
	Kind  string
	Names []string
}

// Expected describes the accepted shapes; errors end with it.
const Expected = `expected one of: {"trigger":"schedule"} (or {} for a full run); {"targets":["name",...]}; ` +
	`a CloudWatch alarm (the Lambda alarm-action payload, or the EventBridge "CloudWatch Alarm State Change" event) ` +
	`whose first metric's namespace is a target name; an S3 "Object Created" event for pulse/<target>.json ` +
	`(EventBridge, or the classic Records[].s3 notification)`

// Error is an execution input that is not one of the expected shapes.
type Error struct {
	Reason string
}

func (e *Error) Error() string {
	return "unrecognised execution input: " + e.Reason + "; " + Expected
}

func invalid(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Parse reads an execution input. Empty input, null and {} are a schedule
// run, so a run started by hand with no input checks everything.
func Parse(input []byte) (Trigger, error) {
	trimmed := bytes.TrimSpace(input)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return Trigger{Kind: Schedule}, nil
	}
	if trimmed[0] != '{' {
		return Trigger{}, invalid("the input must be a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return Trigger{}, invalid("not valid JSON: %v", err)
	}
	switch {
	case len(top) == 0:
		return Trigger{Kind: Schedule}, nil
	case has(top, "Records"):
		return parseS3Records(top["Records"])
	case has(top, "source"):
		var src string
		if err := json.Unmarshal(top["source"], &src); err != nil {
			return Trigger{}, invalid(`"source" must be a string`)
		}
		switch {
		case src == "aws.cloudwatch" && has(top, "alarmData"):
			return parseAlarmData(top["alarmData"], "alarmData")
		case src == "aws.cloudwatch" && has(top, "detail"):
			if err := wantDetailType(top, "CloudWatch Alarm State Change"); err != nil {
				return Trigger{}, err
			}
			return parseAlarmData(top["detail"], "detail")
		case src == "aws.s3" && has(top, "detail"):
			if err := wantDetailType(top, "Object Created"); err != nil {
				return Trigger{}, err
			}
			return parseS3Detail(top["detail"])
		}
		return Trigger{}, invalid("an event from %q that medic does not handle", src)
	case has(top, "trigger") || has(top, "targets"):
		return parsePlain(top)
	}
	return Trigger{}, invalid("unknown keys %s", keys(top))
}

func has(m map[string]json.RawMessage, k string) bool {
	_, ok := m[k]
	return ok
}

func keys(m map[string]json.RawMessage) string {
	var ks []string
	for k := range m {
		ks = append(ks, fmt.Sprintf("%q", k))
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func wantDetailType(top map[string]json.RawMessage, want string) error {
	var dt string
	if raw, ok := top["detail-type"]; ok {
		if err := json.Unmarshal(raw, &dt); err != nil {
			return invalid(`"detail-type" must be a string`)
		}
	}
	if dt != want {
		return invalid("an EventBridge event of type %q, where %q was expected", dt, want)
	}
	return nil
}

// parsePlain reads {"trigger":"schedule"} and {"targets":[...]}.
func parsePlain(top map[string]json.RawMessage) (Trigger, error) {
	for k := range top {
		if k != "trigger" && k != "targets" {
			return Trigger{}, invalid("unknown key %q next to trigger/targets", k)
		}
	}
	kind := ""
	if raw, ok := top["trigger"]; ok {
		if err := json.Unmarshal(raw, &kind); err != nil {
			return Trigger{}, invalid(`"trigger" must be a string`)
		}
	}
	raw, named := top["targets"]
	switch {
	case kind == Schedule && !named:
		return Trigger{Kind: Schedule}, nil
	case kind == Schedule:
		return Trigger{}, invalid(`a schedule run checks every target: drop "targets", or drop "trigger" to check only the named ones`)
	case kind != "" && kind != Targeted:
		return Trigger{}, invalid(`"trigger" is %q; it must be "schedule" (or "targeted" with "targets")`, kind)
	case !named:
		return Trigger{}, invalid(`"trigger": "targeted" needs "targets": ["name", ...]`)
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return Trigger{}, invalid(`"targets" must be a list of target names`)
	}
	if len(names) == 0 {
		return Trigger{}, invalid(`"targets" is empty: name at least one target, or use {"trigger":"schedule"} to check all`)
	}
	return build(Targeted, names)
}

// build checks and de-duplicates names.
func build(kind string, names []string) (Trigger, error) {
	if len(names) > MaxNames {
		return Trigger{}, invalid("%d targets named; at most %d may be", len(names), MaxNames)
	}
	seen := map[string]bool{}
	t := Trigger{Kind: kind}
	for i, n := range names {
		switch {
		case n == "":
			return Trigger{}, invalid("target name %d is empty", i+1)
		case len(n) > maxNameLen:
			return Trigger{}, invalid("target name %d is longer than %d characters", i+1, maxNameLen)
		case seen[n]:
			continue
		}
		seen[n] = true
		t.Names = append(t.Names, n)
	}
	return t, nil
}

// alarmData is the part of a CloudWatch alarm that names the target, in
// both the Lambda alarm-action payload (alarmData) and the EventBridge
// event (detail).
type alarmData struct {
	AlarmName     string `json:"alarmName"`
	Configuration *struct {
		Metrics []struct {
			ID         string `json:"id"`
			MetricStat *struct {
				Metric *struct {
					Namespace string `json:"namespace"`
				} `json:"metric"`
			} `json:"metricStat"`
		} `json:"metrics"`
	} `json:"configuration"`
}

// parseAlarmData takes the target name from the namespace of the alarm's
// first metric that has one (a metric-math alarm lists its expression
// first).
func parseAlarmData(raw json.RawMessage, where string) (Trigger, error) {
	var a alarmData
	if err := json.Unmarshal(raw, &a); err != nil {
		return Trigger{}, invalid("a CloudWatch alarm whose %s is not the expected object: %v", where, err)
	}
	if a.Configuration != nil {
		for _, m := range a.Configuration.Metrics {
			if m.MetricStat != nil && m.MetricStat.Metric != nil && m.MetricStat.Metric.Namespace != "" {
				return build(Alarm, []string{m.MetricStat.Metric.Namespace})
			}
		}
	}
	return Trigger{}, invalid("CloudWatch alarm %q has no metric with a namespace (%s.configuration.metrics[].metricStat.metric.namespace names the target)", a.AlarmName, where)
}

// parseS3Detail reads an EventBridge S3 event; its key is not URL-encoded.
func parseS3Detail(raw json.RawMessage) (Trigger, error) {
	var d struct {
		Object *struct {
			Key string `json:"key"`
		} `json:"object"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Object == nil || d.Object.Key == "" {
		return Trigger{}, invalid("an S3 event without detail.object.key")
	}
	name, err := pulseName(d.Object.Key)
	if err != nil {
		return Trigger{}, err
	}
	return build(Pulse, []string{name})
}

// parseS3Records reads a classic S3 notification; keys are URL-encoded.
func parseS3Records(raw json.RawMessage) (Trigger, error) {
	var recs []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		S3          *struct {
			Object *struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	}
	if err := json.Unmarshal(raw, &recs); err != nil {
		return Trigger{}, invalid(`"Records" must be a list of S3 event records`)
	}
	if len(recs) == 0 {
		return Trigger{}, invalid(`"Records" is empty`)
	}
	var names []string
	for i, r := range recs {
		if r.EventSource != "aws:s3" || r.S3 == nil || r.S3.Object == nil || r.S3.Object.Key == "" {
			return Trigger{}, invalid("record %d is not an S3 record with s3.object.key (eventSource %q)", i, r.EventSource)
		}
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			return Trigger{}, invalid("record %d is an S3 %q event, where ObjectCreated:* was expected", i, r.EventName)
		}
		// Keys arrive URL-encoded, spaces as '+' (as events.S3Object.URLDecodedKey decodes them).
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return Trigger{}, invalid("record %d: key %q is not URL-encoded correctly: %v", i, r.S3.Object.Key, err)
		}
		name, err := pulseName(key)
		if err != nil {
			return Trigger{}, err
		}
		names = append(names, name)
	}
	return build(Pulse, names)
}

// pulseName turns pulse/<name>.json into name.
func pulseName(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, "pulse/")
	if !ok {
		return "", invalid("an S3 event for %q, which is not under pulse/ (only pulse/<target>.json uploads start a run)", key)
	}
	name, ok := strings.CutSuffix(rest, ".json")
	if !ok || name == "" {
		return "", invalid("an S3 event for %q, which is not a pulse file (pulse/<target>.json)", key)
	}
	return name, nil
}

// IsInvalid reports whether err is an unrecognised input.
func IsInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
