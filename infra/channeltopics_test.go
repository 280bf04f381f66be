package infra

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/target"
)

// TestChannelTopics: the SNS topics that the targets file's sns channels
// name with topicArn, each once, sorted; anything but one topic's ARN stops
// the synth, naming the file, the channel and the value.
func TestChannelTopics(t *testing.T) {
	const (
		ops  = "arn:aws:sns:eu-west-1:123456789012:ops"
		page = "arn:aws:sns:us-east-1:210987654321:pager.fifo"
	)
	tests := []struct {
		name     string
		channels string
		want     []string
		wantErr  []string
	}{
		{name: "the stack's topic only", channels: "ops: {type: sns}\nhook: {type: webhook, url: https://hooks.example/x}"},
		{name: "own topics, each once", want: []string{ops, page},
			channels: "a: {type: sns, topicArn: " + page + "}\nb: {type: sns, topicArn: " + ops + "}\nc: {type: sns, topicArn: " + ops + "}\nd: {type: sns}"},
		{name: "a wildcard", channels: "all: {type: sns, topicArn: 'arn:aws:sns:*:123456789012:*'}",
			wantErr: []string{"config/targets.yaml: channel all", "arn:aws:sns:*:123456789012:*", "no wildcards"}},
		{name: "not an SNS topic", channels: "q: {type: sns, topicArn: 'arn:aws:sqs:eu-west-1:123456789012:q'}",
			wantErr: []string{"channel q", "is not one SNS topic's ARN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := target.ParseFile(ConfigKey, []byte("channels:\n"+indent(tt.channels)+"targets:\n  - {name: web, url: https://example.com/}\n"), target.Options{})
			if err != nil || len(f.Problems) > 0 {
				t.Fatalf("parse: %v %v", err, f.Problems)
			}
			got, err := channelTopics(f)
			if len(tt.wantErr) > 0 {
				for _, w := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("channelTopics = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// TestNotifyMayPublishToChannelTopics synthesizes the stack with a targets
// file whose sns channels name their own topics: the notify role may
// publish to exactly the stack's topic and those, and no other role may
// publish at all.
func TestNotifyMayPublishToChannelTopics(t *testing.T) {
	const (
		ops  = "arn:aws:sns:eu-west-1:123456789012:ops-alerts"
		page = "arn:aws:sns:eu-west-1:210987654321:pager"
	)
	root := moduleWithTargets(t, `
channels:
  ops: {type: sns, topicArn: `+ops+`}
  ops-again: {type: sns, topicArn: `+ops+`}
  pager: {type: sns, topicArn: `+page+`}
  default: {type: sns}
defaults: {channels: [ops, pager, default]}
targets:
  - {name: web, url: https://example.com/}
`)
	s, err := synthAt(root, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	topic := map[string]any{"Ref": s.logicalID(s.stack.Topic)}
	for _, task := range Tasks {
		var publishes []statement
		for _, st := range s.statementsOf(s.logicalID(s.stack.Functions[task].Role())) {
			if slices.ContainsFunc(st.actions(), func(a string) bool { return strings.HasPrefix(strings.ToLower(a), "sns:") }) {
				publishes = append(publishes, st)
			}
		}
		if task != "notify" {
			if len(publishes) > 0 {
				t.Errorf("%s may use SNS: %v", task, publishes)
			}
			continue
		}
		want := []any{topic, ops, page}
		if len(publishes) != 1 || !reflect.DeepEqual(publishes[0].actions(), []string{"sns:Publish"}) ||
			!reflect.DeepEqual(publishes[0].resources(), want) {
			t.Errorf("notify SNS access = %v, want sns:Publish on %v", publishes, want)
		}
	}
}

// moduleWithTargets is a copy of this module, by symbolic links, whose
// config/targets.yaml is targets.
func moduleWithTargets(t *testing.T, targets string) string {
	t.Helper()
	real, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	entries, err := os.ReadDir(real)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "config" || e.Name() == ".git" {
			continue
		}
		if err := os.Symlink(filepath.Join(real, e.Name()), filepath.Join(root, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "config", "targets.yaml"), []byte(targets), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}
