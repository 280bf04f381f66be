package window

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
)

func str(s string) *string { return &s }

func mustUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseRule(t *testing.T) {
	tests := []struct {
		rule    string
		wantErr string
	}{
		{"0 2 * * SUN", ""},
		{"*/15 1-3 1,15 jan-mar mon-fri", ""},
		{"30 2 * * 7", ""},
		{"5/20 * * * *", ""},
		{"0 2 * *", "has 4 fields: want 5"},
		{"60 2 * * *", "minute field \"60\": 60 is out of range 0-59"},
		{"0 24 * * *", "hour field \"24\""},
		{"0 2 0 * *", "day of month field \"0\""},
		{"0 2 * 13 *", "month field \"13\""},
		{"0 2 * * 8", "day of week field \"8\""},
		{"0 2 * * FUNDAY", "is not a number from 0 to 7 or a name"},
		{"0 5-2 * * *", "goes backwards"},
		{"*/0 * * * *", "step \"0\""},
		{"0,,1 * * * *", "empty list entry"},
		{"-1 * * * *", "minute field"},
		{strings.Repeat("1", 201), "at most 200"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := ParseRule(tt.rule)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseRule(%q) = %v", tt.rule, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseRule(%q) = %v, want an error containing %q", tt.rule, err, tt.wantErr)
			}
		})
	}
}

func TestFromSpecErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		wantField string
		wantMsg   string
	}{
		{"both kinds", Spec{Start: str("2026-12-05T02:00:00Z"), Cron: str("0 2 * * *")}, "start", "not both"},
		{"neither", Spec{TimeZone: str("UTC")}, "start", "needs start and end"},
		{"end missing", Spec{Start: str("2026-12-05T02:00:00Z")}, "end", "end is required"},
		{"end before start", Spec{Start: str("2026-12-05T02:00:00Z"), End: str("2026-12-05T01:00:00Z")}, "end", "must be after start"},
		{"bad time", Spec{Start: str("tomorrow"), End: str("2026-12-05T01:00:00Z")}, "start", "is not a time"},
		{"bad zone", Spec{Cron: str("0 2 * * *"), Duration: str("1h"), TimeZone: str("Mars/Olympus")}, "timeZone", "unknown time zone"},
		{"bad cron", Spec{Cron: str("0 2 * *"), Duration: str("1h")}, "cron", "4 fields"},
		{"no duration", Spec{Cron: str("0 2 * * *")}, "duration", "duration is required"},
		{"long duration", Spec{Cron: str("0 2 * * *"), Duration: str("200h")}, "duration", "at most 168h"},
		{"zero duration", Spec{Cron: str("0 2 * * *"), Duration: str("0s")}, "duration", "more than 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := FromSpec(tt.spec)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			if errs[0].Field != tt.wantField || !strings.Contains(errs[0].Msg, tt.wantMsg) {
				t.Fatalf("error %s: %s, want %s: ...%s...", errs[0].Field, errs[0].Msg, tt.wantField, tt.wantMsg)
			}
		})
	}
}

// TestOpenAt walks a controlled clock through one-off and recurring
// windows, in UTC and in zones across their daylight saving changes.
func TestOpenAt(t *testing.T) {
	type probe struct {
		at        string // RFC 3339
		open      bool
		wantStart string
	}
	tests := []struct {
		name   string
		spec   Spec
		probes []probe
	}{
		{"one-off", Spec{Start: str("2026-12-05T02:00:00Z"), End: str("2026-12-05T04:00:00Z")}, []probe{
			{"2026-12-05T01:59:59Z", false, ""},
			{"2026-12-05T02:00:00Z", true, "2026-12-05T02:00:00Z"},
			{"2026-12-05T03:59:59Z", true, "2026-12-05T02:00:00Z"},
			{"2026-12-05T04:00:00Z", false, ""}, // the end is not in the window
		}},
		{"one-off in a zone, written without an offset", Spec{Start: str("2026-12-05 02:00"), End: str("2026-12-05 04:00"), TimeZone: str("Asia/Tokyo")}, []probe{
			{"2026-12-04T16:59:00Z", false, ""},
			{"2026-12-04T17:00:00Z", true, "2026-12-04T17:00:00Z"},
			{"2026-12-04T19:00:00Z", false, ""},
		}},
		{"weekly UTC", Spec{Cron: str("0 2 * * SUN"), Duration: str("2h")}, []probe{
			{"2026-12-06T01:59:00Z", false, ""}, // a Sunday
			{"2026-12-06T02:00:00Z", true, "2026-12-06T02:00:00Z"},
			{"2026-12-06T03:30:00Z", true, "2026-12-06T02:00:00Z"},
			{"2026-12-06T04:00:00Z", false, ""},
			{"2026-12-07T02:30:00Z", false, ""}, // Monday
			{"2026-12-13T02:30:00Z", true, "2026-12-13T02:00:00Z"},
		}},
		{"across midnight", Spec{Cron: str("0 23 * * FRI"), Duration: str("3h")}, []probe{
			{"2026-12-04T23:00:00Z", true, "2026-12-04T23:00:00Z"},
			{"2026-12-05T01:59:00Z", true, "2026-12-04T23:00:00Z"},
			{"2026-12-05T02:00:00Z", false, ""},
		}},
		{"Berlin: winter is UTC+1", Spec{Cron: str("0 2 * * *"), Duration: str("1h"), TimeZone: str("Europe/Berlin")}, []probe{
			{"2026-03-28T00:59:00Z", false, ""},
			{"2026-03-28T01:00:00Z", true, "2026-03-28T01:00:00Z"},
			{"2026-03-28T02:00:00Z", false, ""},
		}},
		// 2026-03-29: Berlin's clocks jump from 02:00 to 03:00. A window
		// at 02:30 opens at 03:30 CEST (01:30 UTC), for its full hour.
		{"Berlin: spring forward skips the start", Spec{Cron: str("30 2 * * *"), Duration: str("1h"), TimeZone: str("Europe/Berlin")}, []probe{
			{"2026-03-29T01:29:00Z", false, ""},
			{"2026-03-29T01:30:00Z", true, "2026-03-29T01:30:00Z"},
			{"2026-03-29T02:29:00Z", true, "2026-03-29T01:30:00Z"},
			{"2026-03-29T02:30:00Z", false, ""},
			// The next day, summer time: 02:30 CEST is 00:30 UTC.
			{"2026-03-30T00:30:00Z", true, "2026-03-30T00:30:00Z"},
		}},
		// 2026-10-25: Berlin's clocks go back from 03:00 to 02:00, so
		// 02:30 happens twice; the window opens at the first (CEST,
		// 00:30 UTC) and lasts its duration in real time.
		{"Berlin: fall back repeats the start", Spec{Cron: str("30 2 * * *"), Duration: str("90m"), TimeZone: str("Europe/Berlin")}, []probe{
			{"2026-10-25T00:29:00Z", false, ""},
			{"2026-10-25T00:30:00Z", true, "2026-10-25T00:30:00Z"},
			{"2026-10-25T01:30:00Z", true, "2026-10-25T00:30:00Z"}, // the second 02:30: still the same window
			{"2026-10-25T02:00:00Z", false, ""},
			{"2026-10-26T01:30:00Z", true, "2026-10-26T01:30:00Z"}, // winter: 02:30 CET
		}},
		// New York's change: 2026-03-08 02:00 EST → 03:00 EDT. A window
		// from 01:00 for 3h ends at 05:00 EDT (3 real hours), not 04:00.
		{"New York: a window across the change lasts its real duration", Spec{Cron: str("0 1 * * *"), Duration: str("3h"), TimeZone: str("America/New_York")}, []probe{
			{"2026-03-08T06:00:00Z", true, "2026-03-08T06:00:00Z"}, // 01:00 EST
			{"2026-03-08T08:59:00Z", true, "2026-03-08T06:00:00Z"}, // 04:59 EDT
			{"2026-03-08T09:00:00Z", false, ""},
		}},
		{"every 15 minutes for 5", Spec{Cron: str("*/15 * * * *"), Duration: str("5m")}, []probe{
			{"2026-12-05T10:14:00Z", false, ""},
			{"2026-12-05T10:15:00Z", true, "2026-12-05T10:15:00Z"},
			{"2026-12-05T10:19:59Z", true, "2026-12-05T10:15:00Z"},
			{"2026-12-05T10:20:00Z", false, ""},
		}},
		{"day of month or day of week", Spec{Cron: str("0 0 1 * MON"), Duration: str("1h")}, []probe{
			{"2026-12-01T00:30:00Z", true, "2026-12-01T00:00:00Z"}, // the 1st (a Tuesday)
			{"2026-12-07T00:30:00Z", true, "2026-12-07T00:00:00Z"}, // a Monday
			{"2026-12-08T00:30:00Z", false, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, errs := FromSpec(tt.spec)
			if len(errs) > 0 {
				t.Fatalf("FromSpec: %v", errs)
			}
			clk := clock.NewManual(mustUTC(tt.probes[0].at))
			for _, p := range tt.probes {
				clk.Set(mustUTC(p.at))
				o, open := w.OpenAt(clk.Now())
				if open != p.open {
					t.Fatalf("at %s: open = %v, want %v", p.at, open, p.open)
				}
				if open && !o.Start.Equal(mustUTC(p.wantStart)) {
					t.Fatalf("at %s: opened at %s, want %s", p.at, o.Start.UTC().Format(time.RFC3339), p.wantStart)
				}
				if open && (!clk.Now().Before(o.End) || o.End.Sub(o.Start) != w.Duration && w.Cron != "") {
					t.Fatalf("at %s: occurrence %v does not hold now", p.at, o)
				}
			}
		})
	}
}

func TestOpenAtListTakesTheLastEnd(t *testing.T) {
	a, _ := FromSpec(Spec{Start: str("2026-12-05T02:00:00Z"), End: str("2026-12-05T03:00:00Z")})
	b, _ := FromSpec(Spec{Cron: str("30 2 * * *"), Duration: str("2h")})
	now := mustUTC("2026-12-05T02:45:00Z")
	o, ok := OpenAt([]Window{a, b}, now)
	if !ok || !o.End.Equal(mustUTC("2026-12-05T04:30:00Z")) {
		t.Fatalf("OpenAt = %v, %v; want the window ending 04:30", o, ok)
	}
	if _, ok := OpenAt(nil, now); ok {
		t.Fatal("no windows: open")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, s := range []Spec{
		{Start: str("2026-12-05T02:00:00Z"), End: str("2026-12-05T04:00:00Z")},
		{Cron: str("0 2 * * SUN"), Duration: str("2h"), TimeZone: str("Europe/Berlin")},
	} {
		w, errs := FromSpec(s)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		var back Window
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		at := mustUTC("2026-12-06T01:30:00Z")
		o1, ok1 := w.OpenAt(at)
		o2, ok2 := back.OpenAt(at)
		if ok1 != ok2 || o1 != o2 || back.Cron != w.Cron || back.TimeZone != w.TimeZone || back.Duration != w.Duration {
			t.Fatalf("%s: round trip changed the window: %+v vs %+v", b, w, back)
		}
	}
	var w Window
	if err := json.Unmarshal([]byte(`{"cron":"0 2 * *","duration":"1h"}`), &w); err == nil {
		t.Fatal("a bad rule in JSON was accepted")
	}
}

// FuzzParseRule: any text either parses into a rule whose days and times
// are in range, or is rejected with an error; it never panics.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"0 2 * * SUN", "*/15 1-3 1,15 jan-mar mon-fri", "5/20 * * * 7", "0 2 * *", "a-b/c * * * *", "0-59/60 * * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if r.minute>>60 != 0 || r.hour>>24 != 0 || r.dom&1 != 0 || r.month&1 != 0 || r.month>>13 != 0 || r.dow>>7 != 0 {
			t.Fatalf("%q: values out of range: %+v", s, r)
		}
		if len(r.hours()) == 0 || len(r.minutes()) == 0 {
			t.Fatalf("%q parsed with no hour or minute", s)
		}
		w := Window{Cron: r.String(), Duration: time.Hour, rule: &r}
		now := mustUTC("2026-03-29T01:30:00Z")
		if o, ok := w.OpenAt(now); ok && (now.Before(o.Start) || !now.Before(o.End)) {
			t.Fatalf("%q: occurrence %v does not hold %s", s, o, now)
		}
	})
}

// BenchmarkOpenAt: the cost of deciding a window per target per run, for a
// weekly rule and for the worst rule (every minute, a week long), in a zone.
func BenchmarkOpenAt(b *testing.B) {
	for _, s := range []Spec{
		{Cron: str("0 2 * * SUN"), Duration: str("2h"), TimeZone: str("Europe/Berlin")},
		{Cron: str("* * * * *"), Duration: str("168h"), TimeZone: str("Europe/Berlin")},
	} {
		w, errs := FromSpec(s)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		now := mustUTC("2026-12-09T12:00:00Z")
		b.Run(w.Cron, func(b *testing.B) {
			for b.Loop() {
				w.OpenAt(now)
			}
		})
	}
}
