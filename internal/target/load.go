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
	// Retired names the targets whose pulse file is {"retired": true}.
	Retired map[string]bool
	// DefaultChannels are the targets file's defaults' channels.
	DefaultChannels []string
	// ConfigNames holds every target name of the targets file, valid or not.
	ConfigNames map[string]bool
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

// pulseReaders bounds the concurrent reads of pulse files. Each holds at
// most MaxPulseBytes; S3 serves far more in parallel.
const pulseReaders = 32

// pulseTimeShare is the share of the time left before ctx's deadline that
// the pulse reads may take; the files not read by then are problems, so
// that the task itself still returns in time.
const pulseTimeShare = 0.6

// Limits on pulse files, which whoever may write pulse/ controls: one
// file, or any number of them, is a problem for those names only and never
// fails a load.
const (
	// MaxPulseBytes is the largest pulse file read. A larger one (by the
	// listing's size, or by what the read finds) is a problem and not read.
	MaxPulseBytes = 8 << 10
	// MaxPulseFiles is how many pulse files one load reads, in key order;
	// the ones after are problems.
	MaxPulseFiles = 10_000
	// MaxPulseTotalBytes bounds the total size of the pulse files one load
	// reads, in key order; the ones past it are problems.
	MaxPulseTotalBytes = 4 << 20
	// MaxPulseListed bounds the listing of pulse/: objects past it are
	// counted as one problem, not listed.
	MaxPulseListed = MaxPulseFiles + 1000
)

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
	key := opts.configKey()
	set := &Set{Channels: map[string]Channel{}, PulseModified: map[string]time.Time{}, Retired: map[string]bool{}}
	file, err := LoadFile(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	set.DefaultChannels = file.Defaults.Channels()
	set.ConfigNames = file.Names
	set.Channels = file.Channels
	set.Problems = append(set.Problems, file.Problems...)
	config := append([]Target(nil), file.Targets...)
	sort.Slice(config, func(i, j int) bool { return config[i].Name < config[j].Name })
	valid := make(map[string]bool, len(config))
	for _, t := range config {
		valid[t.Name] = true
	}

	pulses, problems, err := loadPulses(ctx, s, file.Defaults, opts.StaleAfter, set.Retired)
	if err != nil {
		return nil, fmt.Errorf("load targets: %w", err)
	}
	set.Problems = append(set.Problems, problems...)
	var fromPulse []Target
	for _, p := range pulses {
		t := p.target
		switch {
		case valid[t.Name]:
			set.Problems = append(set.Problems, Problem{
				Source: t.Source, Target: t.Name,
				Error: fmt.Sprintf("a target named %q is also defined in %s; that definition is used and this pulse file is ignored", t.Name, key),
			})
			continue
		case file.Names[t.Name]:
			// Every name in the targets file is the operator's, even while
			// its definition is invalid: a pulse file must not stand in.
			set.Problems = append(set.Problems, Problem{
				Source: t.Source, Target: t.Name,
				Error: fmt.Sprintf("a target named %q is defined in %s (skipped there for its own problems); the name is reserved for it and this pulse file is ignored", t.Name, key),
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

func (o LoadOptions) configKey() string {
	if o.ConfigKey == "" {
		return DefaultConfigKey
	}
	return o.ConfigKey
}

// LoadFile reads and parses the targets file alone (an absent file is an
// empty one), without pulse/: what a task that needs only the channels
// reads. Its errors are Load's.
func LoadFile(ctx context.Context, s *store.Store, opts LoadOptions) (*File, error) {
	key := opts.configKey()
	obj, err := s.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &File{Channels: map[string]Channel{}, Names: map[string]bool{}}, nil
	case err != nil:
		return nil, fmt.Errorf("load targets: %w", err)
	}
	file, err := ParseFile(key, obj.Body, Options{StaleAfter: opts.StaleAfter})
	if err != nil {
		return nil, &InvalidConfigError{Err: fmt.Errorf("load targets: %w", err)}
	}
	return file, nil
}

type loadedPulse struct {
	target   Target
	modified time.Time
}

// loadPulses reads the pulse/*.json objects concurrently, within the
// pulse limits. A file that is too large, past the limits, unreadable (S3
// refuses it) or invalid is a Problem for its name; only a failure of S3
// itself (the listing, or a read S3 may answer on a retry) is an error.
func loadPulses(ctx context.Context, s *store.Store, defaults Defaults, staleAfter time.Duration, retired map[string]bool) ([]loadedPulse, []Problem, error) {
	infos, more, err := s.ListLimit(ctx, store.PrefixPulse, MaxPulseListed)
	if err != nil {
		return nil, nil, err
	}
	keys, problems := pickPulses(infos)
	if more {
		problems = append(problems, Problem{Source: store.PrefixPulse, Error: fmt.Sprintf(
			"more than %d objects under %s: the listing stops after %s (in key order) and the pulse files after it are not read",
			len(infos), store.PrefixPulse, infos[len(infos)-1].Key)})
	}

	type outcome struct {
		pulse   loadedPulse
		problem []Problem
		skip    bool
		retired string
		err     error
	}
	out := make([]outcome, len(keys))
	readCtx, cancel := readTime(ctx)
	defer cancel()
	sem := make(chan struct{}, pulseReaders)
	var wg sync.WaitGroup
	for i, info := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			late := []Problem{pulseProblem(info.Key, fmt.Sprintf(
				"not read: the pulse files are read within %.0f%% of the task's time, which ran out before this one; the target is not checked", pulseTimeShare*100))}
			if readCtx.Err() != nil {
				out[i].problem = late
				return
			}
			obj, err := s.GetLimit(readCtx, info.Key, MaxPulseBytes)
			var tooLarge *store.TooLargeError
			switch {
			case err != nil && readCtx.Err() != nil && ctx.Err() == nil:
				out[i].problem = late
				return
			case errors.Is(err, store.ErrNotFound):
				out[i].skip = true // deleted since the listing
				return
			case errors.As(err, &tooLarge):
				out[i].problem = []Problem{pulseProblem(info.Key, fmt.Sprintf(
					"the pulse file is larger than the %s limit for a pulse file; it is not read, and the target is not checked", sizeText(MaxPulseBytes)))}
				return
			case store.Refused(err):
				out[i].problem = []Problem{pulseProblem(info.Key, fmt.Sprintf("cannot read the pulse file (%v); the target is not checked", err))}
				return
			case err != nil:
				out[i].err = err
				return
			}
			t, err := ParsePulse(info.Key, obj.Body, defaults.withStaleAfter(staleAfter))
			if errors.Is(err, ErrRetired) {
				out[i].retired, _ = PulseName(info.Key)
				return
			}
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
		case o.retired != "":
			retired[o.retired] = true
		case o.problem != nil:
			problems = append(problems, o.problem...)
		default:
			pulses = append(pulses, o.pulse)
		}
	}
	return pulses, problems, nil
}

// readTime bounds the pulse reads to pulseTimeShare of the time left
// before ctx's deadline; without a deadline (local runs) they have ctx's.
func readTime(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	return context.WithDeadline(ctx, time.Now().Add(time.Duration(float64(left)*pulseTimeShare)))
}

// pickPulses chooses, in key order, the listed objects to read: the
// .json files within MaxPulseBytes each, at most MaxPulseFiles of them and
// MaxPulseTotalBytes in all. Every other object is a problem, except
// folder markers.
func pickPulses(infos []store.Info) ([]store.Info, []Problem) {
	var keys []store.Info
	var problems []Problem
	var total int64
	for _, info := range infos {
		switch {
		case info.Key == store.PrefixPulse || strings.HasSuffix(info.Key, "/"):
			// A folder marker made by the console; not a pulse file.
		case !strings.HasSuffix(info.Key, ".json"):
			problems = append(problems, Problem{Source: info.Key, Error: "not a pulse file: pulse files are named pulse/<target>.json; ignored"})
		case info.Size > MaxPulseBytes:
			problems = append(problems, pulseProblem(info.Key, fmt.Sprintf(
				"the pulse file is %s, over the %s limit for a pulse file; it is not read, and the target is not checked",
				sizeText(info.Size), sizeText(MaxPulseBytes))))
		case len(keys) == MaxPulseFiles:
			problems = append(problems, pulseProblem(info.Key, fmt.Sprintf(
				"not read: a run reads at most %d pulse files, the first in key order, and this one is past them; the target is not checked", MaxPulseFiles)))
		case total+info.Size > MaxPulseTotalBytes:
			problems = append(problems, pulseProblem(info.Key, fmt.Sprintf(
				"not read: the pulse files a run reads may total %s, taken in key order, and this one is past that; the target is not checked",
				sizeText(MaxPulseTotalBytes))))
		default:
			total += info.Size
			keys = append(keys, info)
		}
	}
	return keys, problems
}

// pulseProblem is a problem with the pulse file at key, for the target it
// names.
func pulseProblem(key, msg string) Problem {
	name, err := PulseName(key)
	if err != nil {
		name = ""
	}
	return Problem{Source: key, Target: name, Error: msg}
}

// sizeText formats n bytes for a problem: "8 KiB", "17.0 MiB", "300 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
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
