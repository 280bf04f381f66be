package target

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medic-dev/medic/internal/store"
)

// DefaultConfigKey is where the targets file lives in the bucket.
const DefaultConfigKey = "config/targets.yaml"

// LoadOptions configure Load.
type LoadOptions struct {
	// ConfigKey is the targets file's key; empty means DefaultConfigKey.
	ConfigKey string
	// StaleAfter is the staleAfter of targets for which neither the target
	// nor the file's defaults set one; zero means DefaultStaleAfter.
	StaleAfter time.Duration
}

// Set is every target medic knows about, as loaded from the bucket.
type Set struct {
	// Targets holds the config file's targets first, then the pulse files'
	// targets, each group sorted by name.
	Targets []Target
	// Channels are the valid channels of the config file, by name.
	Channels map[string]Channel
	// Problems are targets, channels and pulse files that were skipped.
	Problems []Problem
	// PulseModified maps a pulse target's name to its pulse object's
	// LastModified: a heartbeat target is stale when it is older than
	// the target's StaleAfter.
	PulseModified map[string]time.Time
}

// Target returns the target named name.
func (s *Set) Target(name string) (Target, bool) {
	for _, t := range s.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// pulseReaders bounds the concurrent reads of pulse files.
const pulseReaders = 8

// InvalidConfigError means the targets file cannot be parsed at all (bad
// syntax, wrong shape, not UTF-8). Tasks return it as it is, so that the
// state machine matches it by its type name ("InvalidConfigError" in
// ErrorEquals) and does not retry: the same file would fail again. A file
// that parses but has bad targets is not an error: those are Problems.
type InvalidConfigError struct {
	Err error
}

func (e *InvalidConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the parse error.
func (e *InvalidConfigError) Unwrap() error { return e.Err }

// Load reads the targets file at opts.ConfigKey (an absent file means no
// config targets) and every pulse/*.json object, listing all pages.
// A bad target, channel or pulse file becomes a Problem and is skipped.
// Load fails only when the bucket cannot be read or the targets file
// cannot be parsed at all.
func Load(ctx context.Context, s *store.Store, opts LoadOptions) (*Set, error) {
	key := opts.ConfigKey
	if key == "" {
		key = DefaultConfigKey
	}
	set := &Set{Channels: map[string]Channel{}, PulseModified: map[string]time.Time{}}

	file := &File{Channels: map[string]Channel{}}
	obj, err := s.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// No config file: only pulse targets.
	case err != nil:
		return nil, fmt.Errorf("load targets: %w", err)
	default:
		file, err = ParseFile(key, obj.Body, Options{StaleAfter: opts.StaleAfter})
		if err != nil {
			return nil, &InvalidConfigError{Err: fmt.Errorf("load targets: %w", err)}
		}
	}
	set.Channels = file.Channels
	set.Problems = append(set.Problems, file.Problems...)
	config := append([]Target(nil), file.Targets...)
	sort.Slice(config, func(i, j int) bool { return config[i].Name < config[j].Name })
	names := make(map[string]bool, len(config))
	for _, t := range config {
		names[t.Name] = true
	}

	pulses, problems, err := loadPulses(ctx, s, file.Defaults, opts.StaleAfter)
	if err != nil {
		return nil, fmt.Errorf("load targets: %w", err)
	}
	set.Problems = append(set.Problems, problems...)
	var fromPulse []Target
	for _, p := range pulses {
		t := p.target
		if names[t.Name] {
			set.Problems = append(set.Problems, Problem{
				Source: t.Source, Target: t.Name,
				Error: fmt.Sprintf("a target named %q is also defined in %s; that definition is used and this pulse file is ignored", t.Name, key),
			})
			continue
		}
		fromPulse = append(fromPulse, t)
		set.PulseModified[t.Name] = p.modified
	}
	sort.Slice(fromPulse, func(i, j int) bool { return fromPulse[i].Name < fromPulse[j].Name })
	set.Targets = append(config, fromPulse...)
	return set, nil
}

type loadedPulse struct {
	target   Target
	modified time.Time
}

// loadPulses reads every pulse/*.json object concurrently.
func loadPulses(ctx context.Context, s *store.Store, defaults Defaults, staleAfter time.Duration) ([]loadedPulse, []Problem, error) {
	infos, err := s.List(ctx, store.PrefixPulse)
	if err != nil {
		return nil, nil, err
	}
	var problems []Problem
	var keys []store.Info
	for _, info := range infos {
		switch {
		case info.Key == store.PrefixPulse || strings.HasSuffix(info.Key, "/"):
			// A folder marker made by the console; not a pulse file.
		case !strings.HasSuffix(info.Key, ".json"):
			problems = append(problems, Problem{Source: info.Key, Error: "not a pulse file: pulse files are named pulse/<target>.json; ignored"})
		default:
			keys = append(keys, info)
		}
	}

	type outcome struct {
		pulse   loadedPulse
		problem []Problem
		skip    bool
		err     error
	}
	out := make([]outcome, len(keys))
	sem := make(chan struct{}, pulseReaders)
	var wg sync.WaitGroup
	for i, info := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			obj, err := s.Get(ctx, info.Key)
			if errors.Is(err, store.ErrNotFound) {
				out[i].skip = true // deleted since the listing
				return
			}
			if err != nil {
				out[i].err = err
				return
			}
			t, err := ParsePulse(info.Key, obj.Body, defaults.withStaleAfter(staleAfter))
			if err != nil {
				out[i].problem = problemsOf(info.Key, err)
				return
			}
			out[i].pulse = loadedPulse{target: t, modified: obj.LastModified}
		}()
	}
	wg.Wait()
	var pulses []loadedPulse
	for _, o := range out {
		switch {
		case o.err != nil:
			return nil, nil, o.err
		case o.skip:
		case o.problem != nil:
			problems = append(problems, o.problem...)
		default:
			pulses = append(pulses, o.pulse)
		}
	}
	return pulses, problems, nil
}

// problemsOf turns a ParsePulse error into problems for key.
func problemsOf(key string, err error) []Problem {
	var ps Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		return ps
	}
	return []Problem{{Source: key, Error: err.Error()}}
}

// LoadOptionsFromEnv reads MEDIC_CONFIG_KEY and MEDIC_STALE_AFTER through
// getenv (os.Getenv in a Lambda); unset values keep Load's defaults.
func LoadOptionsFromEnv(getenv func(string) string) (LoadOptions, error) {
	opts := LoadOptions{ConfigKey: getenv("MEDIC_CONFIG_KEY")}
	if v := getenv("MEDIC_STALE_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return LoadOptions{}, fmt.Errorf("MEDIC_STALE_AFTER=%q: want a positive duration like \"15m\"", v)
		}
		opts.StaleAfter = d
	}
	return opts, nil
}
