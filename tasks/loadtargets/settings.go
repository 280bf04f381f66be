package loadtargets

import (
	"fmt"
	"strconv"

	"github.com/medic-dev/medic/internal/target"
)

// MaxBatchSize bounds MEDIC_BATCH_SIZE: a Probe invocation probes its batch
// concurrently and must finish within the Lambda timeout.
const MaxBatchSize = 500

// Settings are LoadTargets' environment settings.
type Settings struct {
	Opts      target.LoadOptions
	BatchSize int
}

// SettingsFromEnv reads MEDIC_CONFIG_KEY, MEDIC_STALE_AFTER and
// MEDIC_BATCH_SIZE through getenv (os.Getenv in the Lambda).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	opts, err := target.LoadOptionsFromEnv(getenv)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Opts: opts, BatchSize: DefaultBatchSize}
	if v := getenv("MEDIC_BATCH_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBatchSize {
			return Settings{}, fmt.Errorf("MEDIC_BATCH_SIZE=%q: want a whole number from 1 (one child execution per target) to %d", v, MaxBatchSize)
		}
		s.BatchSize = n
	}
	return s, nil
}
