package target

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The decoder below reads a YAML (or JSON) mapping into a spec struct one
// key at a time, so that an unknown key or a value of the wrong type is
// reported with its key and line instead of failing the whole file. Spec
// fields are pointers: nil means "not written", which is how defaults
// apply.

// lines records, for each key path written in the file, its line.
type lines map[string]int

var durationType = reflect.TypeOf(Duration(0))

var byteSizeType = reflect.TypeOf(ByteSize(0))

// decodeMapping decodes mapping node n into the struct pointed to by out.
func decodeMapping(n *yaml.Node, out any, prefix string, at lines) []fieldErr {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return []fieldErr{fieldErrorf(prefix, n.Line, "must be a mapping of keys to values, got %s", describeNode(n))}
	}
	v := reflect.ValueOf(out).Elem()
	index := map[string]int{}
	var known []string
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("yaml")
		index[tag] = i
		known = append(known, tag)
	}
	sort.Strings(known)
	var errs []fieldErr
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], resolveAlias(n.Content[i+1])
		path := joinPath(prefix, k.Value)
		if k.Value == "<<" {
			errs = append(errs, fieldErrorf(path, k.Line, "YAML merge keys are not supported; put shared settings under defaults"))
			continue
		}
		idx, ok := index[k.Value]
		if !ok {
			errs = append(errs, fieldErrorf(path, k.Line, "unknown key %q (known keys: %s)", k.Value, strings.Join(known, ", ")))
			continue
		}
		if seen[k.Value] {
			errs = append(errs, fieldErrorf(path, k.Line, "key %q is given twice", k.Value))
			continue
		}
		seen[k.Value] = true
		if at != nil {
			at[path] = k.Line
		}
		errs = append(errs, decodeValue(val, v.Field(idx), path, at)...)
	}
	return errs
}

// decodeValue decodes node n into field f, a pointer or map.
func decodeValue(n *yaml.Node, f reflect.Value, path string, at lines) []fieldErr {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "key:" with no value: not set
	}
	t := f.Type()
	switch {
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		p := reflect.New(t.Elem())
		errs := decodeMapping(n, p.Interface(), path, at)
		f.Set(p)
		return errs
	case t.Kind() == reflect.Pointer && t.Elem() == durationType:
		d, err := decodeDuration(n)
		if err != nil {
			return []fieldErr{fieldErrorf(path, n.Line, "%v", err)}
		}
		f.Set(reflect.ValueOf(&d))
		return nil
	case t.Kind() == reflect.Pointer && t.Elem() == byteSizeType:
		if n.Kind != yaml.ScalarNode {
			return []fieldErr{fieldErrorf(path, n.Line, "must be a size like \"4MiB\" or a number of bytes, got %s", describeNode(n))}
		}
		b, err := ParseByteSize(n.Value)
		if err != nil {
			return []fieldErr{fieldErrorf(path, n.Line, "%v", err)}
		}
		f.Set(reflect.ValueOf(&b))
		return nil
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Slice && t.Elem().Elem().Kind() == reflect.Struct:
		// A list of blocks (maintenance windows): each is decoded key by
		// key, as "maintenance[1].cron".
		if n.Kind != yaml.SequenceNode {
			return []fieldErr{fieldErrorf(path, n.Line, "must be a list, got %s", describeNode(n))}
		}
		list := reflect.MakeSlice(t.Elem(), len(n.Content), len(n.Content))
		var errs []fieldErr
		for i, item := range n.Content {
			errs = append(errs, decodeMapping(item, list.Index(i).Addr().Interface(), fmt.Sprintf("%s[%d]", path, i), at)...)
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(list)
		f.Set(p)
		return errs
	case t == reflect.TypeOf((*[]int)(nil)) && n.Kind == yaml.ScalarNode:
		// status: 200 is a list of one.
		n = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Content: []*yaml.Node{n}}
	}
	p := reflect.New(t)
	if err := n.Decode(p.Interface()); err != nil {
		return []fieldErr{fieldErrorf(path, n.Line, "must be %s, got %s", describeType(t), describeNode(n))}
	}
	f.Set(p.Elem())
	return nil
}

// decodeDuration reads "30s"-style strings, or a number of seconds.
func decodeDuration(n *yaml.Node) (Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("must be a duration like \"30s\", got %s", describeNode(n))
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		secs, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || secs < 0 || math.IsNaN(secs) || secs > float64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("invalid duration %q (use a form like \"30s\", \"15m\", \"1h\")", n.Value)
		}
		return Duration(secs * float64(time.Second)), nil
	}
	var d Duration
	if err := d.parse(n.Value); err != nil {
		return 0, err
	}
	return d, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "an unsupported value"
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ") + "s"
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return "a mapping of keys to values"
		}
		return "a mapping of names to " + strings.TrimPrefix(describeType(t.Elem()), "a ") + "s"
	}
	return t.String()
}
