package loadtargets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

const config = `
channels: {ops: {type: sns}}
defaults: {channels: [ops]}
targets:
  - {name: myhost, url: "https://myhost.example/healthz"}
  - {name: api, url: "https://api.example/healthz", expect: {status: [200]}}
  - {name: db, tcp: "db.internal:5432"}
`

func newStore(t *testing.T) *store.Store {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
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

func seeded(t *testing.T) *store.Store {
	s := newStore(t)
	put(t, s, "config/targets.yaml", config)
	put(t, s, "pulse/web.json", `{"url": "https://web.example/ping", "body": "pong"}`)
	put(t, s, "pulse/batch.job.json", `{"heartbeat": "1h"}`)
	put(t, s, "pulse/broken.json", `{"url": "https://broken.example", "expect": "ok"}`)
	return s
}

// listNames reads the run's target list and returns its names.
func listNames(t *testing.T, s *store.Store, out Output) []string {
	t.Helper()
	if out.TargetList.Bucket != "medic" || !strings.HasPrefix(out.TargetList.Key, PrefixRuns+"targets-") {
		t.Fatalf("targetList = %+v", out.TargetList)
	}
	return readList(t, s, out.TargetList.Key)
}

// TestHandleFixtures runs every execution input shape from
// internal/trigger/testdata against a seeded bucket.
func TestHandleFixtures(t *testing.T) {
	s := seeded(t)
	h := &Handler{Store: s, BatchSize: 2}
	tests := []struct {
		file, trigger string
		requested     []string
		list          string // the target list: sorted by name
		targets       int
		batches       int
		unknown       []string // names reported as problems from the execution input
	}{
		{"schedule.json", "schedule", []string{}, "[api batch.job db myhost web]", 5, 3, nil},
		{"empty-object.json", "schedule", []string{}, "[api batch.job db myhost web]", 5, 3, nil},
		{"targeted.json", "targeted", []string{"myhost", "api"}, "[api myhost]", 2, 1, nil},
		{"alarm-lambda-action.json", "alarm", []string{"myhost"}, "[myhost]", 1, 1, nil},
		{"alarm-lambda-action-metric-math.json", "alarm", []string{"api"}, "[api]", 1, 1, nil},
		{"alarm-eventbridge.json", "alarm", []string{"myhost"}, "[myhost]", 1, 1, nil},
		{"s3-eventbridge-object-created.json", "pulse", []string{"web"}, "[web]", 1, 1, nil},
		{"s3-records.json", "pulse", []string{"batch.job", "my+host 2"}, "[batch.job]", 1, 1, []string{"my+host 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("..", "..", "internal", "trigger", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := h.Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Trigger != tt.trigger || fmt.Sprint(out.Requested) != fmt.Sprint(tt.requested) {
				t.Errorf("trigger %q requested %v, want %q %v", out.Trigger, out.Requested, tt.trigger, tt.requested)
			}
			names := listNames(t, s, out)
			if got := fmt.Sprint(names); got != tt.list {
				t.Errorf("target list = %s, want %s", got, tt.list)
			}
			if out.Summary.Targets != tt.targets || out.Summary.Batches != tt.batches || out.Summary.Probed != len(names)-strings.Count(tt.list, "batch.job") {
				t.Errorf("summary = %+v, want %d targets in %d batches", out.Summary, tt.targets, tt.batches)
			}
			var unknown []string
			sawBroken := false
			for _, p := range out.Summary.Problems {
				if p.Source == "execution input" {
					unknown = append(unknown, p.Target)
				}
				sawBroken = sawBroken || (p.Source == "pulse/broken.json" && p.Field == "expect")
			}
			if fmt.Sprint(unknown) != fmt.Sprint(tt.unknown) {
				t.Errorf("unknown names = %v, want %v", unknown, tt.unknown)
			}
			if !sawBroken {
				t.Errorf("the bad pulse file is not reported by key: %v", out.Summary.Problems)
			}
			if out.Summary.ProblemCount != len(out.Summary.Problems) {
				t.Errorf("summary = %+v", out.Summary)
			}
		})
	}
}

func TestHandleInvalidInput(t *testing.T) {
	h := &Handler{Store: seeded(t)}
	for _, file := range []string{"invalid-unknown.json", "invalid-s3-outside-pulse.json"} {
		in, err := os.ReadFile(filepath.Join("..", "..", "internal", "trigger", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.Handle(context.Background(), in)
		var inv *InvalidInputError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), "expected one of") {
			t.Errorf("%s: err = %v (%T), want *InvalidInputError", file, err, err)
		}
	}
}

func TestHandleNoneOfTheNamedExist(t *testing.T) {
	h := &Handler{Store: seeded(t)}
	out, err := h.Handle(context.Background(), json.RawMessage(`{"targets": ["ghost", "broken"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.Targets != 0 || out.Summary.Batches != 0 {
		t.Fatalf("out = %+v, want no batches", out)
	}
	if names := listNames(t, h.Store, out); len(names) != 0 {
		t.Errorf("target list = %v, want an empty list for the Map", names)
	}
	ghost, broken := out.Summary.Problems[0], out.Summary.Problems[1]
	if ghost.Target != "ghost" || !strings.Contains(ghost.Error, "no target has that name") {
		t.Errorf("ghost problem = %+v", ghost)
	}
	if broken.Target != "broken" || !strings.Contains(broken.Error, "was skipped") {
		t.Errorf("broken problem = %+v", broken)
	}
}

func TestHandleEmptyBucket(t *testing.T) {
	h := &Handler{Store: newStore(t)}
	out, err := h.Handle(context.Background(), json.RawMessage(`{"trigger":"schedule"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	want := `{"trigger":"schedule","requested":[],"targetList":{"bucket":"medic","key":"` + TargetListKey([]byte("[]")) + `"},` +
		`"summary":{"targets":0,"probed":0,"batches":0,"problems":[],"problemCount":0}}`
	if string(b) != want {
		t.Errorf("output\n got %s\nwant %s", b, want)
	}
}

func TestHandleBrokenConfigFails(t *testing.T) {
	s := newStore(t)
	put(t, s, "config/targets.yaml", "targets: [\n")
	_, err := (&Handler{Store: s}).Handle(context.Background(), json.RawMessage(`{}`))
	var inv *InvalidInputError
	if err == nil || errors.As(err, &inv) || !strings.Contains(err.Error(), "config/targets.yaml") {
		t.Fatalf("err = %v, want a load error naming the file", err)
	}
}

func TestHandleProblemsAreCapped(t *testing.T) {
	s := newStore(t)
	for i := range 60 {
		put(t, s, fmt.Sprintf("pulse/bad%02d.json", i), `{"nope": 1}`)
	}
	out, err := (&Handler{Store: s}).Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Summary.Problems) != MaxSummaryProblems || out.Summary.ProblemCount != 60 {
		t.Errorf("problems listed %d, counted %d", len(out.Summary.Problems), out.Summary.ProblemCount)
	}
}

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		size    int
		wantErr string
	}{
		{map[string]string{}, DefaultBatchSize, ""},
		{map[string]string{"MEDIC_BATCH_SIZE": "1"}, 1, ""},
		{map[string]string{"MEDIC_BATCH_SIZE": "0"}, 0, "MEDIC_BATCH_SIZE"},
		{map[string]string{"MEDIC_BATCH_SIZE": "ten"}, 0, "MEDIC_BATCH_SIZE"},
		{map[string]string{"MEDIC_BATCH_SIZE": "501"}, 0, "MEDIC_BATCH_SIZE"},
		{map[string]string{"MEDIC_STALE_AFTER": "soon"}, 0, "MEDIC_STALE_AFTER"},
		{map[string]string{"MEDIC_STALE_AFTER": "30m", "MEDIC_CONFIG_KEY": "config/t.json"}, DefaultBatchSize, ""},
	}
	for _, tt := range tests {
		s, err := SettingsFromEnv(func(k string) string { return tt.env[k] })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v", tt.env, err)
			}
			continue
		}
		if err != nil || s.BatchSize != tt.size || s.Opts.ConfigKey != tt.env["MEDIC_CONFIG_KEY"] {
			t.Errorf("%v: %+v %v", tt.env, s, err)
		}
	}
}
