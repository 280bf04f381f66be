package channel

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a service's retry hint; a larger one is recorded as this.
const MaxRetryAfter = time.Hour

// ParseRetryAfter reads a Retry-After header: a number of seconds or an
// HTTP date (relative to now). It returns false when the header is absent
// or unreadable.
func ParseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		return secondsToDuration(secs)
	}
	if t, err := http.ParseTime(h); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return min(d, MaxRetryAfter), true
	}
	return 0, false
}

// ParseRetryAfterBody reads {"retry_after": seconds} from a JSON body, as
// Discord and Slack's APIs send with a 429.
func ParseRetryAfterBody(body []byte) (time.Duration, bool) {
	var v struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.RetryAfter == nil {
		return 0, false
	}
	return secondsToDuration(*v.RetryAfter)
}

func secondsToDuration(secs float64) (time.Duration, bool) {
	if math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 0 {
		return 0, false
	}
	if secs > MaxRetryAfter.Seconds() {
		return MaxRetryAfter, true
	}
	return time.Duration(secs * float64(time.Second)), true
}
