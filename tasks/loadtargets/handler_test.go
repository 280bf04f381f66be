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
	"github.com/medic-dev/medic/internal/target"
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

func batchNames(out Output) [][]string {
	var bs [][]string
	for _, b := range out.Batches {
		var names []string
		for _, t := range b.Targets {
			names = append(names, t.Name)
		}
		bs = append(bs, names)
	}
	return bs
}

// TestHandleFixtures runs every execution input shape from
// internal/trigger/testdata against a seeded bucket.
func TestHandleFixtures(t *testing.T) {
	s := seeded(t)
	h := &Handler{Store: s, BatchSize: 2}
	tests := []struct {
		file, trigger string
		requested     []string
		batches       string
		unknown       []string // names reported as problems from the execution input
	}{
		{"schedule.json", "schedule", []string{}, "[[api db] [myhost batch.job] [web]]", nil},
		{"empty-object.json", "schedule", []string{}, "[[api db] [myhost batch.job] [web]]", nil},
		{"targeted.json", "targeted", []string{"myhost", "api"}, "[[myhost api]]", nil},
		{"alarm-lambda-action.json", "alarm", []string{"myhost"}, "[[myhost]]", nil},
		{"alarm-lambda-action-metric-math.json", "alarm", []string{"api"}, "[[api]]", nil},
		{"alarm-eventbridge.json", "alarm", []string{"myhost"}, "[[myhost]]", nil},
		{"s3-eventbridge-object-created.json", "pulse", []string{"web"}, "[[web]]", nil},
		{"s3-records.json", "pulse", []string{"batch.job", "my+host 2"}, "[[batch.job]]", []string{"my+host 2"}},
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
			if got := fmt.Sprint(batchNames(out)); got != tt.batches {
				t.Errorf("batches = %s, want %s", got, tt.batches)
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
			if out.Summary.ProblemCount != len(out.Summary.Problems) || out.Summary.Batches != len(out.Batches) {
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
	if len(out.Batches) != 0 || out.Summary.Targets != 0 || out.Summary.Batches != 0 {
		t.Fatalf("out = %+v, want no batches", out)
	}
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"batches":[]`) {
		t.Errorf("batches must be an empty list for the Map, got %s", b)
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
	want := `{"trigger":"schedule","requested":[],"batches":[],"summary":{"targets":0,"batches":0,"problems":[],"problemCount":0}}`
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

func TestHandleOutputTooLarge(t *testing.T) {
	s := newStore(t)
	var b strings.Builder
	b.WriteString("targets:\n")
	big := strings.Repeat("x", 4000)
	for i := range 60 {
		fmt.Fprintf(&b, "  - {name: t%02d, url: 'https://t.example/', headers: {X-Pad: %s}}\n", i, big)
	}
	put(t, s, "config/targets.yaml", b.String())
	for _, size := range []int{1, 25, 500} {
		_, err := (&Handler{Store: s, BatchSize: size}).Handle(context.Background(), json.RawMessage(`{}`))
		if err == nil || !strings.Contains(err.Error(), "over medic's 200 KB limit") || !strings.Contains(err.Error(), "60 targets") {
			t.Errorf("batch size %d: err = %v", size, err)
		}
	}
}

func TestSplit(t *testing.T) {
	mk := func(n int) []target.Target {
		ts := make([]target.Target, n)
		for i := range ts {
			ts[i].Name = fmt.Sprint(i)
		}
		return ts
	}
	tests := []struct {
		n, size int
		want    string
	}{
		{0, 25, "[]"},
		{1, 25, "[1]"},
		{25, 25, "[25]"},
		{26, 25, "[25 1]"},
		{3, 1, "[1 1 1]"},
		{10, 3, "[3 3 3 1]"},
		{100, 25, "[25 25 25 25]"},
	}
	for _, tt := range tests {
		bs := split(mk(tt.n), tt.size)
		var sizes []int
		next := 0
		for _, b := range bs {
			sizes = append(sizes, len(b.Targets))
			for _, tg := range b.Targets {
				if tg.Name != fmt.Sprint(next) {
					t.Errorf("n=%d size=%d: order broken at %s", tt.n, tt.size, tg.Name)
				}
				next++
			}
		}
		if got := fmt.Sprint(sizes); got != tt.want && !(tt.want == "[]" && len(bs) == 0) {
			t.Errorf("n=%d size=%d: batch sizes %s, want %s", tt.n, tt.size, got, tt.want)
		}
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

// TestHandleFitsByLeavingPulseTargetsOut: when the run's targets do not
// fit the output, heartbeat-only pulse targets are left out first, then
// probed pulse targets from the last name; every target of the targets
// file stays, the output fits, and each probed target left out is a
// problem naming it.
func TestHandleFitsByLeavingPulseTargetsOut(t *testing.T) {
	s := newStore(t)
	var b strings.Builder
	b.WriteString("targets:\n")
	pad := strings.Repeat("x", 3000)
	for i := range 40 {
		fmt.Fprintf(&b, "  - {name: c%02d, url: 'https://c.example/', headers: {X-Pad: %s}}\n", i, pad)
	}
	put(t, s, "config/targets.yaml", b.String())
	for i := range 300 {
		put(t, s, fmt.Sprintf("pulse/beat%03d.json", i), `{"heartbeat": "1h"}`)
	}
	for i := range 400 {
		put(t, s, fmt.Sprintf("pulse/site%03d.json", i), fmt.Sprintf(`{"url": "https://site%03d.example/health", "body": "ok"}`, i))
	}
	out, err := (&Handler{Store: s}).Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if enc, _ := json.Marshal(out); len(enc) > MaxOutputBytes {
		t.Fatalf("output is %d bytes, over %d", len(enc), MaxOutputBytes)
	}
	var names []string
	for _, b := range out.Batches {
		for _, t := range b.Targets {
			names = append(names, t.Name)
		}
	}
	kept := len(names) - 40
	if len(names) < 40 || names[39] != "c39" || out.Summary.HeartbeatOnly != 300 || kept <= 0 || kept >= 400 {
		t.Fatalf("%d targets carried (%d pulse), heartbeatOnly %d; want the 40 config ones, some of the 400 probed pulse ones, no heartbeat one",
			len(names), kept, out.Summary.HeartbeatOnly)
	}
	if names[40] != "site000" || names[len(names)-1] != fmt.Sprintf("site%03d", kept-1) {
		t.Errorf("pulse targets carried %s..%s, want the first names", names[40], names[len(names)-1])
	}
	if out.Summary.Targets != len(names) || out.Summary.ProblemCount != 400-kept {
		t.Errorf("summary targets %d, problems %d; want %d and %d", out.Summary.Targets, out.Summary.ProblemCount, len(names), 400-kept)
	}
	last := out.Summary.Problems[0] // the only problems are the left-out targets
	if !strings.HasPrefix(last.Error, "not checked in this run: the run's targets do not fit") || !strings.HasPrefix(last.Target, "site") {
		t.Errorf("problem %+v, want a left-out pulse target", last)
	}
}
