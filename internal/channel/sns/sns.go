// Package sns publishes alerts to an Amazon SNS topic (email, SMS and any
// other subscription), with a short ASCII Subject and the details as Message.
package sns

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/clip"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/target"
)

// SNS limits.
const (
	maxSubject      = 100     // ASCII characters
	maxMessageBytes = 262_144 // UTF-8 bytes
)

// ErrNoTopic is returned by New when neither the channel nor the deployment
// names a topic.
var ErrNoTopic = errors.New("topicArn not set and the deployment has no default topic (MEDIC_SNS_TOPIC_ARN)")

// API is the part of the SNS client the sender uses.
type API interface {
	Publish(ctx context.Context, in *awssns.PublishInput, opts ...func(*awssns.Options)) (*awssns.PublishOutput, error)
}

var _ API = (*awssns.Client)(nil)

// Sender publishes to one topic.
type Sender struct {
	name     string
	topicArn string
	api      API
}

var _ channel.Sender = (*Sender)(nil)

// New returns a Sender for c (type sns) publishing to c.TopicArn, or to
// defaultTopic when the channel names none.
func New(c target.Channel, api API, defaultTopic string) (*Sender, error) {
	topic := c.TopicArn
	if topic == "" {
		topic = defaultTopic
	}
	if topic == "" {
		return nil, fmt.Errorf("channel %s: %w", c.Name, ErrNoTopic)
	}
	if api == nil {
		return nil, fmt.Errorf("channel %s: no SNS client configured", c.Name)
	}
	return &Sender{name: c.Name, topicArn: topic, api: api}, nil
}

// Send publishes a.
func (s *Sender) Send(ctx context.Context, a outbox.Alert) error {
	in := Input(a, s.topicArn)
	if _, err := s.api.Publish(ctx, in); err != nil {
		return fmt.Errorf("sns channel %s: %w", s.name, classify(err))
	}
	return nil
}

// Input is the Publish request for a.
func Input(a outbox.Alert, topicArn string) *awssns.PublishInput {
	return &awssns.PublishInput{
		TopicArn: aws.String(topicArn),
		Subject:  aws.String(Subject(a)),
		Message:  aws.String(clip.Bytes(channel.Details(a), maxMessageBytes)),
	}
}

// Subject is "medic: <headline>" in printable ASCII, at most 100
// characters: SNS refuses anything else in an email subject.
func Subject(a outbox.Alert) string {
	s := "medic: " + channel.Headline(a)
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > maxSubject {
		out = out[:maxSubject-3] + "..."
	}
	return out
}

// throttling are SNS error codes worth retrying even though their HTTP
// status is a 4xx.
var throttling = map[string]bool{"Throttled": true, "Throttling": true, "ThrottlingException": true, "KMSThrottling": true}

// classify turns an SDK error into a *channel.Error: throttling, 5xx and no
// response at all are retryable; any other 4xx (a missing topic, no
// permission, a bad parameter) is a rejection.
func classify(err error) error {
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	throttled := errors.As(err, &ae) && throttling[ae.ErrorCode()]
	retryable := status == 0 || status == 429 || status >= 500 || throttled
	return &channel.Error{Retryable: retryable, Status: status, Err: err}
}
