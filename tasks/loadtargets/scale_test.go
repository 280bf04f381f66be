package loadtargets

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
)

// countingAPI is the real S3 client with a count of its PutObject calls.
type countingAPI struct {
	*s3.Client
	puts atomic.Int64
}

func (c *countingAPI) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.puts.Add(1)
	return c.Client.PutObject(ctx, in, opts...)
}

func countingStore(t *testing.T) (*store.Store, *countingAPI) {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	api := &countingAPI{Client: srv.Client()}
	return store.New(api, "medic"), api
}

func readList(t *testing.T, s *store.Store, key string) []string {
	t.Helper()
	var ts []target.Target
	if _, err := s.GetJSON(context.Background(), key, &ts); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, tg := range ts {
		names = append(names, tg.Name)
	}
	return names
}

// TestWritesTheTargetList: the targets go to S3 under a key named by their
// hash, sorted by name, the output points at it and carries no targets,
// and an unchanged list is not written again.
func TestWritesTheTargetList(t *testing.T) {
	s, api := countingStore(t)
	put(t, s, "config/targets.yaml", config)
	put(t, s, "pulse/web.json", `{"url": "https://web.example/ping", "body": "pong"}`)
	api.puts.Store(0)
	h := &Handler{Store: s, BatchSize: 2}

	tests := []struct {
		name, input string
		targets     string
		batches     int
		puts        int64
	}{
		{"first schedule run writes the list", `{"trigger":"schedule"}`, "[api db myhost web]", 2, 1},
		{"the same targets again: no PUT", `{"trigger":"schedule"}`, "[api db myhost web]", 2, 1},
		{"a targeted run has its own list, sorted", `{"targets":["web","myhost"]}`, "[myhost web]", 1, 2},
		{"the same targeted run again: no PUT", `{"targets":["web","myhost"]}`, "[myhost web]", 1, 2},
	}
	keys := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Handle(context.Background(), json.RawMessage(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if out.TargetList.Bucket != "medic" || !strings.HasPrefix(out.TargetList.Key, "runs/targets-") {
				t.Fatalf("targetList = %+v", out.TargetList)
			}
			if got := fmt.Sprint(readList(t, s, out.TargetList.Key)); got != tt.targets {
				t.Errorf("list = %s, want %s", got, tt.targets)
			}
			if out.Summary.Batches != tt.batches {
				t.Errorf("summary batches = %d, want %d", out.Summary.Batches, tt.batches)
			}
			if n := api.puts.Load(); n != tt.puts {
				t.Errorf("PUTs so far = %d, want %d", n, tt.puts)
			}
			raw, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw, &fields); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"trigger", "requested", "targetList", "summary"} {
				if _, ok := fields[f]; !ok {
					t.Errorf("output lacks %s: %s", f, raw)
				}
			}
			if prev, ok := keys[tt.input]; ok && prev != out.TargetList.Key {
				t.Errorf("same input, different key: %s vs %s", prev, out.TargetList.Key)
			}
			keys[tt.input] = out.TargetList.Key
		})
	}
	body, _ := json.Marshal([]string{"x"})
	if k := TargetListKey(body); k != TargetListKey(body) || !strings.HasSuffix(k, ".json") || len(k) != len("runs/targets-.json")+64 {
		t.Errorf("TargetListKey = %s", k)
	}
}

// TestLargeTargetsGoToTheList: targets that would be far over 256 KB in
// a state's output (60 of 4 KB) go to S3; the output stays small.
func TestLargeTargetsGoToTheList(t *testing.T) {
	s := newStore(t)
	var b strings.Builder
	b.WriteString("targets:\n")
	big := strings.Repeat("x", 4000)
	for i := range 60 {
		fmt.Fprintf(&b, "  - {name: t%02d, url: 'https://t.example/', headers: {X-Pad: %s}}\n", i, big)
	}
	put(t, s, "config/targets.yaml", b.String())
	out, err := (&Handler{Store: s}).Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	// 60 targets of 4 KB: 100 per batch by count, but at most 200 KB a batch.
	if names := readList(t, s, out.TargetList.Key); len(names) != 60 || out.Summary.Targets != 60 || out.Summary.Batches != 2 {
		t.Fatalf("list of %d, summary %+v", len(names), out.Summary)
	}
	if enc, _ := json.Marshal(out); len(enc) > 2<<10 {
		t.Errorf("output is %d bytes: %s", len(enc), enc)
	}
}

// TestEmptyRun: no targets is an empty list, not a missing one (the
// ItemReader needs an array).
func TestEmptyRun(t *testing.T) {
	s := newStore(t)
	put(t, s, "config/targets.yaml", "targets: []\n")
	out, err := (&Handler{Store: s}).Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Get(context.Background(), out.TargetList.Key)
	if err != nil || string(obj.Body) != "[]" || out.Summary.Batches != 0 {
		t.Fatalf("list %q (%v), summary %+v", obj.Body, err, out.Summary)
	}
}
