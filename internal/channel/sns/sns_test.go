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
