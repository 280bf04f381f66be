package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/target"
)

// readTargetsFile parses the targets file the stack deploys into config/,
// so that a file every run would reject stops the synth instead, naming
// each problem.
func readTargetsFile(root string, set Settings) (*target.File, error) {
	path := filepath.Join(root, filepath.FromSlash(ConfigKey))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("targets file to deploy: %w", err)
	}
	staleAfter, err := time.ParseDuration(set.StaleAfter)
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", CtxStaleAfter, err)
	}
	f, err := target.ParseFile(ConfigKey, data, target.Options{StaleAfter: staleAfter})
	if err != nil {
		return nil, fmt.Errorf("targets file to deploy: %w", err)
	}
	if len(f.Problems) > 0 {
		lines := make([]string, len(f.Problems))
		for i, p := range f.Problems {
			lines[i] = "  " + p.String()
		}
		return nil, fmt.Errorf("targets file to deploy has %d problem(s); fix them (go run ./cmd/medic validate %s) and synth again:\n%s",
			len(f.Problems), ConfigKey, strings.Join(lines, "\n"))
	}
	return f, nil
}

// usesHeaderSecrets reports whether a target of f reads a secret (a
// header's value, a TLS CA or client certificate), which needs the target
// secret in AWS.
func usesHeaderSecrets(f *target.File) bool {
	for _, t := range f.Targets {
		if len(t.SecretNames()) > 0 {
			return true
		}
	}
	return false
}
