package target

import (
	"github.com/medic-dev/medic/internal/window"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Options configure ParseFile.
type Options struct {
	// StaleAfter is the staleAfter of targets for which neither the target
	// nor the file's defaults set one; zero means DefaultStaleAfter.
	StaleAfter time.Duration
}

// File is a parsed targets file: the targets and channels that are valid,
// and a Problem for each one that is not.
type File struct {
	// Targets are the valid targets, in file order, with defaults applied.
	Targets []Target
	// Channels are the valid channels, by name.
	Channels map[string]Channel
	// Problems name the file, the target (or channel) and the field of
	// everything that was skipped.
	Problems []Problem
	// Defaults are the file's defaults; pass them to ParsePulse.
	Defaults Defaults
	// Names holds every target name written in the file, valid or not (a
	// target skipped for a problem too): a pulse file cannot take any of
	// them over.
	Names map[string]bool
}

// ParseFile parses a targets file. name is where it came from (the object
// key or a local path) and picks the format: ".json" is JSON, anything else
// YAML. A bad target, channel or default is reported in File.Problems and
// skipped; ParseFile returns an error, naming the file and line, only when
// the file cannot be read as a whole. A CLI validates a file by calling it
// and printing the error or the problems.
func ParseFile(name string, data []byte, opts Options) (*File, error) {
	if !utf8.Valid(data) {
		bad := len(data)
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				bad = i
				break
			}
			i += n
		}
		return nil, fmt.Errorf("%s: line %d: the file is not UTF-8 text", name, 1+bytes.Count(data[:bad], []byte("\n")))
	}
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		if !json.Valid(data) {
			return nil, jsonSyntaxError(name, data)
		}
		data = jsonAsYAML(data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	f := &File{Channels: map[string]Channel{}, Names: map[string]bool{}}
	f.Defaults = Defaults{staleAfter: opts.StaleAfter, channels: f.Channels, badChannels: map[string]bool{}}
	if len(doc.Content) == 0 {
		return f, nil // an empty file: no targets
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: the file must be a mapping with the keys defaults, channels, groups and targets, got %s", name, root.Line, describeNode(root))
	}
	var defaults, channels, groups, targets *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolveAlias(root.Content[i+1])
		var slot **yaml.Node
		switch k.Value {
		case "defaults":
			slot = &defaults
		case "channels":
			slot = &channels
		case "groups":
			slot = &groups
		case "targets":
			slot = &targets
		default:
			return nil, fmt.Errorf("%s: line %d: unknown key %q (known keys: defaults, channels, groups, targets)", name, k.Line, k.Value)
		}
		if *slot != nil {
			return nil, fmt.Errorf("%s: line %d: key %q is given twice", name, k.Line, k.Value)
		}
		*slot = v
	}
	if channels != nil && !isNull(channels) {
		if channels.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: line %d: channels must be a mapping of channel names to channels, got %s", name, channels.Line, describeNode(channels))
		}
		f.parseChannels(name, channels)
	}
	if defaults != nil && !isNull(defaults) {
		if defaults.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: line %d: defaults must be a mapping of settings, got %s", name, defaults.Line, describeNode(defaults))
		}
		f.parseDefaults(name, defaults)
	}
	if groups != nil && !isNull(groups) {
		if groups.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: line %d: groups must be a mapping of group names to their settings, got %s", name, groups.Line, describeNode(groups))
		}
		f.parseGroups(name, groups)
	}
	if targets != nil && !isNull(targets) {
		if targets.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s: line %d: targets must be a list, got %s", name, targets.Line, describeNode(targets))
		}
		f.parseTargets(name, targets)
	}
	return f, nil
}

// scalarKey returns the scalar value of key in mapping n, or "".
func scalarKey(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], resolveAlias(n.Content[i+1]); k.Value == key && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func (f *File) parseTargets(source string, seq *yaml.Node) {
	firstLine := map[string]int{}
	dependsLine := map[string]int{}
	defer func() { f.checkDependencies(source, dependsLine) }()
	for i, n := range seq.Content {
		n = resolveAlias(n)
		var s targetSpec
		at := lines{}
		errs := decodeMapping(n, &s, "", at)
		label := ""
		if s.Name != nil {
			label = *s.Name
		}
		if name := scalarKey(n, "name"); name != "" {
			f.Names[name] = true
		}
		var t Target
		if n.Kind == yaml.MappingNode {
			var verrs []fieldErr
			t, verrs = resolve(source, s, at, f.Defaults, false, n.Line)
			errs = append(errs, verrs...)
		}
		if label == "" {
			// Say which entry it is, since it has no name to go by.
			for j := range errs {
				errs[j].msg = fmt.Sprintf("targets[%d]: %s", i, errs[j].msg)
			}
		}
		if label != "" && len(errs) == 0 {
			if l, dup := firstLine[label]; dup {
				errs = append(errs, fieldErrorf("name", at["name"], "duplicate name %q: the target at line %d has it already; this one is skipped", label, l))
			}
		}
		if len(errs) > 0 {
			f.Problems = append(f.Problems, problemsFor(source, label, errs)...)
			continue
		}
		firstLine[label] = n.Line
		if len(t.DependsOn) > 0 {
			dependsLine[label] = at["dependsOn"]
		}
		f.Targets = append(f.Targets, t)
	}
}

// groupSpec is a group's settings under groups: as written.
type groupSpec struct {
	// Maintenance is the group's maintenance windows: its targets' that
	// set none of their own (a target's own list, even [], wins; the
	// defaults' apply to a group that sets none).
	Maintenance *[]window.Spec `yaml:"maintenance"`
}

// parseGroups reads groups: a mapping of group names to their settings.
// A bad window is reported as groups.<name>.maintenance[i].<field> and
// dropped; the group's other windows and the targets are still read.
func (f *File) parseGroups(source string, n *yaml.Node) {
	f.Defaults.groups = map[string]groupSpec{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		field := "groups." + k.Value
		if !nameRE.MatchString(k.Value) {
			f.Problems = append(f.Problems, fieldErrorf(field, k.Line, "invalid group %q: use %s", k.Value, nameRule).problem(source, ""))
			continue
		}
		if _, dup := f.Defaults.groups[k.Value]; dup {
			f.Problems = append(f.Problems, fieldErrorf(field, k.Line, "group %q is given twice", k.Value).problem(source, ""))
			continue
		}
		var g groupSpec
		at := lines{}
		errs := decodeMapping(v, &g, "", at)
		var kept []window.Spec
		if g.Maintenance != nil {
			kept = []window.Spec{}
			for j, ws := range *g.Maintenance {
				_, werrs := window.FromSpec(ws)
				for _, e := range werrs {
					path := fmt.Sprintf("maintenance[%d].%s", j, e.Field)
					errs = append(errs, fieldErrorf(path, lineAt(at, path, v.Line), "%s", e.Msg))
				}
				if len(werrs) == 0 {
					kept = append(kept, ws)
				}
			}
			g.Maintenance = &kept
		}
		for _, e := range errs {
			e.field = joinPath(field, e.field)
			f.Problems = append(f.Problems, e.problem(source, ""))
		}
		f.Defaults.groups[k.Value] = g
	}
}

// lineAt is the line of the key at path, else the line of the block.
func lineAt(at lines, path string, fallback int) int {
	if l, ok := at[path]; ok {
		return l
	}
	return fallback
}

func (f *File) parseDefaults(source string, n *yaml.Node) {
	var s targetSpec
	at := lines{}
	errs := decodeMapping(n, &s, "", at)
	for _, k := range []string{"name", "url", "tcp", "dependsOn"} {
		if _, ok := at[k]; ok {
			errs = append(errs, fieldErrorf(k, at[k], "%s cannot be a default: set it on each target", k))
		}
	}
	s.Name, s.URL, s.TCP, s.DependsOn = nil, nil, nil, nil
	// Validate the defaults as if they were one HTTP target; a bad default
	// is reported and dropped, so it does not fail every target.
	probe := s
	probe.Name, probe.URL = ptr("defaults"), ptr("https://example.invalid/")
	_, verrs := resolve(source, probe, at, Defaults{channels: f.Defaults.channels, badChannels: f.Defaults.badChannels}, false, n.Line)
	errs = append(errs, verrs...)
	for _, e := range errs {
		clearKey(&s, e.field)
		e.field = joinPath("defaults", e.field)
		f.Problems = append(f.Problems, e.problem(source, ""))
	}
	f.Defaults.spec = s
}

// clearKey unsets the field at a dotted path ("expect.status") in s.
func clearKey(s *targetSpec, path string) {
	v := reflect.ValueOf(s).Elem()
	parts := strings.Split(path, ".")
	for i, p := range parts {
		listed := false
		if j := strings.IndexByte(p, '['); j >= 0 {
			p, listed = p[:j], true // a list entry's key: the whole list goes
		}
		var f reflect.Value
		for j := 0; j < v.NumField(); j++ {
			if v.Type().Field(j).Tag.Get("yaml") == p {
				f = v.Field(j)
			}
		}
		if !f.IsValid() || f.IsNil() {
			return
		}
		if i == len(parts)-1 || listed {
			f.Set(reflect.Zero(f.Type()))
			return
		}
		// Copy before descending so a shared block is not changed.
		c := reflect.New(f.Type().Elem())
		c.Elem().Set(f.Elem())
		f.Set(c)
		v = c.Elem()
	}
}

func (f *File) parseChannels(source string, m *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, n := m.Content[i], resolveAlias(m.Content[i+1])
		name := k.Value
		var s channelSpec
		at := lines{}
		prefix := "channels." + name
		errs := decodeMapping(n, &s, prefix, at)
		if !nameRE.MatchString(name) {
			errs = append(errs, fieldErrorf(prefix, k.Line, "invalid channel name %q: use %s", name, nameRule))
		}
		if _, dup := f.Channels[name]; dup || f.Defaults.badChannels[name] {
			errs = append(errs, fieldErrorf(prefix, k.Line, "channel %q is defined twice", name))
		}
		c, verrs := resolveChannel(name, s, prefix, at, n.Line)
		errs = append(errs, verrs...)
		if len(errs) > 0 {
			for _, e := range errs {
				f.Problems = append(f.Problems, e.problem(source, ""))
			}
			f.Defaults.badChannels[name] = true
			delete(f.Channels, name)
			continue
		}
		f.Channels[name] = c
	}
}

// channelFields says which keys each channel type takes.
var channelFields = map[string]map[string]bool{
	ChannelSlack:   {"type": true, "urlSecret": true, "digestAfter": true},
	ChannelDiscord: {"type": true, "urlSecret": true, "digestAfter": true},
	ChannelLINE:    {"type": true, "tokenSecret": true, "to": true, "endpoint": true, "digestAfter": true},
	ChannelSNS:     {"type": true, "topicArn": true, "digestAfter": true},
	ChannelWebhook: {"type": true, "url": true, "urlSecret": true, "headers": true, "headerSecrets": true, "digestAfter": true},
}

// MaxDigestAfter bounds a channel's digestAfter.
const MaxDigestAfter = 10_000

func resolveChannel(name string, s channelSpec, prefix string, at lines, line int) (Channel, []fieldErr) {
	var errs []fieldErr
	bad := func(key, format string, args ...any) {
		field := joinPath(prefix, key)
		l, ok := at[field]
		if !ok {
			l = line
		}
		errs = append(errs, fieldErrorf(field, l, format, args...))
	}
	c := Channel{Name: name}
	if s.Type == nil {
		bad("type", "type is required: slack, discord, line, sns or webhook")
		return c, errs
	}
	c.Type = *s.Type
	allowed, ok := channelFields[c.Type]
	if !ok {
		bad("type", "unknown channel type %q: use slack, discord, line, sns or webhook", c.Type)
		return c, errs
	}
	for _, k := range written(s, "") {
		if !allowed[k] {
			bad(k, "%s does not apply to a %s channel", k, c.Type)
		}
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	c.URL, c.URLSecret, c.TokenSecret = str(s.URL), str(s.URLSecret), str(s.TokenSecret)
	c.To, c.Endpoint, c.TopicArn = str(s.To), str(s.Endpoint), str(s.TopicArn)
	if s.Headers != nil && len(*s.Headers) > 0 {
		c.Headers = *s.Headers
	}
	if s.HeaderSecrets != nil && len(*s.HeaderSecrets) > 0 {
		c.HeaderSecrets = *s.HeaderSecrets
	}
	c.DigestAfter = DefaultDigestAfter
	if s.DigestAfter != nil {
		if c.DigestAfter = *s.DigestAfter; c.DigestAfter < 0 || c.DigestAfter > MaxDigestAfter {
			bad("digestAfter", "digestAfter %d must be from 0 (every alert on its own) to %d", c.DigestAfter, MaxDigestAfter)
		}
	}
	secret := func(key, v string) {
		if v != "" && !secretNameRE.MatchString(v) {
			bad(key, "%q is not a secret name: give the name of the secret (letters, digits and _, like SLACK_OPS_WEBHOOK_URL), never its value", v)
		}
	}
	secret("urlSecret", c.URLSecret)
	secret("tokenSecret", c.TokenSecret)
	for h, v := range c.HeaderSecrets {
		if !tokenRE.MatchString(h) {
			bad("headerSecrets", "invalid header name %q", h)
		}
		secret("headerSecrets", v)
	}
	for h, v := range c.Headers {
		if err := checkHeader(h, v); err != nil {
			bad("headers", "%v", err)
		}
	}
	switch c.Type {
	case ChannelSlack, ChannelDiscord:
		if c.URLSecret == "" {
			bad("urlSecret", "urlSecret is required: the name of the secret holding the webhook URL")
		}
	case ChannelWebhook:
		if (c.URL == "") == (c.URLSecret == "") {
			bad("url", "give exactly one of url or urlSecret (the name of the secret holding the URL)")
		}
		if c.URL != "" {
			if err := checkURL(c.URL); err != nil {
				bad("url", "%v", err)
			}
		}
	case ChannelLINE:
		if c.TokenSecret == "" {
			bad("tokenSecret", "tokenSecret is required: the name of the secret holding the channel access token")
		}
		if c.To == "" {
			bad("to", "to is required: the user, group or room ID to push to")
		}
		if c.Endpoint != "" {
			if err := checkURL(c.Endpoint); err != nil {
				bad("endpoint", "%v", err)
			}
		}
	case ChannelSNS:
		if c.TopicArn != "" && !strings.HasPrefix(c.TopicArn, "arn:") {
			bad("topicArn", "topicArn %q must be an ARN (arn:aws:sns:region:account:name)", c.TopicArn)
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].line < errs[j].line })
	return c, errs
}

// jsonSyntaxError names the line of a JSON syntax error.
func jsonSyntaxError(name string, data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("%s: line %d: invalid JSON: %v", name, line, se)
	}
	if err == nil {
		err = errors.New("not valid JSON")
	}
	return fmt.Errorf("%s: invalid JSON: %v", name, err)
}
