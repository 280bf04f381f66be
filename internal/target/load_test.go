package target_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
)

func newStore(t *testing.T, now func() time.Time) *store.Store {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return store.New(srv.Client(), "medic")
}

func put(t *testing.T, s *store.Store, key, body string) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, []byte(body), store.Condition{}); err != nil {
		t.Fatal(err)
	}
}

func names(ts []target.Target) string {
	var n []string
	for _, t := range ts {
		n = append(n, t.Name)
	}
	return strings.Join(n, ",")
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := newStore(t, clk.Now)
	put(t, s, "config/targets.yaml", `
defaults: {channels: [ops]}
channels: {ops: {type: sns}}
targets:
  - {name: zeta, url: "https://z.example"}
  - {name: alpha, tcp: "db:5432"}
  - {name: web, url: "https://config.example"}
  - {name: BAD, url: "https://b.example"}
`)
	put(t, s, "pulse/web.json", `{"url": "https://pulse.example", "body": "ok"}`)
	put(t, s, "pulse/cron.json", `{"heartbeat": "5m"}`)
	clk.Advance(time.Minute)
	put(t, s, "pulse/api.json", `{"url": "https://api.example", "body": "ok"}`)
	put(t, s, "pulse/broken.json", `{"url": "https://x.example", "bdy": "ok"}`)
	put(t, s, "pulse/notes.txt", `hello`)
	put(t, s, "pulse/", ``)

	set, err := target.Load(ctx, s, target.LoadOptions{StaleAfter: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(set.Targets); got != "alpha,web,zeta,api,cron" {
		t.Errorf("targets = %s, want config sorted then pulse sorted", got)
	}
	web, _ := set.Target("web")
	if web.URL != "https://config.example" || web.Source != "config/targets.yaml" {
		t.Errorf("web = %+v, want the config definition", web)
	}
	cron, _ := set.Target("cron")
	if cron.Kind != target.KindPush || cron.StaleAfter.D() != 5*time.Minute || len(cron.Channels) != 1 {
		t.Errorf("cron = %+v", cron)
	}
	api, _ := set.Target("api")
	if api.StaleAfter.D() != 30*time.Minute {
		t.Errorf("api staleAfter = %s, want the caller's 30m", api.StaleAfter)
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if !set.PulseModified["cron"].Equal(start) || !set.PulseModified["api"].Equal(start.Add(time.Minute)) {
		t.Errorf("PulseModified = %v", set.PulseModified)
	}
	if _, ok := set.PulseModified["web"]; ok {
		t.Errorf("PulseModified has web, whose pulse file lost to the config")
	}
	if _, ok := set.Channels["ops"]; !ok {
		t.Errorf("channels = %v", set.Channels)
	}
	var got []string
	for _, p := range set.Problems {
		got = append(got, p.Source+"|"+p.Target+"|"+p.Field)
	}
	want := []string{"config/targets.yaml|BAD|name", "pulse/notes.txt||", "pulse/broken.json|broken|bdy", "pulse/web.json|web|"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("problems = %v\nwant %v\n(%v)", got, want, set.Problems)
	}
}

func TestLoadNoConfigAndManyPulses(t *testing.T) {
	s := newStore(t, nil)
	// More than one page of the listing (1,000 keys) is not needed to prove
	// pagination; store.List's own test covers that. Many files prove the
	// concurrent reads keep every result.
	for i := range 40 {
		put(t, s, fmt.Sprintf("pulse/p%02d.json", i), fmt.Sprintf(`{"url": "https://p%d.example", "body": "ok"}`, i))
	}
	set, err := target.Load(context.Background(), s, target.LoadOptions{ConfigKey: "config/absent.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Targets) != 40 || set.Targets[0].Name != "p00" || set.Targets[39].Name != "p39" || len(set.Problems) != 0 {
		t.Errorf("got %d targets (%s), problems %v", len(set.Targets), names(set.Targets), set.Problems)
	}
	if set.Targets[0].StaleAfter.D() != target.DefaultStaleAfter {
		t.Errorf("staleAfter = %s", set.Targets[0].StaleAfter)
	}
}

func TestLoadBrokenConfigFails(t *testing.T) {
	s := newStore(t, nil)
	put(t, s, "config/targets.json", `{"targets": [}`)
	_, err := target.Load(context.Background(), s, target.LoadOptions{ConfigKey: "config/targets.json"})
	if err == nil || !strings.Contains(err.Error(), "config/targets.json: line 1: invalid JSON") {
		t.Fatalf("err = %v", err)
	}
}
