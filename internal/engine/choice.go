package engine

import (
	"fmt"
	"strings"
	"time"
)

// choiceRule is one Choice rule or a nested boolean expression.
type choiceRule struct {
	next     string // only on top-level rules
	variable *path
	op       string // comparison operator, or And/Or/Not
	operand  any    // literal operand
	opPath   *path  // operand of a ...Path operator
	children []*choiceRule
}

var comparisonOps = map[string]string{ // operator → operand type
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

func (p *parser) choice(f *fields, st *State, where string) {
	v, ok := f.raw("Choices")
	arr, isArr := v.([]any)
	if !ok || !isArr || len(arr) == 0 {
		p.addf("%s: field Choices is required and must be a non-empty array", where)
	}
	for i, e := range arr {
		w := fmt.Sprintf("%s: Choices[%d]", where, i)
		m, isObj := e.(map[string]any)
		if !isObj {
			p.addf("%s must be an object", w)
			continue
		}
		r := p.choiceRule(m, w, true)
		st.Choices = append(st.Choices, r)
	}
	st.Default, _ = f.str("Default")
}

func (p *parser) choiceRule(m map[string]any, where string, top bool) *choiceRule {
	f := p.fields(m, where)
	r := &choiceRule{}
	f.str("Comment")
	if top {
		next, ok := f.str("Next")
		if !ok {
			p.addf("%s: field Next is required", where)
		}
		r.next = next
	} else if f.has("Next") {
		p.addf("%s: field Next is only allowed on a top-level Choice rule", where)
		f.raw("Next")
	}
	var ops []string
	for k := range m {
		if _, ok := comparisonOps[strings.TrimSuffix(k, "Path")]; ok || k == "And" || k == "Or" || k == "Not" {
			ops = append(ops, k)
		}
	}
	if len(ops) != 1 {
		p.addf("%s: exactly one comparison operator (or And, Or, Not) is required, got %d", where, len(ops))
		f.done([]string{"Variable", "Next", "Comment"})
		return r
	}
	op := ops[0]
	r.op = op
	switch op {
	case "And", "Or":
		v, _ := f.raw(op)
		arr, isArr := v.([]any)
		if !isArr || len(arr) == 0 {
			p.addf("%s: field %s must be a non-empty array of rules", where, op)
		}
		for i, e := range arr {
			cm, isObj := e.(map[string]any)
			if !isObj {
				p.addf("%s.%s[%d] must be an object", where, op, i)
				continue
			}
			r.children = append(r.children, p.choiceRule(cm, fmt.Sprintf("%s.%s[%d]", where, op, i), false))
		}
		if f.has("Variable") {
			p.addf("%s: field Variable is not allowed with %s", where, op)
		}
	case "Not":
		cm, ok := f.object("Not")
		if ok {
			r.children = []*choiceRule{p.choiceRule(cm, where+".Not", false)}
		}
		if f.has("Variable") {
			p.addf("%s: field Variable is not allowed with Not", where)
		}
	default:
		if !f.has("Variable") {
			p.addf("%s: field Variable is required with %s", where, op)
		}
		r.variable = f.pathField("Variable", false)
		base := strings.TrimSuffix(op, "Path")
		if _, isOp := comparisonOps[op]; isOp {
			base = op
		}
		val, _ := f.raw(op)
		if base != op {
			if base == "StringMatches" || strings.HasPrefix(base, "Is") {
				p.addf("%s: operator %s does not exist", where, op)
				break
			}
			pp := f.pathField(op, false)
			r.opPath = pp
			break
		}
		if err := checkOperand(base, val); err != nil {
			p.addf("%s: field %s: %v", where, op, err)
		}
		r.operand = val
	}
	f.done([]string{"Variable", "Next", "Comment"})
	return r
}

func checkOperand(op string, v any) error {
	switch comparisonOps[op] {
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("must be a string, got %s", typeName(v))
		}
	case "number":
		if _, ok := toFloat(v); !ok {
			return fmt.Errorf("must be a number, got %s", typeName(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("must be a boolean, got %s", typeName(v))
		}
	case "timestamp":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a timestamp string, got %s", typeName(v))
		}
		if _, err := parseTimestamp(s); err != nil {
			return fmt.Errorf("%q is not an RFC 3339 timestamp", s)
		}
	}
	return nil
}

// parseTimestamp accepts RFC 3339 with an uppercase T and Z, as Step
// Functions requires.
func parseTimestamp(s string) (time.Time, error) {
	if strings.ContainsAny(s, "tz ") {
		return time.Time{}, fmt.Errorf("not an RFC 3339 timestamp")
	}
	return time.Parse(time.RFC3339Nano, s)
}

// choose evaluates the rules in order and returns the Next of the first
// that matches, "" when none does.
func (st *State) choose(sr stateRun, input any) (string, error) {
	for _, r := range st.Choices {
		ok, err := r.eval(sr, input)
		if err != nil {
			return "", err
		}
		if ok {
			return r.next, nil
		}
	}
	return st.Default, nil
}

// eval evaluates the rule; a Variable or operand path that starts with "$$"
// reads the context object.
func (r *choiceRule) eval(sr stateRun, input any) (bool, error) {
	switch r.op {
	case "And":
		for _, c := range r.children {
			ok, err := c.eval(sr, input)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, c := range r.children {
			ok, err := c.eval(sr, input)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.children[0].eval(sr, input)
		return !ok, err
	}
	if r.op == "IsPresent" {
		return r.variable.exists(sr.root(r.variable, input)) == r.operand.(bool), nil
	}
	v, err := r.variable.eval(sr.root(r.variable, input))
	if err != nil {
		return false, failf(ErrRuntime, "invalid path '%s': the choice state's condition path references an invalid value", r.variable.src)
	}
	operand := r.operand
	op := r.op
	if r.opPath != nil {
		operand, err = r.opPath.eval(sr.root(r.opPath, input))
		if err != nil {
			return false, failf(ErrRuntime, "invalid path '%s': the choice state's condition path references an invalid value", r.opPath.src)
		}
		op = strings.TrimSuffix(op, "Path")
	}
	return compare(op, v, operand), nil
}

// compare applies a comparison operator; a value of the wrong type never
// matches.
func compare(op string, v, operand any) bool {
	switch op {
	case "IsNull":
		return (v == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := toFloat(v)
		return ok == operand.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == operand.(bool)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && stringMatches(a, b)
	}
	rel := relation(op)
	switch comparisonOps[op] {
	case "string":
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && compareOrdered(a, b, rel)
	case "number":
		a, ok1 := toFloat(v)
		b, ok2 := toFloat(operand)
		return ok1 && ok2 && compareOrdered(a, b, rel)
	case "timestamp":
		as, ok1 := v.(string)
		bs, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		a, err1 := parseTimestamp(as)
		b, err2 := parseTimestamp(bs)
		if err1 != nil || err2 != nil {
			return false
		}
		c := a.Compare(b)
		return compareOrdered(c, 0, rel)
	}
	return false
}

func relation(op string) string {
	switch {
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return ">="
	case strings.HasSuffix(op, "LessThanEquals"):
		return "<="
	case strings.HasSuffix(op, "GreaterThan"):
		return ">"
	case strings.HasSuffix(op, "LessThan"):
		return "<"
	}
	return "=="
}

// stringMatches implements StringMatches: '*' matches any run of characters,
// "\*" a literal star and "\\" a literal backslash.
func stringMatches(s, pattern string) bool {
	type tok struct {
		star bool
		lit  rune
	}
	var toks []tok
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			i++
			toks = append(toks, tok{lit: rs[i]})
			continue
		}
		toks = append(toks, tok{star: rs[i] == '*', lit: rs[i]})
	}
	in := []rune(s)
	// Dynamic programming over (token, rune) positions.
	prev := make([]bool, len(in)+1)
	prev[0] = true
	for _, t := range toks {
		cur := make([]bool, len(in)+1)
		if t.star {
			cur[0] = prev[0]
			for j := 1; j <= len(in); j++ {
				cur[j] = prev[j] || cur[j-1]
			}
		} else {
			for j := 1; j <= len(in); j++ {
				cur[j] = prev[j-1] && in[j-1] == t.lit
			}
		}
		prev = cur
	}
	return prev[len(in)]
}
