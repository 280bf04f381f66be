package engine

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	mrand "math/rand/v2"
	"strings"
	"unicode/utf8"

	crand "crypto/rand"
)

// intrinsic is a parsed intrinsic function call, such as
// States.Format('x={}', $.x).
type intrinsic struct {
	name string
	args []intrinsicArg
}

type intrinsicArg struct {
	literal any // string, json.Number, bool or nil
	path    *path
	call    *intrinsic
}

// isIntrinsic reports whether a "key.$" value is an intrinsic call rather
// than a path.
func isIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// parseIntrinsic parses an intrinsic function call.
func parseIntrinsic(s string) (*intrinsic, error) {
	p := &intrinsicParser{src: s}
	call, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("invalid intrinsic function %q: %w", s, err)
	}
	p.space()
	if p.i != len(s) {
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected text at offset %d", s, p.i)
	}
	return call, nil
}

type intrinsicParser struct {
	src string
	i   int
}

func (p *intrinsicParser) space() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t' || p.src[p.i] == '\n' || p.src[p.i] == '\r') {
		p.i++
	}
}

func (p *intrinsicParser) call() (*intrinsic, error) {
	p.space()
	start := p.i
	for p.i < len(p.src) && p.src[p.i] != '(' {
		p.i++
	}
	if p.i == len(p.src) {
		return nil, fmt.Errorf("missing '('")
	}
	name := strings.TrimSpace(p.src[start:p.i])
	if _, ok := intrinsicFuncs[name]; !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	p.i++ // (
	c := &intrinsic{name: name}
	p.space()
	if p.i < len(p.src) && p.src[p.i] == ')' {
		p.i++
		return c, c.checkArity()
	}
	for {
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		p.space()
		if p.i >= len(p.src) {
			return nil, fmt.Errorf("missing ')'")
		}
		if p.src[p.i] == ')' {
			p.i++
			return c, c.checkArity()
		}
		if p.src[p.i] != ',' {
			return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
		}
		p.i++
	}
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	p.space()
	if p.i >= len(p.src) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	rest := p.src[p.i:]
	switch {
	case rest[0] == '\'':
		var b strings.Builder
		for j := 1; j < len(rest); j++ {
			c := rest[j]
			if c == '\\' && j+1 < len(rest) {
				j++
				if rest[j] == '"' {
					// AWS rejects the definition: a double quote needs no escape.
					return intrinsicArg{}, fmt.Errorf("invalid escape sequence \\\" in the string at offset %d (a double quote is written without a backslash)", p.i)
				}
				switch rest[j] {
				case '{', '}':
					b.WriteByte('\\') // kept for States.Format to see the escape
				}
				b.WriteByte(rest[j])
				continue
			}
			if c == '\'' {
				p.i += j + 1
				return intrinsicArg{literal: b.String()}, nil
			}
			b.WriteByte(c)
		}
		return intrinsicArg{}, fmt.Errorf("unterminated string at offset %d", p.i)
	case rest[0] == '$':
		end := p.i
		depth := 0
		var quote byte
		for ; end < len(p.src); end++ {
			c := p.src[end]
			if quote != 0 {
				if c == '\\' && end+1 < len(p.src) {
					end++ // the escaped character
				} else if c == quote {
					quote = 0
				}
				continue
			}
			if c == '\'' || c == '"' {
				quote = c
				continue
			}
			if c == '[' || c == '(' {
				depth++
			}
			if c == ']' || (c == ')' && depth > 0) {
				depth--
				continue
			}
			if depth == 0 && (c == ',' || c == ')' || c == ' ') {
				break
			}
		}
		pp, err := parsePath(p.src[p.i:end])
		if err != nil {
			return intrinsicArg{}, err
		}
		p.i = end
		return intrinsicArg{path: pp}, nil
	case strings.HasPrefix(rest, "States."):
		c, err := p.call()
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{call: c}, nil
	}
	end := p.i
	for end < len(p.src) && p.src[end] != ',' && p.src[end] != ')' && p.src[end] != ' ' {
		end++
	}
	tok := p.src[p.i:end]
	v, err := decodeValue([]byte(tok))
	if err != nil || typeName(v) == "object" || typeName(v) == "array" || typeName(v) == "string" {
		return intrinsicArg{}, fmt.Errorf("invalid argument %q", tok)
	}
	p.i = end
	return intrinsicArg{literal: v}, nil
}

type intrinsicFunc struct {
	minArgs, maxArgs int // maxArgs -1 = any
	fn               func(args []any) (any, error)
}

var intrinsicFuncs map[string]intrinsicFunc

func init() {
	intrinsicFuncs = map[string]intrinsicFunc{
		"States.Format":         {1, -1, fnFormat},
		"States.StringToJson":   {1, 1, fnStringToJSON},
		"States.JsonToString":   {1, 1, func(a []any) (any, error) { return encodeString(a[0]), nil }},
		"States.Array":          {0, -1, func(a []any) (any, error) { return append([]any{}, a...), nil }},
		"States.ArrayPartition": {2, 2, fnArrayPartition},
		"States.ArrayContains":  {2, 2, fnArrayContains},
		"States.ArrayRange":     {3, 3, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, fnArrayLength},
		"States.ArrayUnique":    {1, 1, fnArrayUnique},
		"States.Base64Encode":   {1, 1, fnBase64Encode},
		"States.Base64Decode":   {1, 1, fnBase64Decode},
		"States.Hash":           {2, 2, fnHash},
		"States.JsonMerge":      {3, 3, fnJSONMerge},
		"States.MathRandom":     {2, 3, fnMathRandom},
		"States.MathAdd":        {2, 2, fnMathAdd},
		"States.StringSplit":    {2, 2, fnStringSplit},
		"States.UUID":           {0, 0, func([]any) (any, error) { return newUUID(), nil }},
	}
}

func (c *intrinsic) checkArity() error {
	f := intrinsicFuncs[c.name]
	if len(c.args) < f.minArgs || (f.maxArgs >= 0 && len(c.args) > f.maxArgs) {
		if f.maxArgs == f.minArgs {
			return fmt.Errorf("%s takes %d argument(s), got %d", c.name, f.minArgs, len(c.args))
		}
		return fmt.Errorf("%s takes at least %d argument(s), got %d", c.name, f.minArgs, len(c.args))
	}
	return nil
}

// eval runs the call; input is "$" and ctx is "$$".
func (c *intrinsic) eval(input, ctx any) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.call != nil:
			v, err := a.call.eval(input, ctx)
			if err != nil {
				return nil, err
			}
			args[i] = norm(v)
		case a.path != nil:
			root := input
			if a.path.context {
				root = ctx
			}
			v, err := a.path.eval(root)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			args[i] = norm(v)
		default:
			// States.Format sees the escapes in its template; every other
			// string literal is plain text.
			if s, ok := a.literal.(string); ok && (c.name != "States.Format" || i > 0) {
				args[i] = unescapeBraces(s)
				continue
			}
			args[i] = a.literal
		}
	}
	v, err := intrinsicFuncs[c.name].fn(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return v, nil
}

func unescapeBraces(s string) string {
	return strings.NewReplacer(`\{`, "{", `\}`, "}").Replace(s)
}

func fnFormat(a []any) (any, error) {
	tmpl, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("the template must be a string")
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '\\' && i+1 < len(tmpl) && (tmpl[i+1] == '{' || tmpl[i+1] == '}') {
			b.WriteByte(tmpl[i+1])
			i++
			continue
		}
		if c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			if next >= len(a) {
				return nil, fmt.Errorf("the template has more placeholders than arguments (%d)", len(a)-1)
			}
			writeFormatArg(&b, a[next])
			next++
			i++
			continue
		}
		b.WriteByte(c)
	}
	if next != len(a) {
		return nil, fmt.Errorf("the template has %d placeholder(s) but %d argument(s) were given", next-1, len(a)-1)
	}
	return b.String(), nil
}

// writeFormatArg writes one States.Format argument as AWS renders it: a
// string as its text, a number, boolean or null as JSON, and an object or
// array as Java's Map and List do (`{Arg1=1, Arg2=[a, b]}`), with the
// strings inside unquoted. Object keys are written in sorted order (the
// engine does not keep the input's key order).
func writeFormatArg(b *strings.Builder, v any) {
	switch t := norm(v).(type) {
	case string:
		b.WriteString(t)
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(t) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeFormatArg(b, t[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFormatArg(b, e)
		}
		b.WriteByte(']')
	default:
		b.Write(encodeValue(t))
	}
}

func fnStringToJSON(a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("the argument must be a string, got %s", typeName(a[0]))
	}
	if strings.TrimLeft(s, " \t\n\r") == "" {
		return nil, nil // AWS: an empty or blank string gives null
	}
	v, err := decodeValue([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("the argument is not JSON: %w", err)
	}
	return v, nil
}

func argArray(v any, what string) ([]any, error) {
	a, ok := norm(v).([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an array, got %s", what, typeName(v))
	}
	return a, nil
}

func argInt(v any, what string) (int64, error) {
	i, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("%s must be an integer, got %s", what, encodeString(v))
	}
	return i, nil
}

func fnArrayPartition(a []any) (any, error) {
	arr, err := argArray(a[0], "the first argument")
	if err != nil {
		return nil, err
	}
	size, err := argInt(a[1], "the chunk size")
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("the chunk size must be positive, got %d", size)
	}
	out := []any{}
	for i := 0; i < len(arr); i += int(size) {
		out = append(out, append([]any{}, arr[i:min(i+int(size), len(arr))]...))
	}
	return out, nil
}

func fnArrayContains(a []any) (any, error) {
	arr, err := argArray(a[0], "the first argument")
	if err != nil {
		return nil, err
	}
	for _, e := range arr {
		if jsonEqual(e, a[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(a []any) (any, error) {
	start, err := argInt(a[0], "the start")
	if err != nil {
		return nil, err
	}
	end, err := argInt(a[1], "the end")
	if err != nil {
		return nil, err
	}
	step, err := argInt(a[2], "the step")
	if err != nil {
		return nil, err
	}
	if step == 0 {
		return nil, fmt.Errorf("the step must not be 0")
	}
	out := []any{}
	for i := start; (step > 0 && i <= end) || (step < 0 && i >= end); i += step {
		if len(out) == 1000 {
			return nil, fmt.Errorf("the range has more than 1000 items")
		}
		out = append(out, intValue(i))
	}
	return out, nil
}

func fnArrayGetItem(a []any) (any, error) {
	arr, err := argArray(a[0], "the first argument")
	if err != nil {
		return nil, err
	}
	i, err := argInt(a[1], "the index")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(arr)) {
		return nil, fmt.Errorf("index %d is out of bounds (length %d)", i, len(arr))
	}
	return arr[i], nil
}

func fnArrayLength(a []any) (any, error) {
	arr, err := argArray(a[0], "the argument")
	if err != nil {
		return nil, err
	}
	return intValue(int64(len(arr))), nil
}

func fnArrayUnique(a []any) (any, error) {
	arr, err := argArray(a[0], "the argument")
	if err != nil {
		return nil, err
	}
	out := []any{}
next:
	for _, e := range arr {
		for _, o := range out {
			if jsonEqual(e, o) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func fnBase64Encode(a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("the argument must be a string, got %s", typeName(a[0]))
	}
	if utf8.RuneCountInString(s) > 10000 {
		return nil, fmt.Errorf("the argument is longer than 10000 characters")
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("the argument must be a string, got %s", typeName(a[0]))
	}
	if len(s) > 10000 {
		return nil, fmt.Errorf("the argument is longer than 10000 characters")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the argument is not base64: %w", err)
	}
	return string(b), nil
}

func fnHash(a []any) (any, error) {
	alg, ok := a[1].(string)
	if !ok {
		return nil, fmt.Errorf("the algorithm must be a string")
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unsupported algorithm %q (want MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", alg)
	}
	data, ok := a[0].(string)
	if !ok {
		data = encodeString(a[0])
	}
	if utf8.RuneCountInString(data) > 10000 {
		return nil, fmt.Errorf("the data is longer than 10000 characters")
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(a []any) (any, error) {
	x, ok1 := a[0].(map[string]any)
	y, ok2 := a[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("both arguments must be objects")
	}
	if deep, ok := a[2].(bool); !ok || deep {
		return nil, fmt.Errorf("only a shallow merge is supported: the third argument must be false")
	}
	out := make(map[string]any, len(x)+len(y))
	for k, v := range x {
		out[k] = v
	}
	for k, v := range y {
		out[k] = v
	}
	return out, nil
}

func fnMathRandom(a []any) (any, error) {
	start, err := argInt(a[0], "the start")
	if err != nil {
		return nil, err
	}
	end, err := argInt(a[1], "the end")
	if err != nil {
		return nil, err
	}
	if end <= start || end-start <= 0 {
		return nil, fmt.Errorf("the end (%d) must be greater than the start (%d) and the range must fit in 64 bits", end, start)
	}
	r := mrand.Int64N
	if len(a) == 3 {
		seed, err := argInt(a[2], "the seed")
		if err != nil {
			return nil, err
		}
		r = mrand.New(mrand.NewPCG(uint64(seed), 0)).Int64N
	}
	return intValue(start + r(end-start)), nil
}

// fnMathAdd adds two numbers. As on AWS, each argument that is not an
// integer is first rounded to the nearest one, halves towards positive
// infinity (Java's Math.round: 1.5 → 2, −1.5 → −1, −2.5 → −2).
func fnMathAdd(a []any) (any, error) {
	x, err := argRounded(a[0], "the first argument")
	if err != nil {
		return nil, err
	}
	y, err := argRounded(a[1], "the second argument")
	if err != nil {
		return nil, err
	}
	return intValue(x + y), nil
}

// argRounded reads a number, rounding it to an integer as Java's Math.round
// does (floor(x + 0.5)).
func argRounded(v any, what string) (int64, error) {
	if i, ok := toInt(v); ok {
		return i, nil
	}
	f, ok := toFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, fmt.Errorf("%s must be a number, got %s", what, encodeString(v))
	}
	r := math.Floor(f)
	if f-r >= 0.5 { // exact, unlike f+0.5, for values just under a half
		r++
	}
	return int64(r), nil
}

func fnStringSplit(a []any) (any, error) {
	s, ok1 := a[0].(string)
	d, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("both arguments must be strings")
	}
	out := []any{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) }) {
		out = append(out, f)
	}
	return out, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:], b[10:])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
}
