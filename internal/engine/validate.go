package engine

import (
	"fmt"
	"strings"
)

// checkTransitions checks that every Next names a state of the same machine
// and that every state can be reached from StartAt.
func (p *parser) checkTransitions(m *Machine, label string) {
	exists := func(n string) bool { _, ok := m.States[n]; return ok }
	for _, name := range m.order {
		st := m.States[name]
		if st == nil {
			continue
		}
		where := fmt.Sprintf("state %q", name)
		if st.Next != "" && !exists(st.Next) {
			p.addf("%s: field Next: state %q does not exist", where, st.Next)
		}
		for i, c := range st.Catch {
			if c.Next != "" && !exists(c.Next) {
				p.addf("%s: Catch[%d]: field Next: state %q does not exist", where, i, c.Next)
			}
		}
		if st.Default != "" && !exists(st.Default) {
			p.addf("%s: field Default: state %q does not exist", where, st.Default)
		}
		for i, r := range st.Choices {
			if r.next != "" && !exists(r.next) {
				p.addf("%s: Choices[%d]: field Next: state %q does not exist", where, i, r.next)
			}
		}
	}
	if !exists(m.StartAt) {
		return
	}
	seen := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if seen[n] || !exists(n) {
			return
		}
		seen[n] = true
		st := m.States[n]
		visit(st.Next)
		visit(st.Default)
		for _, c := range st.Catch {
			visit(c.Next)
		}
		for _, r := range st.Choices {
			visit(r.next)
		}
	}
	visit(m.StartAt)
	for _, name := range m.order {
		if !seen[name] && m.States[name] != nil {
			p.addf("state %q: is not reachable from StartAt in %s", name, label)
		}
	}
}

// checkResource validates a Task's Resource.
func checkResource(res string) error {
	switch {
	case res == lambdaInvoke:
		return nil
	case strings.HasPrefix(res, "arn:aws:states:::lambda:invoke."):
		return fmt.Errorf("%q: only the request-response form of lambda:invoke is supported by this engine", res)
	case strings.HasPrefix(res, "arn:") && strings.Count(res, ":") >= 5:
		return nil
	}
	return fmt.Errorf("%q is not a resource ARN", res)
}
