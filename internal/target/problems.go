package target

import (
	"fmt"
	"strings"
)

// Problems is a list of problems used as an error: ParsePulse returns one
// when a pulse file cannot be used.
type Problems []Problem

// Error joins the problems.
func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// fieldErr is something wrong with one key of a target, channel or the
// defaults, before it is attached to a file and a target name.
type fieldErr struct {
	field string // as written in the file: "expect.status"
	line  int    // 0 when unknown (JSON pulse files)
	msg   string
}

func fieldErrorf(field string, line int, format string, args ...any) fieldErr {
	return fieldErr{field: field, line: line, msg: fmt.Sprintf(format, args...)}
}

// problem attaches e to a file and a target.
func (e fieldErr) problem(source, target string) Problem {
	msg := e.msg
	if e.line > 0 {
		msg = fmt.Sprintf("%s (line %d)", msg, e.line)
	}
	return Problem{Source: source, Target: target, Field: e.field, Error: msg}
}

func problemsFor(source, target string, errs []fieldErr) []Problem {
	ps := make([]Problem, len(errs))
	for i, e := range errs {
		ps[i] = e.problem(source, target)
	}
	return ps
}
