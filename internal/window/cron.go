package window

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Rule is a parsed cron rule: five fields, minute hour day-of-month month
// day-of-week, each a set of allowed values.
type Rule struct {
	minute uint64 // bits 0-59
	hour   uint32 // bits 0-23
	dom    uint32 // bits 1-31
	month  uint16 // bits 1-12
	dow    uint8  // bits 0-6, Sunday 0
	// domAny and dowAny record a "*" day field: as in cron, when both day
	// fields are restricted a day matches either.
	domAny, dowAny bool
	text           string
}

// MaxRuleBytes bounds a rule's text.
const MaxRuleBytes = 200

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
)

// ParseRule reads a cron rule of five fields separated by spaces:
// minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
// JAN-DEC) and day of week (0-7 or SUN-SAT, 0 and 7 both Sunday). A field
// is "*", a value, a range "a-b", a step "*/n" or "a-b/n", or a list of
// those separated by commas. Names are case-insensitive.
func ParseRule(s string) (Rule, error) {
	if len(s) > MaxRuleBytes {
		return Rule{}, fmt.Errorf("cron rule is %d bytes: at most %d", len(s), MaxRuleBytes)
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return Rule{}, fmt.Errorf("cron rule %q has %d fields: want 5 (minute hour day-of-month month day-of-week, like \"0 2 * * SUN\")", s, len(fields))
	}
	r := Rule{text: strings.Join(fields, " ")}
	specs := []struct {
		name     string
		min, max int
		names    map[string]int
	}{
		{"minute", 0, 59, nil},
		{"hour", 0, 23, nil},
		{"day of month", 1, 31, nil},
		{"month", 1, 12, monthNames},
		{"day of week", 0, 7, dayNames},
	}
	var sets [5]uint64
	for i, sp := range specs {
		set, err := parseField(fields[i], sp.min, sp.max, sp.names)
		if err != nil {
			return Rule{}, fmt.Errorf("cron rule %q: %s field %q: %w", s, sp.name, fields[i], err)
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 {
		sets[4] = sets[4]&^(1<<7) | 1 // 7 is Sunday too
	}
	r.minute, r.hour, r.dom, r.month, r.dow = sets[0], uint32(sets[1]), uint32(sets[2]), uint16(sets[3]), uint8(sets[4])
	r.domAny, r.dowAny = fields[2] == "*", fields[4] == "*"
	return r, nil
}

// parseField reads one field into a bit set of the values in [min, max].
func parseField(f string, min, max int, names map[string]int) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(f, ",") {
		if part == "" {
			return 0, fmt.Errorf("empty list entry")
		}
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > max {
				return 0, fmt.Errorf("step %q: want a whole number from 1 to %d", stepText, max)
			}
			step = n
		}
		lo, hi := min, max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, min, max, names); err != nil {
				return 0, err
			}
			if hi, err = value(b, min, max, names); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %s-%s goes backwards", a, b)
			}
		default:
			v, err := value(rng, min, max, names)
			if err != nil {
				return 0, err
			}
			lo, hi = v, v
			if hasStep {
				hi = max // "5/15" is 5-max/15, as in most crons
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value reads a number or a name in [min, max].
func value(s string, min, max int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if names != nil {
			return 0, fmt.Errorf("%q is not a number from %d to %d or a name", s, min, max)
		}
		return 0, fmt.Errorf("%q is not a number from %d to %d", s, min, max)
	}
	if v < min || v > max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, min, max)
	}
	return v, nil
}

// String is the rule as written, with single spaces.
func (r Rule) String() string { return r.text }

// matchesDay says whether the rule allows the day (month, day of month,
// weekday).
func (r Rule) matchesDay(month, dom, weekday int) bool {
	if r.month&(1<<month) == 0 {
		return false
	}
	domOK, dowOK := r.dom&(1<<dom) != 0, r.dow&(1<<weekday) != 0
	switch {
	case r.domAny && r.dowAny:
		return true
	case r.domAny:
		return dowOK
	case r.dowAny:
		return domOK
	default:
		return domOK || dowOK
	}
}

// hours and minutes list the allowed values, highest first.
func (r Rule) hours() []int   { return descending(uint64(r.hour)) }
func (r Rule) minutes() []int { return descending(r.minute) }

func descending(set uint64) []int {
	out := make([]int, 0, bits.OnesCount64(set))
	for set != 0 {
		hi := 63 - bits.LeadingZeros64(set)
		out = append(out, hi)
		set &^= 1 << hi
	}
	return out
}
