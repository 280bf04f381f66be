package engine

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// A path is a parsed JSONPath as Step Functions accepts it in InputPath,
// OutputPath, ItemsPath, Parameters ("key.$") and Choice rules: "$" or "$$"
// (the context object) followed by .name, ['name'], [index], [*], .*, ..name,
// [start:end:step], [a,b] unions and [?(@.field op literal)] filters.
type path struct {
	src     string
	context bool // starts with $$
	segs    []pathSeg
	// simple is set at parse time when every segment is a plain name or
	// index, so eval can walk without collecting nodes.
	simple bool
}

type segKind int

const (
	segName segKind = iota
	segIndex
	segWildcard
	segSlice
	segUnion
	segFilter
)

type pathSeg struct {
	kind      segKind
	recursive bool // ".." before the selector
	name      string
	index     int
	slice     [3]*int
	union     []pathSeg
	filter    *filterExpr
}

// filterExpr is [?(@.a.b)] (present) or [?(@.a.b op literal)].
type filterExpr struct {
	left  *path // relative to the element (@)
	op    string
	right any
}

// definite reports whether the path selects at most one value (no wildcards,
// slices, unions, filters or recursive descent).
func (p *path) definite() bool {
	for _, s := range p.segs {
		if s.recursive || (s.kind != segName && s.kind != segIndex) {
			return false
		}
	}
	return true
}

// isReference reports whether the path is a Reference Path, as ResultPath
// requires: only names and indexes.
func (p *path) isReference() bool { return !p.context && p.definite() }

func (p *path) String() string { return p.src }

// parsePath parses a JSONPath expression.
func parsePath(s string) (*path, error) {
	p := &path{src: s}
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("invalid path %q: must start with '$'", s)
	}
	i := 1
	if strings.HasPrefix(s, "$$") {
		p.context = true
		i = 2
	}
	for i < len(s) {
		seg, n, err := parseSegment(s, i)
		if err != nil {
			return nil, fmt.Errorf("invalid path %q: %w", s, err)
		}
		p.segs = append(p.segs, seg)
		i = n
	}
	p.simple = p.definite()
	return p, nil
}

func parseSegment(s string, i int) (pathSeg, int, error) {
	var seg pathSeg
	switch {
	case strings.HasPrefix(s[i:], ".."):
		seg.recursive = true
		i += 2
		if i < len(s) && s[i] == '[' {
			return parseBracket(s, i, seg)
		}
	case s[i] == '.':
		i++
	case s[i] == '[':
		return parseBracket(s, i, seg)
	default:
		return seg, i, fmt.Errorf("unexpected %q at offset %d", s[i], i)
	}
	if i < len(s) && s[i] == '*' {
		seg.kind = segWildcard
		return seg, i + 1, nil
	}
	start := i
	for i < len(s) && s[i] != '.' && s[i] != '[' {
		if strings.ContainsRune(" \t\n\r,()'\"]", rune(s[i])) {
			return seg, i, fmt.Errorf("unexpected %q at offset %d", s[i], i)
		}
		i++
	}
	if i == start {
		return seg, i, fmt.Errorf("empty field name at offset %d", start)
	}
	seg.kind = segName
	seg.name = s[start:i]
	return seg, i, nil
}

func parseBracket(s string, i int, seg pathSeg) (pathSeg, int, error) {
	end, err := matchBracket(s, i)
	if err != nil {
		return seg, i, err
	}
	body := strings.TrimSpace(s[i+1 : end])
	next := end + 1
	if body == "" {
		return seg, i, fmt.Errorf("empty brackets at offset %d", i)
	}
	if body == "*" {
		seg.kind = segWildcard
		return seg, next, nil
	}
	if strings.HasPrefix(body, "?") {
		f, err := parseFilter(body)
		if err != nil {
			return seg, i, err
		}
		seg.kind = segFilter
		seg.filter = f
		return seg, next, nil
	}
	parts, err := splitTopLevel(body, ',')
	if err != nil {
		return seg, i, err
	}
	if len(parts) > 1 {
		seg.kind = segUnion
		for _, p := range parts {
			u, err := parseSelector(strings.TrimSpace(p))
			if err != nil {
				return seg, i, err
			}
			seg.union = append(seg.union, u)
		}
		return seg, next, nil
	}
	sel, err := parseSelector(body)
	if err != nil {
		return seg, i, err
	}
	sel.recursive = seg.recursive
	return sel, next, nil
}

// matchBracket finds the ']' closing the '[' at s[i], skipping quoted text
// and nested brackets.
func matchBracket(s string, i int) (int, error) {
	depth := 0
	var quote byte
	for j := i; j < len(s); j++ {
		c := s[j]
		if quote != 0 {
			if c == '\\' {
				j++
				continue
			}
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unclosed '[' at offset %d", i)
}

func splitTopLevel(s string, sep byte) ([]string, error) {
	var parts []string
	var quote byte
	depth, start := 0, 0
	for j := 0; j < len(s); j++ {
		c := s[j]
		if quote != 0 {
			if c == '\\' {
				j++
				continue
			}
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case sep:
			if depth == 0 {
				parts = append(parts, s[start:j])
				start = j + 1
			}
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	return append(parts, s[start:]), nil
}

func parseSelector(body string) (pathSeg, error) {
	var seg pathSeg
	if len(body) >= 2 && (body[0] == '\'' || body[0] == '"') && body[len(body)-1] == body[0] {
		name, err := unquote(body)
		if err != nil {
			return seg, err
		}
		seg.kind = segName
		seg.name = name
		return seg, nil
	}
	if strings.Contains(body, ":") {
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return seg, fmt.Errorf("invalid slice [%s]", body)
		}
		seg.kind = segSlice
		for k, p := range parts {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			n, err := strconv.Atoi(p)
			if err != nil {
				return seg, fmt.Errorf("invalid slice [%s]", body)
			}
			seg.slice[k] = &n
		}
		return seg, nil
	}
	n, err := strconv.Atoi(body)
	if err != nil {
		return seg, fmt.Errorf("invalid selector [%s]", body)
	}
	seg.kind = segIndex
	seg.index = n
	return seg, nil
}

// unquote reads a quoted key of bracket notation as AWS's JSONPath
// implementation (Jayway JsonPath) does: a backslash escapes the next
// character; \\ \' \" stand for themselves, \b \f \n \r \t for control
// characters and \uXXXX for a UTF-16 code unit; any other escaped character
// stands for itself, and a final lone backslash is kept.
func unquote(q string) (string, error) {
	body := q[1 : len(q)-1]
	var b strings.Builder
	var units []uint16 // \u escapes, combined into surrogate pairs
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == q[0] {
			return "", fmt.Errorf("unescaped quote in %s", q)
		}
		if c != '\\' {
			flush()
			b.WriteByte(c)
			continue
		}
		if i+1 == len(body) {
			flush()
			b.WriteByte('\\')
			break
		}
		i++
		if body[i] == 'u' {
			if i+5 > len(body) {
				return "", fmt.Errorf("invalid unicode escape in %s", q)
			}
			n, err := strconv.ParseUint(body[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("invalid unicode escape in %s", q)
			}
			units = append(units, uint16(n))
			i += 4
			continue
		}
		flush()
		switch e := body[i]; e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte(e)
		}
	}
	flush()
	return b.String(), nil
}

var filterOps = []string{"==", "!=", "<=", ">=", "<", ">"}

func parseFilter(body string) (*filterExpr, error) {
	inner := strings.TrimSpace(body[1:])
	if !strings.HasPrefix(inner, "(") || !strings.HasSuffix(inner, ")") {
		return nil, fmt.Errorf("invalid filter [%s]", body)
	}
	inner = strings.TrimSpace(inner[1 : len(inner)-1])
	f := &filterExpr{}
	left := inner
	for _, op := range filterOps {
		if k := strings.Index(inner, op); k > 0 {
			left = strings.TrimSpace(inner[:k])
			f.op = op
			lit := strings.TrimSpace(inner[k+len(op):])
			v, err := parseFilterLiteral(lit)
			if err != nil {
				return nil, fmt.Errorf("invalid filter [%s]: %w", body, err)
			}
			f.right = v
			break
		}
	}
	if !strings.HasPrefix(left, "@") {
		return nil, fmt.Errorf("invalid filter [%s]: must test '@'", body)
	}
	lp, err := parsePath("$" + left[1:])
	if err != nil {
		return nil, fmt.Errorf("invalid filter [%s]: %w", body, err)
	}
	f.left = lp
	return f, nil
}

func parseFilterLiteral(lit string) (any, error) {
	if len(lit) >= 2 && (lit[0] == '\'' || lit[0] == '"') && lit[len(lit)-1] == lit[0] {
		return unquote(lit)
	}
	v, err := decodeValue([]byte(lit))
	if err != nil {
		return nil, fmt.Errorf("invalid literal %q", lit)
	}
	return v, nil
}

// errPathNotFound is returned when a definite path selects nothing.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string { return fmt.Sprintf("invalid path %q: %s", e.path, e.msg) }

// eval selects from root. A definite path returns its single value or an
// error when it selects nothing; any other path returns the (possibly empty)
// array of matches.
func (p *path) eval(root any) (any, error) {
	if c, ok := root.(*itemContext); ok {
		if v, err, ok := c.lookup(p); ok {
			return v, err
		}
		root = c.object()
	}
	if p.simple {
		return p.evalSimple(root)
	}
	return p.evalNodes(root)
}

// evalNodes is eval for any path: it collects the nodes each segment
// selects.
func (p *path) evalNodes(root any) (any, error) {
	nodes := []any{root}
	for _, seg := range p.segs {
		var next []any
		for _, n := range nodes {
			next = seg.apply(n, next)
		}
		nodes = next
		if p.definite() && len(nodes) == 0 {
			return nil, &pathError{p.src, "no results for path"}
		}
	}
	if p.definite() {
		return nodes[0], nil
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

// evalSimple is eval for a path of names and indexes: it selects at most
// one value, without collecting nodes.
func (p *path) evalSimple(v any) (any, error) {
	return p.evalSegs(v, p.segs)
}

// evalSegs is evalSimple for segs, a tail of p's segments.
func (p *path) evalSegs(v any, segs []pathSeg) (any, error) {
	for _, s := range segs {
		found := false
		v = norm(v)
		switch s.kind {
		case segName:
			if m, ok := v.(map[string]any); ok {
				v, found = m[s.name]
			}
		case segIndex:
			if a, ok := v.([]any); ok {
				i := s.index
				if i < 0 {
					i += len(a)
				}
				if i >= 0 && i < len(a) {
					v, found = a[i], true
				}
			}
		}
		if !found {
			return nil, &pathError{p.src, "no results for path"}
		}
	}
	return v, nil
}

// exists reports whether the path selects anything.
func (p *path) exists(root any) bool {
	v, err := p.eval(root)
	if err != nil {
		return false
	}
	if !p.definite() {
		return len(v.([]any)) > 0
	}
	return true
}

func (s pathSeg) apply(n any, out []any) []any {
	n = norm(n)
	if s.recursive {
		flat := s
		flat.recursive = false
		var walk func(x any)
		walk = func(x any) {
			x = norm(x)
			out = flat.apply(x, out)
			switch t := x.(type) {
			case map[string]any:
				for _, k := range sortedKeys(t) {
					walk(t[k])
				}
			case []any:
				for _, e := range t {
					walk(e)
				}
			}
		}
		walk(n)
		return out
	}
	switch s.kind {
	case segName:
		if m, ok := n.(map[string]any); ok {
			if v, ok := m[s.name]; ok {
				out = append(out, v)
			}
		}
	case segIndex:
		if a, ok := n.([]any); ok {
			i := s.index
			if i < 0 {
				i += len(a)
			}
			if i >= 0 && i < len(a) {
				out = append(out, a[i])
			}
		}
	case segWildcard:
		switch t := n.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				out = append(out, t[k])
			}
		case []any:
			out = append(out, t...)
		}
	case segSlice:
		if a, ok := n.([]any); ok {
			out = append(out, sliceOf(a, s.slice)...)
		}
	case segUnion:
		for _, u := range s.union {
			out = u.apply(n, out)
		}
	case segFilter:
		switch t := n.(type) {
		case []any:
			for _, e := range t {
				if s.filter.match(e) {
					out = append(out, e)
				}
			}
		case map[string]any:
			for _, k := range sortedKeys(t) {
				if s.filter.match(t[k]) {
					out = append(out, t[k])
				}
			}
		}
	}
	return out
}

func sliceOf(a []any, sl [3]*int) []any {
	n := len(a)
	step := 1
	if sl[2] != nil {
		step = *sl[2]
	}
	if step <= 0 {
		return nil
	}
	norm := func(p *int, def int) int {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += n
		}
		return min(max(v, 0), n)
	}
	start, end := norm(sl[0], 0), norm(sl[1], n)
	var out []any
	for i := start; i < end; i += step {
		out = append(out, a[i])
	}
	return out
}

func (f *filterExpr) match(e any) bool {
	v, err := f.left.eval(e)
	if err != nil {
		return false
	}
	if f.op == "" {
		return true
	}
	switch f.op {
	case "==":
		return jsonEqual(v, f.right)
	case "!=":
		return !jsonEqual(v, f.right)
	}
	if a, ok := toFloat(v); ok {
		b, ok := toFloat(f.right)
		if !ok {
			return false
		}
		return compareOrdered(a, b, f.op)
	}
	if a, ok := v.(string); ok {
		b, ok := f.right.(string)
		if !ok {
			return false
		}
		return compareOrdered(a, b, f.op)
	}
	return false
}

func compareOrdered[T int | float64 | string](a, b T, op string) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	}
	return false
}

// set returns a copy of root with the value at the reference path p
// replaced by v, creating missing objects along the way. It fails (as
// States.ResultPathMatchFailure) when a step meets something that is not an
// object or an array index out of range.
func (p *path) set(root, v any) (any, error) {
	if len(p.segs) == 0 {
		return v, nil
	}
	return setAt(root, p.segs, v, p.src)
}

func setAt(node any, segs []pathSeg, v any, src string) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	s := segs[0]
	node = norm(node)
	switch s.kind {
	case segName:
		var m map[string]any
		switch t := node.(type) {
		case map[string]any:
			m = make(map[string]any, len(t)+1)
			for k, x := range t {
				m[k] = x
			}
		case nil:
			m = map[string]any{}
		default:
			return nil, fmt.Errorf("unable to apply ResultPath %q: field %q is not in an object (found %s)", src, s.name, typeName(node))
		}
		child, err := setAt(m[s.name], segs[1:], v, src)
		if err != nil {
			return nil, err
		}
		m[s.name] = child
		return m, nil
	case segIndex:
		a, ok := node.([]any)
		if !ok || s.index < 0 || s.index >= len(a) {
			return nil, fmt.Errorf("unable to apply ResultPath %q: index %d is not in an array", src, s.index)
		}
		c := append([]any(nil), a...)
		child, err := setAt(c[s.index], segs[1:], v, src)
		if err != nil {
			return nil, err
		}
		c[s.index] = child
		return c, nil
	}
	return nil, fmt.Errorf("unable to apply ResultPath %q: not a reference path", src)
}
