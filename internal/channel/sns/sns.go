// Package sns publishes alerts to an Amazon SNS topic (email, SMS and any
// other subscription), with a short ASCII Subject and the details as Message.
package sns

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
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

// ErrNoEndpoint is returned by New when the process has no SNS client: a
// local run publishes only to the SNS API that AWS_ENDPOINT_URL_SNS (or
// AWS_ENDPOINT_URL) names.
var ErrNoEndpoint = errors.New("no SNS endpoint in this environment: set AWS_ENDPOINT_URL_SNS to an SNS API (LocalStack, moto, ...) to publish from a local run")

// UnavailableRetry is the retry hint of a channel that cannot publish in
// this environment (ErrNoTopic, ErrNoEndpoint): its alerts stay pending and
// are tried again this long after, which is longer than the state
// machine's retries, so a run is not held up by them.
const UnavailableRetry = time.Minute

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
// defaultTopic when the channel names none. When there is no topic or no
// client (api nil) the channel cannot publish in this environment: the
// error is a retryable *channel.Error wrapping ErrNoTopic or ErrNoEndpoint,
// with RetryAfter UnavailableRetry, so its alerts stay pending rather than
// being refused.
func New(c target.Channel, api API, defaultTopic string) (*Sender, error) {
	topic := c.TopicArn
	if topic == "" {
		topic = defaultTopic
	}
	if topic == "" {
		return nil, unavailable(c.Name, ErrNoTopic)
	}
	if api == nil {
		return nil, unavailable(c.Name, ErrNoEndpoint)
	}
	return &Sender{name: c.Name, topicArn: topic, api: api}, nil
}

func unavailable(name string, why error) error {
	return &channel.Error{Retryable: true, RetryAfter: UnavailableRetry, Err: fmt.Errorf("sns channel %s: %w", name, why)}
}

// Problem says why channel c cannot publish from a local run whose
// environment is getenv: ErrNoEndpoint without AWS_ENDPOINT_URL_SNS (or
// AWS_ENDPOINT_URL), ErrNoTopic without a topicArn or MEDIC_SNS_TOPIC_ARN;
// nil when it can.
func Problem(c target.Channel, getenv func(string) string) error {
	if localEndpoint(getenv) == "" {
		return ErrNoEndpoint
	}
	if c.TopicArn == "" && getenv("MEDIC_SNS_TOPIC_ARN") == "" {
		return ErrNoTopic
	}
	return nil
}

// LocalClient is the SNS client of a local run: the real SDK publishing to
// the endpoint AWS_ENDPOINT_URL_SNS names (or AWS_ENDPOINT_URL, as the SDK
// reads them), in AWS_REGION (or AWS_DEFAULT_REGION, or us-east-1), with
// the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a fixed
// local pair when unset: local SNS APIs accept any). It is nil when no
// endpoint is set: a local run never publishes to AWS by accident.
func LocalClient(getenv func(string) string, hc *http.Client) API {
	endpoint := localEndpoint(getenv)
	if endpoint == "" {
		return nil
	}
	region := cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1")
	creds := credentials.NewStaticCredentialsProvider("medic-local", "medic-local", "")
	if id, key := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && key != "" {
		creds = credentials.NewStaticCredentialsProvider(id, key, getenv("AWS_SESSION_TOKEN"))
	}
	opts := awssns.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: creds}
	if hc != nil {
		opts.HTTPClient = hc
	}
	return awssns.New(opts)
}

func localEndpoint(getenv func(string) string) string {
	return cmp.Or(getenv("AWS_ENDPOINT_URL_SNS"), getenv("AWS_ENDPOINT_URL"))
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

var _ channel.Digester = (*Sender)(nil)

// maxDigestAlerts bounds the alerts of one digest message.
const maxDigestAlerts = 200

// Split cuts alerts into messages of at most 200 alerts within SNS's
// 256 KB.
func (s *Sender) Split(alerts []outbox.Alert) [][]outbox.Alert {
	return channel.Pack(alerts, maxDigestAlerts, func(a outbox.Alert) int { return len(channel.Details(a)) + 2 }, maxMessageBytes-1024)
}

// SendDigest publishes alerts as one message.
func (s *Sender) SendDigest(ctx context.Context, alerts []outbox.Alert) error {
	if _, err := s.api.Publish(ctx, DigestInput(alerts, s.topicArn)); err != nil {
		return fmt.Errorf("sns channel %s: %w", s.name, classify(err))
	}
	return nil
}

// DigestInput is the Publish request for several alerts: their count as
// the subject, their details one after the other.
func DigestInput(alerts []outbox.Alert, topicArn string) *awssns.PublishInput {
	parts := make([]string, 0, len(alerts)+1)
	parts = append(parts, "medic: "+channel.DigestTitle(alerts))
	for _, a := range alerts {
		parts = append(parts, channel.Details(a))
	}
	return &awssns.PublishInput{
		TopicArn: aws.String(topicArn),
		Subject:  aws.String(asciiSubject("medic: " + channel.DigestTitle(alerts))),
		Message:  aws.String(clip.Bytes(strings.Join(parts, "\n\n"), maxMessageBytes)),
	}
}

// Subject is "medic: <headline>" in printable ASCII, at most 100
// characters: SNS refuses anything else in an email subject.
func Subject(a outbox.Alert) string { return asciiSubject("medic: " + channel.Headline(a)) }

func asciiSubject(s string) string {
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
