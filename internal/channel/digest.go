package channel

import (
	"context"
	"fmt"
	"strings"

	"github.com/medic-dev/medic/internal/outbox"
)

// Digester is a Sender that can also send several alerts as one message (a
// digest), when one run has many alerts for one channel. Split cuts the
// alerts into the messages they need within the service's limits (every
// alert is in exactly one part, in order); SendDigest sends one part.
type Digester interface {
	Sender
	Split(alerts []outbox.Alert) [][]outbox.Alert
	SendDigest(ctx context.Context, alerts []outbox.Alert) error
}

// DigestTitle says what a digest holds: "12 alerts: 9 DOWN, 3 RECOVERED",
// the kinds in the order they first appear.
func DigestTitle(alerts []outbox.Alert) string {
	counts := map[string]int{}
	var kinds []string
	for _, a := range alerts {
		if counts[a.Kind] == 0 {
			kinds = append(kinds, a.Kind)
		}
		counts[a.Kind]++
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	n := "alerts"
	if len(alerts) == 1 {
		n = "alert"
	}
	return fmt.Sprintf("%d %s: %s", len(alerts), n, strings.Join(parts, ", "))
}

// Pack cuts items, in order, into consecutive parts of at most maxN items
// whose sizes add up to at most maxSize; an item larger than maxSize on its
// own is a part by itself (its sender cuts it to fit, as for one alert).
func Pack[T any](items []T, maxN int, size func(T) int, maxSize int) [][]T {
	var parts [][]T
	var cur []T
	total := 0
	for _, it := range items {
		n := size(it)
		if len(cur) > 0 && (len(cur) == maxN || total+n > maxSize) {
			parts = append(parts, cur)
			cur, total = nil, 0
		}
		cur = append(cur, it)
		total += n
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	return parts
}
