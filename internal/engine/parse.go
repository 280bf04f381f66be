package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Machine is a parsed and validated state machine definition.
type Machine struct {
	Comment        string
	StartAt        string
	TimeoutSeconds int64
	States         map[string]*State
	order          []string // state names in definition order
	// eventsHint is how many history events the last run of this machine
	// had (read and written atomically): the next run's history starts
	// with that capacity instead of growing to it.
	eventsHint int64
	// memoHint is how many encodings the last run remembered (its memo's
	// size, atomically).
	memoHint int64
}

// State is one state of a Machine (or of a Parallel branch or a Map's
// ItemProcessor).
type State struct {
	Name string
	Type string
	Next string
	End  bool

	InputPath, OutputPath, ResultPath *ioPath
	Parameters, ResultSelector        *template
	Result                            any
	HasResult                         bool

	// Task
	Resource                             string
	TimeoutSeconds, HeartbeatSeconds     int64
	TimeoutSecondsPath, HeartbeatSecPath *path
	Retry                                []Retrier
	Catch                                []Catcher

	// Choice
	Choices []*choiceRule
	Default string

	// Wait
	Seconds       *int64
	Timestamp     *time.Time
	SecondsPath   *path
	TimestampPath *path

	// Fail
	Error, Cause         string
	ErrorPath, CausePath *dynamic

	// Parallel
	Branches []*Machine

	// Map
	Processor            *Machine
	ItemsPath            *ioPath
	ItemSelector         *template
	MaxConcurrency       int64
	MaxConcurrencyPath   *path
	ToleratedPercent     float64
	ToleratedPercentPath *path
	ToleratedCount       int64
	ToleratedCountPath   *path
	Distributed          bool
	ExecutionType        string // STANDARD or EXPRESS for a distributed Map
	ItemReader           *itemReader
	ItemBatcher          *itemBatcher
	Label                string

	// payloadView is set for a lambda:invoke Task whose result processing
	// reads only the Payload (see payloadview.go).
	payloadView *payloadView
}

// ioPath is InputPath, OutputPath, ResultPath or ItemsPath: nil means the
// default "$", null means "no data" ({} for InputPath/OutputPath, discard the
// result for ResultPath).
type ioPath struct {
	null bool
	p    *path
}

// Retrier is one entry of a state's Retry.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds float64
	MaxAttempts     int64
	BackoffRate     float64
	MaxDelaySeconds float64
	JitterFull      bool
}

// Catcher is one entry of a state's Catch.
type Catcher struct {
	ErrorEquals []string
	Next        string
	ResultPath  *ioPath
}

type itemReader struct {
	Bucket, Key *template // from Parameters
	params      *template
	MaxItems    int64
}

type itemBatcher struct {
	MaxItems, MaxBytes int64
	BatchInput         *template
}

// ValidationError lists everything wrong with a definition.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid state machine definition: " + strings.Join(e.Problems, "; ")
}

// Parse parses and validates a definition as Step Functions does; every
// problem names the state and the field.
func Parse(def []byte) (*Machine, error) {
	v, err := decodeValue(def)
	if err != nil {
		return nil, &ValidationError{Problems: []string{fmt.Sprintf("definition is not JSON: %v", err)}}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []string{"definition must be a JSON object"}}
	}
	p := &parser{names: map[string]string{}}
	m := p.machine(root, "", true)
	if len(p.problems) > 0 {
		return nil, &ValidationError{Problems: p.problems}
	}
	return m, nil
}

type parser struct {
	problems []string
	names    map[string]string // state name → where it was first defined
}

func (p *parser) addf(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// fields reads one JSON object, remembering which keys were used.
type fields struct {
	p     *parser
	where string
	m     map[string]any
	used  map[string]bool
}

func (p *parser) fields(m map[string]any, where string) *fields {
	return &fields{p: p, where: where, m: m, used: map[string]bool{}}
}

func (f *fields) has(k string) bool { _, ok := f.m[k]; return ok }

func (f *fields) raw(k string) (any, bool) {
	f.used[k] = true
	v, ok := f.m[k]
	return v, ok
}

func (f *fields) str(k string) (string, bool) {
	v, ok := f.raw(k)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		f.p.addf("%s: field %s must be a string, got %s", f.where, k, typeName(v))
		return "", false
	}
	return s, true
}

func (f *fields) boolean(k string) bool {
	v, ok := f.raw(k)
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		f.p.addf("%s: field %s must be a boolean, got %s", f.where, k, typeName(v))
	}
	return b
}

func (f *fields) integer(k string, minimum int64) (int64, bool) {
	v, ok := f.raw(k)
	if !ok {
		return 0, false
	}
	i, isInt := toInt(v)
	if !isInt {
		f.p.addf("%s: field %s must be an integer, got %s", f.where, k, encodeString(v))
		return 0, false
	}
	if i < minimum {
		f.p.addf("%s: field %s must be at least %d, got %d", f.where, k, minimum, i)
		return 0, false
	}
	return i, true
}

func (f *fields) number(k string, minimum float64) (float64, bool) {
	v, ok := f.raw(k)
	if !ok {
		return 0, false
	}
	n, isNum := toFloat(v)
	if !isNum {
		f.p.addf("%s: field %s must be a number, got %s", f.where, k, encodeString(v))
		return 0, false
	}
	if n < minimum {
		f.p.addf("%s: field %s must be at least %v, got %v", f.where, k, minimum, n)
		return 0, false
	}
	return n, true
}

func (f *fields) object(k string) (map[string]any, bool) {
	v, ok := f.raw(k)
	if !ok {
		return nil, false
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		f.p.addf("%s: field %s must be an object, got %s", f.where, k, typeName(v))
	}
	return m, isObj
}

func (f *fields) strings(k string) []string {
	v, ok := f.raw(k)
	if !ok {
		return nil
	}
	a, isArr := v.([]any)
	if !isArr {
		f.p.addf("%s: field %s must be an array of strings", f.where, k)
		return nil
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, isStr := e.(string)
		if !isStr {
			f.p.addf("%s: field %s must be an array of strings", f.where, k)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// pathField reads a Path (reference: ResultPath's stricter form).
func (f *fields) pathField(k string, reference bool) *path {
	s, ok := f.str(k)
	if !ok {
		return nil
	}
	pp, err := parsePath(s)
	if err != nil {
		f.p.addf("%s: field %s: %v", f.where, k, err)
		return nil
	}
	if reference && !pp.isReference() {
		f.p.addf("%s: field %s: %q must be a reference path (only names and indexes)", f.where, k, s)
		return nil
	}
	return pp
}

// ioPathField reads a nullable path field.
func (f *fields) ioPathField(k string, reference bool) *ioPath {
	v, ok := f.raw(k)
	if !ok {
		return nil
	}
	if v == nil {
		return &ioPath{null: true}
	}
	pp := f.pathField(k, reference)
	if pp == nil {
		return nil
	}
	return &ioPath{p: pp}
}

func (f *fields) templateField(k string) *template {
	v, ok := f.raw(k)
	if !ok {
		return nil
	}
	if _, isObj := v.(map[string]any); !isObj && k != "Result" {
		f.p.addf("%s: field %s must be an object, got %s", f.where, k, typeName(v))
		return nil
	}
	t, err := compileTemplate(v, k)
	if err != nil {
		f.p.addf("%s: field %v", f.where, err)
		return nil
	}
	return t
}

// done reports fields that are not allowed here.
func (f *fields) done(allowed []string) {
	var unknown []string
	for k := range f.m {
		if !f.used[k] && !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		f.p.addf("%s: field %s is not supported here", f.where, k)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (p *parser) machine(m map[string]any, where string, top bool) *Machine {
	label := "state machine"
	if where != "" {
		label = where
	}
	f := p.fields(m, label)
	mc := &Machine{States: map[string]*State{}}
	mc.Comment, _ = f.str("Comment")
	if top {
		if v, ok := f.str("Version"); ok && v != "1.0" {
			p.addf("%s: field Version must be \"1.0\", got %q", label, v)
		}
		if t, ok := f.integer("TimeoutSeconds", 1); ok {
			mc.TimeoutSeconds = t
		}
	}
	if ql, ok := f.str("QueryLanguage"); ok && ql != "JSONPath" {
		p.addf("%s: field QueryLanguage: only \"JSONPath\" is supported by this engine, got %q", label, ql)
	}
	start, hasStart := f.str("StartAt")
	if !hasStart {
		p.addf("%s: field StartAt is required", label)
	}
	mc.StartAt = start
	states, ok := f.object("States")
	if !ok || len(states) == 0 {
		p.addf("%s: field States is required and must name at least one state", label)
		states = nil
	}
	mc.order = orderedKeys(states)
	allowed := []string{"Comment", "StartAt", "States", "QueryLanguage"}
	if top {
		allowed = append(allowed, "Version", "TimeoutSeconds")
	} else {
		allowed = append(allowed, "ProcessorConfig")
	}
	f.done(allowed)
	for _, name := range mc.order {
		sm, isObj := states[name].(map[string]any)
		if !isObj {
			p.addf("state %q: must be an object", name)
			continue
		}
		if prev, dup := p.names[name]; dup {
			p.addf("state %q: the name is already used in %s; state names must be unique in the whole state machine", name, prev)
		}
		p.names[name] = label
		if len(name) > 80 {
			p.addf("state %q: the name is longer than 80 characters", name)
		}
		mc.States[name] = p.state(name, sm)
	}
	if hasStart && states != nil {
		if _, exists := mc.States[start]; !exists {
			p.addf("%s: field StartAt: state %q does not exist", label, start)
		}
	}
	p.checkTransitions(mc, label)
	return mc
}

// orderedKeys returns the states in a stable order. JSON objects have no
// order once decoded, so names are sorted; this only affects the order of
// validation messages.
func orderedKeys(m map[string]any) []string { return sortedKeys(m) }

var commonFields = []string{"Type", "Comment"}

var stateFields = map[string][]string{
	"Pass":     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	"Task":     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Credentials"},
	"Choice":   {"InputPath", "OutputPath", "Choices", "Default"},
	"Wait":     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
	"Succeed":  {"InputPath", "OutputPath"},
	"Fail":     {"Error", "Cause", "ErrorPath", "CausePath"},
	"Parallel": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Branches", "Retry", "Catch"},
	"Map": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector", "ResultSelector", "Iterator", "ItemProcessor",
		"ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
		"ToleratedFailureCount", "ToleratedFailureCountPath", "ItemReader", "ItemBatcher", "ResultWriter", "Label", "Retry", "Catch"},
}

func (p *parser) state(name string, m map[string]any) *State {
	where := fmt.Sprintf("state %q", name)
	f := p.fields(m, where)
	st := &State{Name: name}
	typ, ok := f.str("Type")
	st.Type = typ
	allowed, known := stateFields[typ]
	if !ok {
		p.addf("%s: field Type is required", where)
		return st
	}
	if !known {
		p.addf("%s: field Type: %q is not a state type (want Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map)", where, typ)
		return st
	}
	f.str("Comment")
	if slices.Contains(allowed, "Next") {
		next, hasNext := f.str("Next")
		st.Next = next
		st.End = f.boolean("End")
		switch {
		case hasNext && st.End:
			p.addf("%s: fields Next and End must not both be set", where)
		case !hasNext && !st.End:
			p.addf("%s: field Next or End is required", where)
		}
	}
	if slices.Contains(allowed, "InputPath") {
		st.InputPath = f.ioPathField("InputPath", false)
		st.OutputPath = f.ioPathField("OutputPath", false)
	}
	if slices.Contains(allowed, "ResultPath") {
		st.ResultPath = f.ioPathField("ResultPath", true)
	}
	if slices.Contains(allowed, "Parameters") {
		st.Parameters = f.templateField("Parameters")
	}
	if slices.Contains(allowed, "ResultSelector") {
		st.ResultSelector = f.templateField("ResultSelector")
	}
	if slices.Contains(allowed, "Retry") {
		st.Retry = p.retriers(f, where)
		st.Catch = p.catchers(f, where)
	}
	switch typ {
	case "Pass":
		if v, ok := f.raw("Result"); ok {
			st.Result, st.HasResult = v, true
		}
	case "Task":
		p.task(f, st, where)
		st.payloadView = newPayloadView(st)
	case "Choice":
		p.choice(f, st, where)
	case "Wait":
		p.wait(f, st, where)
	case "Fail":
		p.fail(f, st, where)
	case "Parallel":
		p.parallel(f, st, where)
	case "Map":
		p.mapState(f, st, where)
	}
	f.done(append(slices.Clone(commonFields), allowed...))
	return st
}

func (p *parser) task(f *fields, st *State, where string) {
	res, ok := f.str("Resource")
	if !ok {
		p.addf("%s: field Resource is required", where)
	} else if err := checkResource(res); err != nil {
		p.addf("%s: field Resource: %v", where, err)
	}
	st.Resource = res
	if res == lambdaInvoke {
		if st.Parameters == nil || st.Parameters.object["FunctionName"] == nil {
			p.addf("%s: field Parameters: FunctionName is required for %s", where, lambdaInvoke)
		}
	}
	if f.has("TimeoutSeconds") && f.has("TimeoutSecondsPath") {
		p.addf("%s: fields TimeoutSeconds and TimeoutSecondsPath must not both be set", where)
	}
	if f.has("HeartbeatSeconds") && f.has("HeartbeatSecondsPath") {
		p.addf("%s: fields HeartbeatSeconds and HeartbeatSecondsPath must not both be set", where)
	}
	st.TimeoutSeconds, _ = f.integer("TimeoutSeconds", 1)
	st.HeartbeatSeconds, _ = f.integer("HeartbeatSeconds", 1)
	st.TimeoutSecondsPath = f.pathField("TimeoutSecondsPath", true)
	st.HeartbeatSecPath = f.pathField("HeartbeatSecondsPath", true)
	if st.HeartbeatSeconds > 0 && st.TimeoutSeconds > 0 && st.HeartbeatSeconds >= st.TimeoutSeconds {
		p.addf("%s: field HeartbeatSeconds (%d) must be smaller than TimeoutSeconds (%d)", where, st.HeartbeatSeconds, st.TimeoutSeconds)
	}
	f.raw("Credentials")
}

func (p *parser) wait(f *fields, st *State, where string) {
	n := 0
	for _, k := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if f.has(k) {
			n++
		}
	}
	if n != 1 {
		p.addf("%s: exactly one of Seconds, Timestamp, SecondsPath and TimestampPath is required", where)
	}
	if s, ok := f.integer("Seconds", 0); ok {
		st.Seconds = &s
	}
	if ts, ok := f.str("Timestamp"); ok {
		t, err := parseTimestamp(ts)
		if err != nil {
			p.addf("%s: field Timestamp: %q is not an RFC 3339 timestamp", where, ts)
		} else {
			st.Timestamp = &t
		}
	}
	st.SecondsPath = f.pathField("SecondsPath", false)
	st.TimestampPath = f.pathField("TimestampPath", false)
}

func (p *parser) fail(f *fields, st *State, where string) {
	if f.has("Error") && f.has("ErrorPath") {
		p.addf("%s: fields Error and ErrorPath must not both be set", where)
	}
	if f.has("Cause") && f.has("CausePath") {
		p.addf("%s: fields Cause and CausePath must not both be set", where)
	}
	st.Error, _ = f.str("Error")
	st.Cause, _ = f.str("Cause")
	for k, dst := range map[string]**dynamic{"ErrorPath": &st.ErrorPath, "CausePath": &st.CausePath} {
		if s, ok := f.str(k); ok {
			d, err := compileDynamic(s)
			if err != nil {
				p.addf("%s: field %s: %v", where, k, err)
				continue
			}
			*dst = d
		}
	}
}

func (p *parser) parallel(f *fields, st *State, where string) {
	v, ok := f.raw("Branches")
	arr, isArr := v.([]any)
	if !ok || !isArr || len(arr) == 0 {
		p.addf("%s: field Branches is required and must be a non-empty array", where)
		return
	}
	for i, b := range arr {
		bm, isObj := b.(map[string]any)
		if !isObj {
			p.addf("%s: field Branches[%d] must be an object", where, i)
			continue
		}
		st.Branches = append(st.Branches, p.machine(bm, fmt.Sprintf("%s Branches[%d]", where, i), false))
	}
}

// eachObject walks the optional array field key of f ("Retry", "Catch"):
// a value that is not an array, or an element that is not an object, is a
// problem; fn gets each object's fields, its location ("<where>: Key[i]")
// and whether it is the last element.
func (p *parser) eachObject(f *fields, key, where string, fn func(of *fields, w string, last bool)) {
	v, ok := f.raw(key)
	if !ok {
		return
	}
	arr, isArr := v.([]any)
	if !isArr {
		p.addf("%s: field %s must be an array", where, key)
		return
	}
	for i, e := range arr {
		m, isObj := e.(map[string]any)
		w := fmt.Sprintf("%s: %s[%d]", where, key, i)
		if !isObj {
			p.addf("%s must be an object", w)
			continue
		}
		fn(p.fields(m, w), w, i == len(arr)-1)
	}
}

func (p *parser) retriers(f *fields, where string) []Retrier {
	var out []Retrier
	p.eachObject(f, "Retry", where, func(rf *fields, w string, last bool) {
		r := Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2}
		r.ErrorEquals = p.errorEquals(rf, w, last)
		if n, ok := rf.integer("IntervalSeconds", 1); ok {
			r.IntervalSeconds = float64(n)
		}
		if n, ok := rf.integer("MaxAttempts", 0); ok {
			r.MaxAttempts = n
		}
		if n, ok := rf.number("BackoffRate", 1); ok {
			r.BackoffRate = n
		}
		if n, ok := rf.integer("MaxDelaySeconds", 1); ok {
			r.MaxDelaySeconds = float64(n)
		}
		if js, ok := rf.str("JitterStrategy"); ok {
			switch js {
			case "FULL":
				r.JitterFull = true
			case "NONE":
			default:
				p.addf("%s: field JitterStrategy must be FULL or NONE, got %q", w, js)
			}
		}
		rf.done([]string{"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"})
		out = append(out, r)
	})
	return out
}

func (p *parser) catchers(f *fields, where string) []Catcher {
	var out []Catcher
	p.eachObject(f, "Catch", where, func(cf *fields, w string, last bool) {
		c := Catcher{ErrorEquals: p.errorEquals(cf, w, last)}
		next, ok := cf.str("Next")
		if !ok {
			p.addf("%s: field Next is required", w)
		}
		c.Next = next
		c.ResultPath = cf.ioPathField("ResultPath", true)
		cf.done([]string{"ErrorEquals", "Next", "ResultPath", "Comment"})
		out = append(out, c)
	})
	return out
}

func (p *parser) errorEquals(f *fields, where string, last bool) []string {
	ee := f.strings("ErrorEquals")
	if len(ee) == 0 {
		p.addf("%s: field ErrorEquals is required and must not be empty", where)
	}
	if slices.Contains(ee, ErrAll) {
		if len(ee) != 1 {
			p.addf("%s: field ErrorEquals: %s must appear alone", where, ErrAll)
		}
		if !last {
			p.addf("%s: field ErrorEquals: %s must be in the last entry", where, ErrAll)
		}
	}
	return ee
}
