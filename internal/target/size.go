package target

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Body size limits for maxBodyBytes.
const (
	// DefaultMaxBodyBytes is how much of a response body is read when the
	// target does not say: enough for any health page, small enough that
	// a batch of 128 checks at once stays within a small Lambda's memory.
	DefaultMaxBodyBytes ByteSize = 1 << 20
	// MaxMaxBodyBytes bounds maxBodyBytes: the probe holds the body in memory.
	MaxMaxBodyBytes ByteSize = 64 << 20
)

// ByteSize is a number of bytes. In the targets file it is a whole number
// of bytes or a string with a unit: "512KiB", "4MiB", "2MB" (KB, MB are
// powers of 1000; KiB, MiB powers of 1024). It marshals as a number.
type ByteSize int64

// ParseByteSize reads a size as the targets file writes it.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[strings.ToLower(unit)]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 || math.IsNaN(v) || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q (use a number of bytes or a form like \"512KiB\", \"4MiB\")", s)
	}
	return ByteSize(v * mult), nil
}

// String formats b with the largest binary unit that divides it.
func (b ByteSize) String() string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", b>>20)
	case b >= 1<<10 && b%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", b>>10)
	}
	return fmt.Sprintf("%d bytes", int64(b))
}

// UnmarshalJSON reads a number of bytes or a size string.
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		v, err := ParseByteSize(s)
		if err != nil {
			return err
		}
		*b = v
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("size must be a whole number of bytes or a string like \"4MiB\", got %s", data)
	}
	*b = ByteSize(n)
	return nil
}
