package target

import (
	"errors"
	"strings"
	"time"
)

// Options configure ParseFile.
type Options struct {
	// StaleAfter is the staleAfter used when neither a target nor the
	// file's defaults set one; zero means DefaultStaleAfter.
	StaleAfter time.Duration
}

// File is a parsed targets file.
type File struct {
	Targets  []Target
	Channels map[string]Channel
	Problems []Problem
	// Defaults are the file's defaults, which pulse targets take too.
	Defaults Defaults
}

// Defaults are the settings a targets file gives every target.
type Defaults struct {
	staleAfter time.Duration
}

func (d Defaults) withStaleAfter(v time.Duration) Defaults {
	if v > 0 && d.staleAfter == 0 {
		d.staleAfter = v
	}
	return d
}

// Problems is a list of problems; it is an error.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// ParseFile parses a targets file.
func ParseFile(name string, data []byte, opts Options) (*File, error) {
	return nil, errors.New("not implemented")
}

// ParsePulse parses a pulse file.
func ParsePulse(key string, data []byte, d Defaults) (Target, error) {
	return Target{}, errors.New("not implemented")
}

func checkChannels(t *Target, chans map[string]Channel, ps *[]Problem) bool { return true }
