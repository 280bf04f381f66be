package target

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParsePulse(t *testing.T) {
	file, err := ParseFile("config/targets.yaml", []byte(`
defaults: {timeout: 3s, failureThreshold: 4, channels: [ops]}
channels: {ops: {type: sns}, dev: {type: sns}}
`), Options{StaleAfter: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	base := Target{
		Timeout: Duration(3 * time.Second), StaleAfter: Duration(20 * time.Minute),
		FailureThreshold: 4, SuccessThreshold: 1, Channels: []string{"ops"},
		// Every pulse target, push only too, has the built-in flap detection.
		Flap: &Flap{Changes: 3, Window: Duration(30 * time.Minute)},
	}
	with := func(f func(*Target)) Target { t := base; f(&t); return t }
	tests := []struct {
		name, key, body string
		want            Target
	}{
		// A probed pulse target is confirmed like any other (the built-in
		// two re-checks 5 s apart); its failureThreshold is the defaults'.
		{"original format", "pulse/web.json", `{"url": "https://web.example/ping", "body": "pong"}`, with(func(t *Target) {
			t.Name, t.Kind, t.URL, t.Method, t.FollowRedirects, t.Source = "web", KindHTTP, "https://web.example/ping", "GET", true, "pulse/web.json"
			t.Expect.Body, t.Confirm = ptr("pong"), builtInConfirm()
		})},
		{"empty body is exact", "pulse/e.json", `{"url": "http://e.example", "body": ""}`, with(func(t *Target) {
			t.Name, t.Kind, t.URL, t.Method, t.FollowRedirects, t.Source = "e", KindHTTP, "http://e.example", "GET", true, "pulse/e.json"
			t.Expect.Body, t.Confirm = ptr(""), builtInConfirm()
		})},
		{"heartbeat with url", "pulse/batch.json", `{"url": "https://b.example", "body": "ok", "heartbeat": "5m", "channels": ["dev"]}`, with(func(t *Target) {
			t.Name, t.Kind, t.URL, t.Method, t.FollowRedirects, t.Source = "batch", KindHTTP, "https://b.example", "GET", true, "pulse/batch.json"
			t.Expect.Body, t.Heartbeat, t.StaleAfter, t.Channels = ptr("ok"), true, Duration(5*time.Minute), []string{"dev"}
			t.Confirm = builtInConfirm()
		})},
		{"push only", "pulse/cron.json", `{"heartbeat": 3600}`, with(func(t *Target) {
			t.Name, t.Kind, t.Source, t.Timeout = "cron", KindPush, "pulse/cron.json", 0
			t.Heartbeat, t.StaleAfter = true, Duration(time.Hour)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePulse(tt.key, []byte(tt.body), file.Defaults)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParsePulseZeroDefaults(t *testing.T) {
	got, err := ParsePulse("pulse/a.json", []byte(`{"url":"https://a.example","body":"x"}`), Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	// With confirmation on by default, the default failureThreshold is 1.
	if got.Timeout.D() != DefaultTimeout || got.StaleAfter.D() != DefaultStaleAfter || got.FailureThreshold != 1 ||
		!reflect.DeepEqual(got.Confirm, builtInConfirm()) {
		t.Errorf("got %+v (confirm %+v)", got, got.Confirm)
	}
}

// builtInConfirm is the confirmation a probed target gets when nothing sets one.
func builtInConfirm() *Confirm { return &Confirm{Attempts: 2, Interval: Duration(5 * time.Second)} }

func TestParsePulseProblems(t *testing.T) {
	tests := []struct {
		name, key, body, target, field, want string
	}{
		{"unknown key", "pulse/a.json", `{"url":"https://a.example","bdy":"x"}`, "a", "bdy", `unknown key "bdy"`},
		{"no url", "pulse/a.json", `{"body":"x"}`, "a", "url", "url is required"},
		{"body without url", "pulse/a.json", `{"body":"x","heartbeat":"1m"}`, "a", "body", "needs a url"},
		{"bad url", "pulse/a.json", `{"url":"gopher://a"}`, "a", "url", "http:// or https://"},
		{"bad heartbeat", "pulse/a.json", `{"heartbeat":"often"}`, "a", "heartbeat", "invalid duration"},
		{"zero heartbeat", "pulse/a.json", `{"heartbeat":"0s"}`, "a", "heartbeat", "more than 0"},
		{"wrong type", "pulse/a.json", `{"url": 5}`, "a", "url", "must be a string"},
		{"syntax", "pulse/a.json", "{\n\"url\": }", "a", "", "invalid JSON at line 2"},
		{"cut short", "pulse/a.json", `{"url": "https://a.example"`, "a", "", "cut short"},
		{"array", "pulse/a.json", `["https://a.example"]`, "a", "", "must be a JSON object"},
		{"trailing", "pulse/a.json", `{"url":"https://a.example"} {}`, "a", "", "unexpected data"},
		{"bad name", "pulse/My Site.json", `{"url":"https://a.example"}`, "My Site", "name", "invalid name"},
		{"nested", "pulse/a/b.json", `{"url":"https://a.example"}`, "a/b", "name", "invalid name"},
		{"not json", "pulse/a.txt", `{}`, "", "", "does not end in .json"},
		{"outside pulse", "echo/a.json", `{}`, "", "", "is not under pulse/"},
		{"unknown channel", "pulse/a.json", `{"url":"https://a.example","channels":["x"]}`, "a", "channels", `channel "x" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePulse(tt.key, []byte(tt.body), Defaults{})
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("err = %v, want one problem", err)
			}
			p := ps[0]
			if p.Source != tt.key || p.Target != tt.target || p.Field != tt.field || !strings.Contains(p.Error, tt.want) {
				t.Errorf("problem = %#v, want target %q field %q containing %q", p, tt.target, tt.field, tt.want)
			}
		})
	}
}

// TestParsePulseRetired: {"retired": true}, alone, retires the target
// (ErrRetired); anything else with "retired" is a problem naming the field.
func TestParsePulseRetired(t *testing.T) {
	if _, err := ParsePulse("pulse/old.json", []byte(`{"retired": true}`), Defaults{}); !errors.Is(err, ErrRetired) {
		t.Fatalf("retired file: err = %v, want ErrRetired", err)
	}
	for _, body := range []string{`{"retired": false}`, `{"retired": true, "heartbeat": "5m"}`, `{"retired": "yes"}`} {
		_, err := ParsePulse("pulse/old.json", []byte(body), Defaults{})
		var ps Problems
		if !errors.As(err, &ps) || ps[0].Field != "retired" || ps[0].Target != "old" {
			t.Errorf("%s: err = %v, want a problem with field retired", body, err)
		}
	}
}
