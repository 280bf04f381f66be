package echo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

func TestRanges(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{echo.Key("api", "web"), "[[api web]]"},
		{echo.Key("solo", "solo"), "[[solo solo]]"},
		{"echo/batch/a--b--c.json", "[[a b--c] [a--b c]]"},
		{"echo/batch/web--api.json", "[]"}, // last before first: not a batch of sorted targets
		{"echo/batch/junk.json", "[]"},
		{"echo/batch/a--b.txt", "[]"},
		{"echo/batch/x/a--b.json", "[]"},
		{"echo/web.json", "[]"},
		{"echo/batch/--b.json", "[]"},
	}
	for _, tt := range tests {
		got := fmt.Sprint(echo.Ranges(tt.key))
		if tt.want == "[]" && len(echo.Ranges(tt.key)) == 0 {
			continue
		}
		if got != tt.want {
			t.Errorf("Ranges(%q) = %s, want %s", tt.key, got, tt.want)
		}
	}
	holds := []struct {
		key, name string
		want      bool
	}{
		{echo.Key("api", "web"), "db", true},
		{echo.Key("api", "web"), "api", true},
		{echo.Key("api", "web"), "web", true},
		{echo.Key("api", "web"), "x", false},
		{echo.Key("api", "web"), "a", false},
		{"echo/batch/a--b--c.json", "b", true},
	}
	for _, h := range holds {
		if got := echo.Holds(h.key, h.name); got != h.want {
			t.Errorf("Holds(%q, %q) = %v", h.key, h.name, got)
		}
	}
}

func TestDecode(t *testing.T) {
	res, ignored, err := echo.Decode([]byte(`[{"target":"a","checkedAt":"2026-01-01T00:00:00Z"},{"target":"","checkedAt":"2026-01-01T00:00:00Z"},{"target":"p","skipped":"push","checkedAt":"2026-01-01T00:00:00Z"},{"target":"n"}]`))
	if err != nil || len(res) != 1 || res[0].Target != "a" || ignored != 3 {
		t.Fatalf("Decode = %+v, %d, %v", res, ignored, err)
	}
	if _, _, err := echo.Decode([]byte(`{"not":"a list"}`)); err == nil {
		t.Fatal("an object decoded as a list")
	}
}

// TestLatest: the newest object that covers the name wins; an old object
// left over from an earlier batching, covering the same name, is not
// taken; a name no object holds is not found.
func TestLatest(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC))
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	s := store.New(srv.Client(), "medic")
	put := func(key string, rs ...probe.Result) {
		t.Helper()
		if _, err := s.PutJSON(ctx, key, rs, store.Condition{}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	at := func(m int) time.Time { return time.Date(2026, 3, 4, 5, m, 0, 0, time.UTC) }
	put(echo.Key("api", "web"), probe.Result{Target: "api", CheckedAt: at(0)}, probe.Result{Target: "db", CheckedAt: at(0)}, probe.Result{Target: "web", CheckedAt: at(0)})
	put(echo.Key("api", "db"), probe.Result{Target: "api", CheckedAt: at(1), Up: true}, probe.Result{Target: "db", CheckedAt: at(1)})
	put(echo.Key("web", "web"), probe.Result{Target: "web", CheckedAt: at(2), Up: true})
	put(echo.Prefix+"junk.json", probe.Result{Target: "api", CheckedAt: at(9)})

	tests := []struct {
		name, key string
		at        time.Time
		ok        bool
	}{
		{"api", echo.Key("api", "db"), at(1), true},
		{"web", echo.Key("web", "web"), at(2), true},
		{"db", echo.Key("api", "db"), at(1), true},
		{"cache", "", time.Time{}, false}, // between api and db by name, in no object
		{"zeta", "", time.Time{}, false},
	}
	for _, tt := range tests {
		res, key, ok, err := echo.Latest(ctx, s, tt.name)
		if err != nil || ok != tt.ok || key != tt.key || !res.CheckedAt.Equal(tt.at) {
			t.Errorf("Latest(%s) = %+v from %q, %v, %v; want %s at %v", tt.name, res, key, ok, err, tt.key, tt.at)
		}
	}
}

// FuzzRanges: any key reads as ranges with first <= last, each of which
// rebuilds a key that holds its own ends.
func FuzzRanges(f *testing.F) {
	for _, k := range []string{echo.Key("a", "b"), "echo/batch/a--b--c.json", "echo/batch/--.json", "echo/batch/x.json", "echo/batch/a-----b.json"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, r := range echo.Ranges(key) {
			if r[0] == "" || r[1] == "" || r[0] > r[1] {
				t.Fatalf("Ranges(%q) has %q", key, r)
			}
			if echo.Key(r[0], r[1]) != key || !echo.Holds(key, r[0]) || !echo.Holds(key, r[1]) {
				t.Fatalf("Ranges(%q): %q does not rebuild the key", key, r)
			}
		}
	})
}

// FuzzDecode: any bytes decode to results that each have a target and a
// check time, or to an error.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[{"target":"a","checkedAt":"2026-01-01T00:00:00Z"}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, _, err := echo.Decode(body)
		if err != nil {
			return
		}
		for _, r := range res {
			if r.Target == "" || r.CheckedAt.IsZero() || r.Skipped != "" {
				t.Fatalf("Decode kept %+v", r)
			}
		}
	})
}
