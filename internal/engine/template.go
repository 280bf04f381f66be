package engine

import (
	"fmt"
	"strings"
)

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, lambda:invoke arguments): fields whose names end in ".$"
// take their value from a path or an intrinsic function.
type template struct {
	object map[string]*template // an object: field name (without ".$") → value
	fields []templateField      // object's fields in name order, to build from
	array  []*template
	static any // a literal (when object and array are nil and dyn is nil)
	dyn    *dynamic
	// readsContext says whether applying it reads the context object ($$),
	// which is then worth building.
	readsContext bool
}

type templateField struct {
	name string
	t    *template
}

// indexFields lists an object template's fields in name order (applying
// walks the list, not the map).
func (t *template) indexFields() {
	t.fields = make([]templateField, 0, len(t.object))
	for _, k := range sortedKeys(t.object) {
		t.fields = append(t.fields, templateField{k, t.object[k]})
	}
}

// dynamic is the value of a "key.$" field or of ErrorPath/CausePath.
type dynamic struct {
	path *path
	call *intrinsic
}

func compileDynamic(s string) (*dynamic, error) {
	if isIntrinsic(s) {
		c, err := parseIntrinsic(s)
		if err != nil {
			return nil, err
		}
		return &dynamic{call: c}, nil
	}
	p, err := parsePath(s)
	if err != nil {
		return nil, err
	}
	return &dynamic{path: p}, nil
}

// readsContext reports whether evaluating d reads the context object.
func (d *dynamic) readsContext() bool {
	if d.path != nil {
		return d.path.context
	}
	return d.call.readsContext()
}

func (c *intrinsic) readsContext() bool {
	for _, a := range c.args {
		if (a.path != nil && a.path.context) || (a.call != nil && a.call.readsContext()) {
			return true
		}
	}
	return false
}

// eval evaluates against the input ($) and the context object ($$).
// A path that selects nothing fails with States.Runtime, as on AWS (where
// States.ALL does not catch it); an intrinsic that fails is a
// States.IntrinsicFailure.
func (d *dynamic) eval(input, ctx any, field string) (any, error) {
	if d.call != nil {
		v, err := d.call.eval(input, ctx)
		if err != nil {
			return nil, &Failure{Name: ErrIntrinsicFailure, Cause: fmt.Sprintf("the value of the field '%s' could not be evaluated: %v", field, err)}
		}
		return v, nil
	}
	root := input
	if d.path.context {
		root = ctx
	}
	v, err := d.path.eval(root)
	if err != nil {
		if c, ok := root.(*itemContext); ok {
			root = c.object()
		}
		return nil, &Failure{Name: ErrRuntime, Cause: fmt.Sprintf("the JSONPath '%s' specified for the field '%s.$' could not be found in the input '%s'", d.path.src, field, encodeString(root))}
	}
	return v, nil
}

func compileTemplate(v any, where string) (*template, error) {
	switch t := v.(type) {
	case map[string]any:
		out := &template{object: map[string]*template{}}
		for _, k := range sortedKeys(t) {
			x := t[k]
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s.%s: the value of a field ending in '.$' must be a path or an intrinsic function, got %s", where, k, typeName(x))
				}
				d, err := compileDynamic(s)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", where, k, err)
				}
				if _, dup := out.object[name]; dup {
					return nil, fmt.Errorf("%s.%s: field %q is given twice", where, k, name)
				}
				out.object[name] = &template{dyn: d, readsContext: d.readsContext()}
				out.readsContext = out.readsContext || d.readsContext()
				continue
			}
			if _, dup := out.object[k]; dup {
				return nil, fmt.Errorf("%s.%s: field %q is given twice", where, k, k)
			}
			c, err := compileTemplate(x, where+"."+k)
			if err != nil {
				return nil, err
			}
			out.object[k] = c
			out.readsContext = out.readsContext || c.readsContext
		}
		out.indexFields()
		return out, nil
	case []any:
		out := &template{array: []*template{}}
		for i, x := range t {
			c, err := compileTemplate(x, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return nil, err
			}
			out.array = append(out.array, c)
			out.readsContext = out.readsContext || c.readsContext
		}
		return out, nil
	}
	return &template{static: v}, nil
}

// apply builds the payload.
func (t *template) apply(input, ctx any) (any, error) {
	return t.applyField(input, ctx, "")
}

func (t *template) applyField(input, ctx any, field string) (any, error) {
	switch {
	case t.dyn != nil:
		return t.dyn.eval(input, ctx, field)
	case t.object != nil:
		out := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			v, err := f.t.applyField(input, ctx, f.name)
			if err != nil {
				return nil, err
			}
			out[f.name] = v
		}
		return out, nil
	case t.array != nil:
		out := make([]any, len(t.array))
		for i, c := range t.array {
			v, err := c.applyField(input, ctx, field)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return deepCopy(t.static), nil
}
