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
	// Mode is ModeInline or ModeScale.
	Mode string
}

// SettingsFromEnv reads MEDIC_CONFIG_KEY, MEDIC_STALE_AFTER,
// MEDIC_BATCH_SIZE and MEDIC_MODE through getenv (os.Getenv in the Lambda).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	opts, err := target.LoadOptionsFromEnv(getenv)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Opts: opts, BatchSize: DefaultBatchSize, Mode: ModeInline}
	if s.Mode, err = ParseMode(getenv("MEDIC_MODE")); err != nil {
		return Settings{}, err
	}
	if v := getenv("MEDIC_BATCH_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBatchSize {
			return Settings{}, fmt.Errorf("MEDIC_BATCH_SIZE=%q: want a whole number from 1 (one Map iteration per target) to %d", v, MaxBatchSize)
		}
		s.BatchSize = n
	}
	return s, nil
}

// ParseMode reads a MEDIC_MODE value: empty or "inline" is ModeInline,
// "scale" is ModeScale.
func ParseMode(v string) (string, error) {
	switch v {
	case "", ModeInline:
		return ModeInline, nil
	case ModeScale:
		return ModeScale, nil
	}
	return "", fmt.Errorf("MEDIC_MODE=%q: want %q (the default: batches in the state machine's payload) or %q (the target list in S3, for the scale definition)", v, ModeInline, ModeScale)
}
