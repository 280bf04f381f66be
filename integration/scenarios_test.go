package integration

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/status"
)

const schedule = `{"trigger":"schedule"}`

// Scenario 1: the original medic flow. pulse/myhost.json {"url","body"} is
// probed; a matching body is an up echo; a mismatch is not up; once the
// last good echo is older than 15 minutes Slack gets one message naming
// the target and since when.
func TestPulseFileMismatchForOver15MinutesAlertsSlackOnce(t *testing.T) {
	h := newHarness(t, setup{})
	srv := newBodyServer(t, http.StatusOK, "pong")
	slack := newReceiver(t, ok)
	h.setSecret("SLACK_WEBHOOK_URL", slack.URL+"/services/T000/B000/XXXXXXXX")
	h.putTargets(`
defaults:
  failureThreshold: 100   # only the 15-minute rule may call it DOWN here
  timeout: 5s
  channels: [slack]
channels:
  slack: {type: slack, urlSecret: SLACK_WEBHOOK_URL}
`)
	h.put("pulse/myhost.json", fmt.Sprintf(`{"url": %q, "body": "pong"}`, srv.URL+"/ping"))

	h.mustSucceed(schedule)
	e := h.mustEcho("myhost")
	if !e.Up || e.StatusCode != http.StatusOK || e.Run != "run-1" || !e.CheckedAt.Equal(start) {
		t.Fatalf("echo after a matching body = %+v, want up, 200, run-1, checked at %v", e, start)
	}
	if got := h.statusOf("myhost"); got != status.Up {
		t.Fatalf("status after a good echo = %q, want UP", got)
	}

	srv.set(http.StatusOK, "pang")
	for _, at := range []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute} {
		h.clock.Set(start.Add(at))
		h.mustSucceed(schedule)
		e := h.mustEcho("myhost")
		if e.Up || !slices.Contains(e.Failures, `body "pang", want "pong"`) {
			t.Fatalf("echo at +%v after a mismatch = up %v failures %q, want not up with the body difference", at, e.Up, e.Failures)
		}
		if n := len(slack.requests()); n != 0 {
			t.Fatalf("at +%v (last good echo %v old) Slack got %d messages, want none yet", at, at, n)
		}
	}

	h.clock.Set(start.Add(16 * time.Minute))
	h.mustSucceed(schedule)
	got := slack.requests()
	if len(got) != 1 {
		t.Fatalf("Slack got %d messages once the last good echo was 16m old, want 1", len(got))
	}
	text, _ := got[0].Body["text"].(string)
	for _, want := range []string{"myhost", "DOWN", "since 2026-03-02 09:00 UTC"} {
		if !strings.Contains(text, want) {
			t.Errorf("Slack text %q does not contain %q", text, want)
		}
	}
	if got[0].Path != "/services/T000/B000/XXXXXXXX" {
		t.Errorf("Slack message went to %q, want the webhook URL's path", got[0].Path)
	}
	if st := h.state().Targets["myhost"]; st.Status != status.Down || !st.Since.Equal(start) {
		t.Errorf("state = %s since %v, want DOWN since %v", st.Status, st.Since, start)
	}

	h.clock.Set(start.Add(20 * time.Minute))
	h.mustSucceed(schedule)
	if n := len(slack.requests()); n != 1 {
		t.Errorf("Slack got %d messages after another DOWN run, want still 1 (alerts on changes only)", n)
	}
	if alerts := h.outbox(); len(alerts) != 0 {
		t.Errorf("outbox holds %d alerts after delivery, want none", len(alerts))
	}
}

// alarmTargets is a targets file with myhost (down) and other, alerting a
// generic API channel.
func alarmTargets(myhost, other, api string) string {
	return fmt.Sprintf(`
channels:
  api: {type: webhook, url: %q}
defaults: {failureThreshold: 1, timeout: 5s, channels: [api]}
targets:
  - {name: myhost, url: %q}
  - {name: other, url: %q}
`, api, myhost, other)
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Scenario 2, first half: both CloudWatch alarm shapes start a check of
// exactly the target their metric namespace names, and the generic API
// channel answering 200 is recorded as delivered.
func TestCloudWatchAlarmChecksTheNamedTargetAndDeliversToAPI(t *testing.T) {
	for _, fixture := range []string{"alarm-lambda-action.json", "alarm-eventbridge.json"} {
		t.Run(strings.TrimSuffix(fixture, ".json"), func(t *testing.T) {
			h := newHarness(t, setup{})
			myhost := newBodyServer(t, http.StatusServiceUnavailable, "down")
			other := newBodyServer(t, http.StatusOK, "ok")
			api := newReceiver(t, ok)
			h.putTargets(alarmTargets(myhost.URL, other.URL, api.URL+"/alerts"))

			x := h.mustSucceed(readFixture(t, "../internal/trigger/testdata/"+fixture))
			out := output(t, x)
			if field(out, "trigger") != "alarm" || fmt.Sprint(field(out, "loaded.targets")) != "1" {
				t.Errorf("output trigger %v, loaded targets %v; want alarm, 1", field(out, "trigger"), field(out, "loaded.targets"))
			}
			// myhost's failed check is confirmed by the default two re-checks.
			if myhost.requests() != 3 || other.requests() != 0 {
				t.Errorf("myhost probed %d times, other %d; want 3 (a check, 2 re-checks) and 0", myhost.requests(), other.requests())
			}
			if _, ok := h.echo("other"); ok {
				t.Error("echo/other.json written by a run for myhost only")
			}
			if e := h.mustEcho("myhost"); e.Up || e.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("myhost echo up %v status %d, want down with 503", e.Up, e.StatusCode)
			}
			if num(out, "notify.delivered") != 1 || num(out, "notify.pending") != 0 {
				t.Errorf("notify output %v, want delivered 1, pending 0", field(out, "notify"))
			}
			if ids := api.alertIDs(); len(ids) != 1 || !strings.HasPrefix(ids[0], "myhost-") {
				t.Errorf("API channel got alerts %q, want one for myhost", ids)
			}
			if n := len(h.outbox()); n != 0 {
				t.Errorf("outbox holds %d alerts, want none once delivered", n)
			}
		})
	}
}

// Scenario 2, second half: the API channel answering 500 is retried with
// the definition's backoff; when it never succeeds the alert stays in the
// outbox and is delivered, once, by a later run.
func TestAlertToFailingAPIIsRetriedWithBackoffAndDeliveredByALaterRun(t *testing.T) {
	h := newHarness(t, setup{})
	myhost := newBodyServer(t, http.StatusServiceUnavailable, "down")
	other := newBodyServer(t, http.StatusOK, "ok")
	api := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	h.putTargets(alarmTargets(myhost.URL, other.URL, api.URL+"/alerts"))

	x := h.mustSucceed(readFixture(t, "../internal/trigger/testdata/alarm-eventbridge.json"))
	// Retry: RetryableDeliveryError, IntervalSeconds 5, MaxAttempts 3, BackoffRate 2, FULL jitter.
	if n := scheduled(x, taskNotify); n != 4 {
		t.Errorf("Notify attempted %d times, want 4 (1 + 3 retries)", n)
	}
	if got := failures(x, taskNotify); !slices.Equal(got, []string{"RetryableDeliveryError", "RetryableDeliveryError", "RetryableDeliveryError", "RetryableDeliveryError"}) {
		t.Errorf("Notify failures %q, want RetryableDeliveryError 4 times", got)
	}
	checkBackoff(t, h.engine.takeSleeps(), 3, 5*time.Second, 60*time.Second)
	if countEntered(x, "AlertsHeldForNextRun") != 1 {
		t.Errorf("states entered %q, want AlertsHeldForNextRun after the retries", entered(x))
	}
	alerts := h.outbox()
	if len(alerts) != 1 {
		t.Fatalf("outbox holds %d alerts after the failed deliveries, want 1", len(alerts))
	}
	d := alerts[0].Deliveries["api"]
	if d == nil || d.Status != "pending" || d.Attempts != 4 || !strings.Contains(d.LastError, "500") {
		t.Fatalf("delivery on api = %+v, want pending after 4 attempts with the 500 recorded", d)
	}
	id := alerts[0].ID

	api.setRespond(ok)
	h.clock.Advance(10 * time.Minute)
	x = h.mustSucceed(schedule)
	if out := output(t, x); num(out, "notify.delivered") != 1 {
		t.Errorf("later run's notify output %v, want delivered 1", field(out, "notify"))
	}
	ids := api.alertIDs()
	if len(ids) != 5 || ids[4] != id {
		t.Errorf("API channel got %q, want 4 failed attempts and then %s", ids, id)
	}
	if n := len(h.outbox()); n != 0 {
		t.Errorf("outbox holds %d alerts after the later delivery, want none", n)
	}
	h.clock.Advance(10 * time.Minute)
	h.mustSucceed(schedule)
	if n := len(api.requests()); n != 5 {
		t.Errorf("API channel got %d requests after one more run, want still 5: nothing sent twice", n)
	}
}

// Scenario 3: an S3 object-created event for pulse/<name>.json, in both
// shapes, checks exactly that target.
func TestPulseUploadEventChecksExactlyThatTarget(t *testing.T) {
	events := map[string]string{
		"eventbridge": readFixture(t, "../internal/trigger/testdata/s3-eventbridge-object-created.json"),
		"records": `{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		  "eventTime": "2026-03-02T09:00:00.000Z", "eventName": "ObjectCreated:Put",
		  "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "medic", "arn": "arn:aws:s3:::medic"},
		         "object": {"key": "pulse/web.json", "size": 52}}}]}`,
	}
	for name, event := range events {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, setup{})
			web := newBodyServer(t, http.StatusOK, "pong")
			other := newBodyServer(t, http.StatusOK, "pong")
			cfg := newBodyServer(t, http.StatusOK, "pong")
			h.putTargets(fmt.Sprintf("targets:\n  - {name: api, url: %q}\n", cfg.URL))
			h.put("pulse/web.json", fmt.Sprintf(`{"url": %q, "body": "pong"}`, web.URL))
			h.put("pulse/other.json", fmt.Sprintf(`{"url": %q, "body": "pong"}`, other.URL))

			x := h.mustSucceed(event)
			out := output(t, x)
			if field(out, "trigger") != "pulse" || num(out, "loaded.targets") != 1 {
				t.Errorf("output trigger %v, loaded %v; want pulse, 1 target", field(out, "trigger"), field(out, "loaded"))
			}
			if web.requests() != 1 || other.requests() != 0 || cfg.requests() != 0 {
				t.Errorf("probes: web %d, other %d, api %d; want 1, 0, 0", web.requests(), other.requests(), cfg.requests())
			}
			if got := h.keys("echo/"); !slices.Equal(got, []string{"echo/batch/web--web.json"}) {
				t.Errorf("echoes %q, want only echo/batch/web--web.json", got)
			}
			if !h.mustEcho("web").Up {
				t.Error("web's echo is not up")
			}
		})
	}
}
