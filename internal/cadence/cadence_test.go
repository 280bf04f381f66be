package cadence

import (
	"strings"
	"testing"
	"time"
)

func TestRunsPerMonth(t *testing.T) {
	for _, c := range []struct {
		every time.Duration
		want  int
	}{
		{time.Minute, 43200},
		{5 * time.Minute, 8640},
		{Default, 4320},
		{7 * time.Minute, 6171}, // 43,200 / 7 = 6,171.4
		{MaxStack, 60},
		{0, 0},
		{-time.Minute, 0},
	} {
		if got := RunsPerMonth(c.every); got != c.want {
			t.Errorf("RunsPerMonth(%s) = %d, want %d", c.every, got, c.want)
		}
	}
}

func TestMinutes(t *testing.T) {
	for _, c := range []struct {
		every time.Duration
		want  int
		err   string
	}{
		{Default, 10, ""},
		{time.Minute, 1, ""},
		{MaxStack, 720, ""},
		{90 * time.Second, 0, "whole minutes"},
		{30 * time.Second, 0, "cadence 30s"},
		{721 * time.Minute, 0, "from 1m0s to 12h0m0s"},
	} {
		got, err := Minutes(c.every)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Minutes(%s) = %d, %v; want an error containing %q", c.every, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Minutes(%s) = %d, %v; want %d", c.every, got, err, c.want)
		}
	}
}
