package infra

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/target"
	"github.com/medic-dev/medic/tasks/loadtargets"
)

// readTargetsFile parses the targets file the stack deploys into config/,
// so that a file every run would reject stops the synth instead, naming
// each problem: also one over the size a run reads, and, for the inline
// definition, targets that do not fit one run's payload.
func readTargetsFile(root string, set Settings) (*target.File, error) {
	path := filepath.Join(root, filepath.FromSlash(ConfigKey))
	data, err := target.ReadFile(path) // a file over what a run reads is refused unread
	if err != nil {
		return nil, fmt.Errorf("targets file to deploy: %w", err)
	}
	staleAfter, err := time.ParseDuration(set.StaleAfter)
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", CtxStaleAfter, err)
	}
	f, err := target.ParseFile(ConfigKey, data, target.Options{StaleAfter: staleAfter})
	if err != nil {
		return nil, fmt.Errorf("targets file to deploy: %w", err)
	}
	if len(f.Problems) > 0 {
		lines := make([]string, len(f.Problems))
		for i, p := range f.Problems {
			lines[i] = "  " + p.String()
		}
		return nil, fmt.Errorf("targets file to deploy has %d problem(s); fix them (go run ./cmd/medic validate %s) and synth again:\n%s",
			len(f.Problems), ConfigKey, strings.Join(lines, "\n"))
	}
	if err := loadtargets.CheckFleet(f, set.BatchSize); err != nil {
		return nil, fmt.Errorf("targets file to deploy: every scheduled run would fail: %w", err)
	}
	return f, nil
}

// snsTopicArnRE matches one SNS topic's ARN: partition, region, 12-digit
// account and topic name, no wildcard (an IAM resource with * or ? in it
// would grant publish to topics the file does not name).
var snsTopicArnRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// channelTopics returns the SNS topics the file's sns channels name with
// topicArn, sorted and each once; channels without one publish to the
// stack's topic. A topicArn that is not one topic's ARN stops the synth.
func channelTopics(f *target.File) ([]string, error) {
	var topics, bad []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range f.Channels {
			if !yield(n) {
				return
			}
		}
	}) {
		c := f.Channels[name]
		if c.Type != target.ChannelSNS || c.TopicArn == "" {
			continue
		}
		if !snsTopicArnRE.MatchString(c.TopicArn) {
			bad = append(bad, fmt.Sprintf("  %s: channel %s: topicArn %q is not one SNS topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME, no wildcards)", ConfigKey, name, c.TopicArn))
			continue
		}
		if !slices.Contains(topics, c.TopicArn) {
			topics = append(topics, c.TopicArn)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("targets file to deploy: the notify function would be granted sns:Publish on them:\n%s", strings.Join(bad, "\n"))
	}
	slices.Sort(topics)
	return topics, nil
}
