package sns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/channeltest"
	"github.com/medic-dev/medic/internal/channel/sns"
	"github.com/medic-dev/medic/internal/target"
)

const topic = "arn:aws:sns:us-east-1:123456789012:medic-alerts"

// publishResponse is SNS's answer to Publish in the query protocol.
const publishResponse = `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult>
    <MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>
  </PublishResult>
  <ResponseMetadata>
    <RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId>
  </ResponseMetadata>
</PublishResponse>`

func errorResponse(typ, code, msg string) string {
	return fmt.Sprintf(`<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>9b3b0b6a-1c7e-5a0e-8a8e-2d2f6a4b3c1d</RequestId>
</ErrorResponse>`, typ, code, msg)
}

func newClient(endpoint string, hc *http.Client) *awssns.Client {
	opts := awssns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	}
	if hc != nil {
		opts.HTTPClient = hc
	}
	return awssns.New(opts)
}

// publishForm decodes the query-protocol request the SDK sent.
func publishForm(t *testing.T, body []byte) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	return form
}

func TestPublishGolden(t *testing.T) {
	for name, a := range channeltest.Alerts() {
		t.Run(name, func(t *testing.T) {
			rc := channeltest.NewReceiver(t, true, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				_, _ = io.WriteString(w, publishResponse)
			})
			s, err := sns.New(target.Channel{Name: "email", Type: "sns"}, newClient(rc.URL, rc.Client()), topic)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), a); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := rc.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			form := publishForm(t, reqs[0].Body)
			if form.Get("Action") != "Publish" || form.Get("TopicArn") != topic {
				t.Fatalf("form = %v", form)
			}
			subject := form.Get("Subject")
			if len(subject) > 100 || strings.ContainsAny(subject, "\r\n") {
				t.Fatalf("subject %q breaks SNS's rules", subject)
			}
			for _, r := range subject {
				if r < 0x20 || r > 0x7e {
					t.Fatalf("subject %q has non-ASCII %q", subject, r)
				}
			}
			golden, _ := json.Marshal(map[string]string{"TopicArn": form.Get("TopicArn"), "Subject": subject, "Message": form.Get("Message")})
			channeltest.Golden(t, name, golden)
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		code      string
		retryable bool
	}{
		{name: "throttled", status: 400, code: "Throttled", retryable: true},
		{name: "internal error", status: 500, code: "InternalError", retryable: true},
		{name: "topic gone", status: 404, code: "NotFound"},
		{name: "no permission", status: 403, code: "AuthorizationError"},
		{name: "bad parameter", status: 400, code: "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := channeltest.NewReceiver(t, false, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, errorResponse("Sender", tt.code, "it failed"))
			})
			s, err := sns.New(target.Channel{Name: "email", Type: "sns", TopicArn: topic}, newClient(rc.URL, rc.Client()), "")
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), channeltest.Alerts()["down"])
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Retryable != tt.retryable || ce.Status != tt.status || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("err = %v, want retryable=%v status=%d code %s", err, tt.retryable, tt.status, tt.code)
			}
		})
	}
}

func TestConnectionErrorIsRetryable(t *testing.T) {
	rc := channeltest.NewReceiver(t, false, nil)
	rc.Close()
	s, err := sns.New(target.Channel{Name: "email", Type: "sns", TopicArn: topic}, newClient(rc.URL, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), channeltest.Alerts()["down"]); !channel.IsRetryable(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
}

func TestNewNeedsTopic(t *testing.T) {
	if _, err := sns.New(target.Channel{Name: "email", Type: "sns"}, newClient("http://127.0.0.1:1", nil), ""); !errors.Is(err, sns.ErrNoTopic) {
		t.Fatalf("err = %v, want ErrNoTopic", err)
	}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// A local run's client publishes to the endpoint the environment names,
// signed for the region it names; with no endpoint there is no client.
func TestLocalClient(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantRegion string
	}{
		{"AWS_ENDPOINT_URL_SNS", map[string]string{"AWS_ENDPOINT_URL_SNS": "%s", "AWS_REGION": "eu-west-1"}, "eu-west-1"},
		{"AWS_ENDPOINT_URL for every service", map[string]string{"AWS_ENDPOINT_URL": "%s", "AWS_DEFAULT_REGION": "ap-northeast-1"}, "ap-northeast-1"},
		{"SNS's own variable wins", map[string]string{"AWS_ENDPOINT_URL_SNS": "%s", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := channeltest.NewReceiver(t, false, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				_, _ = io.WriteString(w, publishResponse)
			})
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = strings.ReplaceAll(v, "%s", rc.URL)
			}
			api := sns.LocalClient(envOf(env), nil)
			if api == nil {
				t.Fatal("no client")
			}
			s, err := sns.New(target.Channel{Name: "email", Type: "sns"}, api, topic)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), channeltest.Alerts()["down"]); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := rc.Requests()
			if len(reqs) != 1 || publishForm(t, reqs[0].Body).Get("Action") != "Publish" {
				t.Fatalf("requests %+v, want one Publish", reqs)
			}
			if auth := reqs[0].Header.Get("Authorization"); !strings.Contains(auth, "/"+tt.wantRegion+"/sns/aws4_request") {
				t.Fatalf("Authorization %q, want a signature for %s", auth, tt.wantRegion)
			}
		})
	}
	if api := sns.LocalClient(envOf(nil), nil); api != nil {
		t.Fatalf("LocalClient with no endpoint = %v, want nil", api)
	}
}

// A channel that cannot publish in this environment is not refused: its
// error is retryable, names what is missing and asks to wait a while.
func TestNewWithoutEndpointOrTopicLeavesAlertsPending(t *testing.T) {
	c := target.Channel{Name: "email", Type: "sns"}
	for _, tt := range []struct {
		name  string
		api   sns.API
		topic string
		want  error
	}{
		{"no client", nil, topic, sns.ErrNoEndpoint},
		{"no topic", newClient("http://127.0.0.1:1", nil), "", sns.ErrNoTopic},
	} {
		_, err := sns.New(c, tt.api, tt.topic)
		var ce *channel.Error
		if !errors.Is(err, tt.want) || !errors.As(err, &ce) || !ce.Retryable || ce.RetryAfter != sns.UnavailableRetry {
			t.Errorf("%s: err = %v, want a retryable *channel.Error wrapping %v", tt.name, err, tt.want)
		}
	}
}

func TestProblem(t *testing.T) {
	endpoint := map[string]string{"AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:4566"}
	withTopic := map[string]string{"AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:4566", "MEDIC_SNS_TOPIC_ARN": topic}
	for _, tt := range []struct {
		name string
		c    target.Channel
		env  map[string]string
		want error
	}{
		{"no endpoint", target.Channel{TopicArn: topic}, nil, sns.ErrNoEndpoint},
		{"no topic", target.Channel{}, endpoint, sns.ErrNoTopic},
		{"channel's topic", target.Channel{TopicArn: topic}, endpoint, nil},
		{"default topic", target.Channel{}, withTopic, nil},
	} {
		if err := sns.Problem(tt.c, envOf(tt.env)); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: Problem = %v, want %v", tt.name, err, tt.want)
		}
	}
}
