package target

import (
	"github.com/medic-dev/medic/internal/window"

	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFileFullExample(t *testing.T) {
	f, err := ParseFile("config/targets.yaml", mustRead(t, "testdata/targets.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 {
		t.Fatalf("problems: %v", f.Problems)
	}
	want := []Target{
		{
			Name: "api", Kind: KindHTTP, URL: "https://api.example.com/healthz", Method: "GET",
			Headers: map[string]string{"Accept": "application/json"}, Timeout: Duration(5 * time.Second),
			HeaderSecrets:   map[string]string{"X-Api-Key": "API_HEALTH_TOKEN"},
			BasicAuth:       &BasicAuth{Username: "medic", PasswordSecret: "API_HEALTH_PASSWORD"},
			FollowRedirects: true, MaxBodyBytes: 4 << 20,
			TLS: &TLS{CASecret: "INTERNAL_CA", CertSecret: "API_CLIENT_CERT", KeySecret: "API_CLIENT_KEY", ServerName: "api.internal"},
			Expect: Expect{
				Status: []int{200}, Body: ptr("exact"), BodyContains: "ok", BodyRegex: "^ok",
				JSON:       map[string]any{"status": "ok", "checks.db.up": true, "count": float64(3)},
				MaxLatency: Duration(2 * time.Second), CertValidFor: Duration(168 * time.Hour),
				HTTPVersion: "2", BodyNotContains: "maintenance", BodyNotRegex: "[Ee]rror",
				Headers: map[string]string{"Content-Type": "application/json"}, HeadersContain: map[string]string{"Cache-Control": "no-store"},
				HeadersRegex: map[string]string{"Server": "^nginx"}, FinalURL: "https://api.example.com/healthz", Redirects: ptr(0),
			},
			StaleAfter: Duration(15 * time.Minute), FailureThreshold: 3, SuccessThreshold: 2,
			RemindEvery: Duration(time.Hour), Channels: []string{"ops", "oncall"}, Source: "config/targets.yaml",
		},
		{
			Name: "db", Kind: KindTCP, Address: "db.internal:5432", IPVersion: 6, Timeout: Duration(10 * time.Second),
			StaleAfter: Duration(15 * time.Minute), FailureThreshold: 2, SuccessThreshold: 1,
			RemindEvery: Duration(time.Hour), Channels: []string{"mail", "hook"}, Source: "config/targets.yaml",
			Confirm: &Confirm{Attempts: 2, Interval: Duration(3 * time.Second)},
			Flap:    &Flap{Changes: 4, Window: Duration(time.Hour)},
		},
		{
			Name: "www", Kind: KindHTTP, URL: "http://www.example.com/", Method: "GET", Timeout: Duration(10 * time.Second),
			FollowRedirects: false, Expect: Expect{CertValidFor: Duration(168 * time.Hour)},
			StaleAfter: Duration(15 * time.Minute), FailureThreshold: 2, SuccessThreshold: 1,
			RemindEvery: Duration(time.Hour), Channels: []string{"ops"}, Source: "config/targets.yaml",
			Confirm: &Confirm{Attempts: 2, Interval: Duration(3 * time.Second)},
			Flap:    &Flap{Changes: 4, Window: Duration(time.Hour)},
		},
	}
	if !reflect.DeepEqual(f.Targets, want) {
		t.Errorf("targets:\n got %+v\nwant %+v", f.Targets, want)
	}
	wantChannels := map[string]Channel{
		"ops":    {Name: "ops", Type: ChannelSlack, URLSecret: "SLACK_OPS_WEBHOOK_URL", DigestAfter: DefaultDigestAfter},
		"oncall": {Name: "oncall", Type: ChannelLINE, TokenSecret: "LINE_TOKEN", To: "U4af4980629", DigestAfter: DefaultDigestAfter},
		"mail":   {Name: "mail", Type: ChannelSNS, DigestAfter: DefaultDigestAfter},
		"hook":   {Name: "hook", Type: ChannelWebhook, URL: "https://hooks.example.com/medic", HeaderSecrets: map[string]string{"Authorization": "HOOK_AUTH"}, DigestAfter: DefaultDigestAfter},
	}
	if !reflect.DeepEqual(f.Channels, wantChannels) {
		t.Errorf("channels:\n got %+v\nwant %+v", f.Channels, wantChannels)
	}
}

func TestParseFileJSON(t *testing.T) {
	f, err := ParseFile("config/targets.json", mustRead(t, "testdata/targets.json"), Options{StaleAfter: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 || len(f.Targets) != 2 {
		t.Fatalf("targets %v problems %v", f.Targets, f.Problems)
	}
	api, db := f.Targets[0], f.Targets[1]
	if api.Timeout.D() != 20*time.Second || !reflect.DeepEqual(api.Expect.Status, []int{200, 204}) || api.Expect.JSON["ok"] != true {
		t.Errorf("api = %+v", api)
	}
	if api.StaleAfter.D() != 30*time.Minute {
		t.Errorf("staleAfter = %s, want the caller's 30m", api.StaleAfter)
	}
	if db.Address != "[2001:db8::1]:5432" || db.Kind != KindTCP || !reflect.DeepEqual(db.Channels, []string{"ops"}) {
		t.Errorf("db = %+v", db)
	}
}

// TestParseFileConfirm checks how confirm and failureThreshold combine:
// with confirmation on, a target that sets no failureThreshold goes DOWN
// on its first confirmed failure; attempts: 0 keeps the old default of 2.
func TestParseFileConfirm(t *testing.T) {
	f, err := ParseFile("t.yaml", []byte(`
defaults: {confirm: {attempts: 1, interval: 250ms}}
targets:
  - {name: on, url: 'https://a.example'}
  - {name: off, url: 'https://a.example', confirm: {attempts: 0}}
  - {name: three, tcp: 'db:1', confirm: {attempts: 3}, failureThreshold: 2}
`), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	tests := []struct {
		confirm   *Confirm
		threshold int
	}{
		{&Confirm{Attempts: 1, Interval: Duration(250 * time.Millisecond)}, 1},
		{nil, 2},
		{&Confirm{Attempts: 3, Interval: Duration(250 * time.Millisecond)}, 2},
	}
	for i, tt := range tests {
		got := f.Targets[i]
		if !reflect.DeepEqual(got.Confirm, tt.confirm) || got.FailureThreshold != tt.threshold {
			t.Errorf("%s: confirm %+v failureThreshold %d, want %+v and %d", got.Name, got.Confirm, got.FailureThreshold, tt.confirm, tt.threshold)
		}
	}
}

func TestParseFileBuiltInDefaults(t *testing.T) {
	f, err := ParseFile("t.yaml", []byte("targets:\n  - {name: a, url: 'https://a.example'}\n"), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	want := Target{
		Name: "a", Kind: KindHTTP, URL: "https://a.example", Method: DefaultMethod,
		Timeout: Duration(DefaultTimeout), FollowRedirects: true, StaleAfter: Duration(DefaultStaleAfter),
		// Confirmation is on by default (two re-checks 5 s apart), and so
		// the first confirmed failure makes a target DOWN.
		Confirm: &Confirm{Attempts: 2, Interval: Duration(5 * time.Second)},
		// Flap detection too: 3 status changes within 30 minutes.
		Flap:             &Flap{Changes: 3, Window: Duration(30 * time.Minute)},
		FailureThreshold: 1, SuccessThreshold: DefaultSuccessThreshold, Source: "t.yaml",
	}
	if !reflect.DeepEqual(f.Targets[0], want) {
		t.Errorf("got %+v\nwant %+v", f.Targets[0], want)
	}
}

// TestParseFileProblems checks that each mistake is reported with the
// target and field, that the bad target is skipped and that "ok" loads.
func TestParseFileProblems(t *testing.T) {
	const head = "channels:\n  ops: {type: slack, urlSecret: SLACK_URL}\ntargets:\n  - {name: ok, url: 'https://ok.example'}\n"
	tests := []struct {
		name, target, field, want string
		yaml                      string
	}{
		{"bad name", "Bad_Name", "name", "invalid name", "  - {name: Bad_Name, url: 'https://x.example'}"},
		{"no name", "", "name", "targets[1]: a name is required", "  - {url: 'https://x.example'}"},
		{"ftp url", "x", "url", "must start with http:// or https://", "  - {name: x, url: 'ftp://x.example'}"},
		{"no host", "x", "url", "has no host", "  - {name: x, url: 'https:///path'}"},
		{"credentials", "x", "url", "must not contain credentials", "  - {name: x, url: 'https://u:p@x.example'}"},
		{"url and tcp", "x", "tcp", "not both", "  - {name: x, url: 'https://x.example', tcp: 'x:1'}"},
		{"neither", "x", "url", "is required", "  - {name: x}"},
		{"tcp no port", "x", "tcp", "must be host:port", "  - {name: x, tcp: db.internal}"},
		{"tcp bad port", "x", "tcp", "1 to 65535", "  - {name: x, tcp: 'db:99999'}"},
		{"tcp with method", "x", "method", "only applies to url targets", "  - {name: x, tcp: 'db:1', method: POST}"},
		{"tcp with status", "x", "expect.status", "only applies to url targets", "  - {name: x, tcp: 'db:1', expect: {status: [200]}}"},
		{"zero timeout", "x", "timeout", "more than 0", "  - {name: x, url: 'https://x.example', timeout: 0s}"},
		{"long timeout", "x", "timeout", "at most 1m0s", "  - {name: x, url: 'https://x.example', timeout: 61s}"},
		{"bad duration", "x", "staleAfter", "invalid duration", "  - {name: x, url: 'https://x.example', staleAfter: soon}"},
		{"threshold", "x", "failureThreshold", "at least 1", "  - {name: x, url: 'https://x.example', failureThreshold: 0}"},
		{"success threshold", "x", "successThreshold", "at least 1", "  - {name: x, url: 'https://x.example', successThreshold: -1}"},
		{"threshold type", "x", "failureThreshold", "must be a whole number", "  - {name: x, url: 'https://x.example', failureThreshold: two}"},
		{"regex", "x", "expect.bodyRegex", "invalid regular expression", "  - {name: x, url: 'https://x.example', expect: {bodyRegex: '('}}"},
		{"status range", "x", "expect.status", "not an HTTP status code", "  - {name: x, url: 'https://x.example', expect: {status: [20]}}"},
		{"unknown key", "x", "tiemout", `unknown key "tiemout"`, "  - {name: x, url: 'https://x.example', tiemout: 5s}"},
		{"unknown expect key", "x", "expect.stat", `unknown key "stat"`, "  - {name: x, url: 'https://x.example', expect: {stat: 200}}"},
		{"unknown channel", "x", "channels", `channel "pager" is not defined`, "  - {name: x, url: 'https://x.example', channels: [pager]}"},
		{"duplicate", "ok", "name", "duplicate name", "  - {name: ok, url: 'https://x.example'}"},
		{"header", "x", "headers", "invalid header name", "  - {name: x, url: 'https://x.example', headers: {'a b': c}}"},
		{"method", "x", "method", "invalid HTTP method", "  - {name: x, url: 'https://x.example', method: 'GE T'}"},
		{"not a mapping", "", "", "targets[1]: must be a mapping", "  - just-a-string"},
		{"http version", "x", "expect.httpVersion", `httpVersion "3": want "1.0", "1.1" or "2"`, "  - {name: x, url: 'https://x.example', expect: {httpVersion: 3}}"},
		{"tcp with httpVersion", "x", "expect.httpVersion", "only applies to url targets", "  - {name: x, tcp: 'db:1', expect: {httpVersion: '2'}}"},
		{"body cap too big", "x", "maxBodyBytes", "maxBodyBytes 128MiB must be more than 0 and at most 64MiB", "  - {name: x, url: 'https://x.example', maxBodyBytes: 128MiB}"},
		{"body cap zero", "x", "maxBodyBytes", "must be more than 0", "  - {name: x, url: 'https://x.example', maxBodyBytes: 0}"},
		{"body cap unit", "x", "maxBodyBytes", `invalid size "4 parsecs"`, "  - {name: x, url: 'https://x.example', maxBodyBytes: 4 parsecs}"},
		{"body cap list", "x", "maxBodyBytes", "must be a size like", "  - {name: x, url: 'https://x.example', maxBodyBytes: [1]}"},
		{"tcp with maxBodyBytes", "x", "maxBodyBytes", "only applies to url targets", "  - {name: x, tcp: 'db:1', maxBodyBytes: 1MiB}"},
		{"ip version", "x", "ipVersion", "ipVersion 5: want 4 or 6", "  - {name: x, tcp: 'db:1', ipVersion: 5}"},
		{"confirm attempts", "x", "confirm.attempts", "confirm.attempts 6 must be between 0 (no confirmation) and 5", "  - {name: x, url: 'https://x.example', confirm: {attempts: 6}}"},
		{"confirm negative", "x", "confirm.attempts", "must be between 0", "  - {name: x, tcp: 'db:1', confirm: {attempts: -1}}"},
		{"confirm interval", "x", "confirm.interval", "confirm.interval 2m0s must be at most 1m0s", "  - {name: x, url: 'https://x.example', confirm: {interval: 2m}}"},
		{"confirm interval type", "x", "confirm.interval", "invalid duration", "  - {name: x, url: 'https://x.example', confirm: {interval: soon}}"},
		{"flap changes", "x", "flap.changes", "flap.changes 1 must be 0 (no flap detection) or from 2 to 10", "  - {name: x, url: 'https://x.example', flap: {changes: 1}}"},
		{"flap changes high", "x", "flap.changes", "flap.changes 11 must be 0", "  - {name: x, tcp: 'db:1', flap: {changes: 11}}"},
		{"flap changes type", "x", "flap.changes", "must be a whole number", "  - {name: x, tcp: 'db:1', flap: {changes: many}}"},
		{"flap window", "x", "flap.window", "flap.window 48h0m0s must be more than 0 and at most 24h0m0s", "  - {name: x, url: 'https://x.example', flap: {window: 48h}}"},
		{"flap window zero", "x", "flap.window", "must be more than 0", "  - {name: x, url: 'https://x.example', flap: {window: 0s}}"},
		{"flap unknown key", "x", "flap.count", `unknown key "count"`, "  - {name: x, url: 'https://x.example', flap: {count: 3}}"},
		{"confirm unknown key", "x", "confirm.retries", `unknown key "retries"`, "  - {name: x, url: 'https://x.example', confirm: {retries: 2}}"},
		{"ip version type", "x", "ipVersion", "must be a whole number", "  - {name: x, url: 'https://x.example', ipVersion: v6}"},
		{"tls cert without key", "x", "tls.keySecret", "keySecret is required with certSecret", "  - {name: x, url: 'https://x.example', tls: {certSecret: C}}"},
		{"tls key without cert", "x", "tls.certSecret", "certSecret is required with keySecret", "  - {name: x, url: 'https://x.example', tls: {keySecret: K}}"},
		{"tls secret value", "x", "tls.caSecret", "is not a secret name", "  - {name: x, url: 'https://x.example', tls: {caSecret: '-----BEGIN CERTIFICATE-----'}}"},
		{"tls server name", "x", "tls.serverName", "must be a host name", "  - {name: x, url: 'https://x.example', tls: {serverName: 'api.internal:443'}}"},
		{"tls skip and ca", "x", "tls.insecureSkipVerify", "caSecret would not be used", "  - {name: x, url: 'https://x.example', tls: {caSecret: CA, insecureSkipVerify: true}}"},
		{"tls on http", "x", "tls", "tls applies to https:// URLs only", "  - {name: x, url: 'http://x.example', tls: {serverName: a.example}}"},
		{"startTLS on a url", "x", "tls.startTLS", "only applies to tls targets", "  - {name: x, url: 'https://x.example', tls: {startTLS: smtp}}"},
		{"startTLS protocol", "x", "tls.startTLS", `startTLS "imap": want smtp`, "  - {name: x, tcp: 'mail:143', tls: {startTLS: imap}}"},
		{"tls target with status", "x", "expect.status", "only applies to url targets, not to a tls target", "  - {name: x, tcp: 'db:1', tls: {}, expect: {status: 200}}"},
		{"tls unknown key", "x", "tls.ca", `unknown key "ca"`, "  - {name: x, url: 'https://x.example', tls: {ca: x}}"},
		{"tls skip type", "x", "tls.insecureSkipVerify", "must be true or false", "  - {name: x, url: 'https://x.example', tls: {insecureSkipVerify: yes please}}"},
		{"not contains empty", "x", "expect.bodyNotContains", "must not be empty", "  - {name: x, url: 'https://x.example', expect: {bodyNotContains: ''}}"},
		{"not regex", "x", "expect.bodyNotRegex", "invalid regular expression", "  - {name: x, url: 'https://x.example', expect: {bodyNotRegex: '('}}"},
		{"header name", "x", "expect.headers", `invalid header name "a b"`, "  - {name: x, url: 'https://x.example', expect: {headers: {'a b': c}}}"},
		{"header regex", "x", "expect.headersRegex", "header Server: invalid regular expression", "  - {name: x, url: 'https://x.example', expect: {headersRegex: {Server: '('}}}"},
		{"final url", "x", "expect.finalURL", "must start with http", "  - {name: x, url: 'https://x.example', expect: {finalURL: '/home'}}"},
		{"redirects", "x", "expect.redirects", "from 0 to 10", "  - {name: x, url: 'https://x.example', expect: {redirects: 11}}"},
		{"tcp with headers", "x", "expect.headers", "only applies to url targets", "  - {name: x, tcp: 'db:1', expect: {headers: {A: b}}}"},
		{"basic auth user", "x", "basicAuth.username", "username is required", "  - {name: x, url: 'https://x.example', basicAuth: {passwordSecret: PW}}"},
		{"basic auth colon", "x", "basicAuth.username", "must not contain ':'", "  - {name: x, url: 'https://x.example', basicAuth: {username: 'a:b', passwordSecret: PW}}"},
		{"basic auth value", "x", "basicAuth.passwordSecret", "is not a secret name", "  - {name: x, url: 'https://x.example', basicAuth: {username: a, passwordSecret: 'hunter 2'}}"},
		{"basic auth and header", "x", "basicAuth", "give one of them", "  - {name: x, url: 'https://x.example', headerSecrets: {Authorization: TOKEN}, basicAuth: {username: a, passwordSecret: PW}}"},
		{"basic auth unknown", "x", "basicAuth.password", `unknown key "password"`, "  - {name: x, url: 'https://x.example', basicAuth: {username: a, passwordSecret: PW, password: hunter2}}"},
		{"dns without server", "x", "dns.server", "server is required", "  - {name: x, dns: {name: a.example}}"},
		{"dns without name", "x", "dns.name", "name is required", "  - {name: x, dns: {server: '10.0.0.2'}}"},
		{"dns type", "x", "dns.type", `type "AA"`, "  - {name: x, dns: {server: '10.0.0.2', name: a.example, type: AA}}"},
		{"dns transport", "x", "dns.transport", `transport "quic"`, "  - {name: x, dns: {server: '10.0.0.2', name: a.example, transport: quic}}"},
		{"dns rcode", "x", "expect.rcode", `rcode "GONE"`, "  - {name: x, dns: {server: '10.0.0.2', name: a.example}, expect: {rcode: GONE}}"},
		{"dns and url", "x", "dns", "not several", "  - {name: x, url: 'https://x.example', dns: {server: '10.0.0.2', name: a.example}}"},
		{"answers on a url", "x", "expect.answers", "only applies to dns targets", "  - {name: x, url: 'https://x.example', expect: {answers: [1.2.3.4]}}"},
		{"status on dns", "x", "expect.status", "only applies to url targets, not to a dns target", "  - {name: x, dns: {server: '10.0.0.2', name: a.example}, expect: {status: 200}}"},
		{"grpc without address", "x", "grpc.address", "address is required", "  - {name: x, grpc: {service: orders}}"},
		{"grpc address", "x", "grpc.address", "must be host:port", "  - {name: x, grpc: {address: orders.internal}}"},
		{"grpc certValidFor without tls", "x", "expect.certValidFor", "certValidFor needs TLS", "  - {name: x, grpc: {address: 'o:50051'}, expect: {certValidFor: 24h}}"},
		{"grpc startTLS", "x", "tls.startTLS", "only applies to tls targets", "  - {name: x, grpc: {address: 'o:50051'}, tls: {startTLS: smtp}}"},
		{"grpc and tcp", "x", "grpc", "not several", "  - {name: x, tcp: 'o:1', grpc: {address: 'o:50051'}}"},
		{"maintenance cron", "x", "maintenance[0].cron", "has 4 fields", "  - {name: x, url: 'https://x.example', maintenance: [{cron: '0 2 * *', duration: 2h}]}"},
		{"maintenance zone", "x", "maintenance[0].timeZone", `unknown time zone "Mars/Base"`, "  - {name: x, url: 'https://x.example', maintenance: [{cron: '0 2 * * *', duration: 2h, timeZone: Mars/Base}]}"},
		{"maintenance key", "x", "maintenance[0].zone", `unknown key "zone"`, "  - {name: x, url: 'https://x.example', maintenance: [{cron: '0 2 * * *', duration: 2h, zone: UTC}]}"},
		{"maintenance end", "x", "maintenance[0].end", "must be after start", "  - {name: x, tcp: 'db:1', maintenance: [{start: '2026-12-05T04:00:00Z', end: '2026-12-05T02:00:00Z'}]}"},
		{"maintenance both", "x", "maintenance[0].start", "not both", "  - {name: x, tcp: 'db:1', maintenance: [{start: '2026-12-05T04:00:00Z', cron: '0 2 * * *'}]}"},
		{"maintenance not a list", "x", "maintenance", "must be a list", "  - {name: x, tcp: 'db:1', maintenance: {cron: '0 2 * * *', duration: 1h}}"},
		{"json path", "x", "expect.json", "invalid path", "  - {name: x, url: 'https://x.example', expect: {json: {'a..b': 1}}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile("config/targets.yaml", []byte(head+tt.yaml+"\n"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Targets) != 1 || f.Targets[0].Name != "ok" {
				t.Errorf("targets = %v, want only ok", f.Targets)
			}
			if len(f.Problems) != 1 {
				t.Fatalf("problems = %v, want 1", f.Problems)
			}
			p := f.Problems[0]
			if p.Source != "config/targets.yaml" || p.Target != tt.target || p.Field != tt.field || !strings.Contains(p.Error, tt.want) {
				t.Errorf("problem = %#v, want target %q field %q error containing %q", p, tt.target, tt.field, tt.want)
			}
			if !strings.Contains(p.Error, "(line 5)") {
				t.Errorf("problem %q does not name line 5", p.Error)
			}
		})
	}
}

func TestParseFileChannelProblems(t *testing.T) {
	tests := []struct {
		name, yaml, field, want string
	}{
		{"slack without secret", "{type: slack}", "channels.c.urlSecret", "urlSecret is required"},
		{"discord without secret", "{type: discord}", "channels.c.urlSecret", "urlSecret is required"},
		{"webhook without url", "{type: webhook}", "channels.c.url", "exactly one of url or urlSecret"},
		{"webhook bad url", "{type: webhook, url: 'file:///x'}", "channels.c.url", "http:// or https://"},
		{"line without to", "{type: line, tokenSecret: T}", "channels.c.to", "to is required"},
		{"line without token", "{type: line, to: U1}", "channels.c.tokenSecret", "tokenSecret is required"},
		{"unknown type", "{type: teams}", "channels.c.type", "unknown channel type"},
		{"no type", "{urlSecret: X}", "channels.c.type", "type is required"},
		{"secret value", "{type: slack, urlSecret: 'https://hooks.slack.com/services/T/B/x'}", "channels.c.urlSecret", "not a secret name"},
		{"foreign key", "{type: slack, urlSecret: X, to: U1}", "channels.c.to", "does not apply to a slack channel"},
		{"unknown key", "{type: sns, topic: x}", "channels.c.topic", "unknown key"},
		{"digestAfter negative", "{type: sns, digestAfter: -1}", "channels.c.digestAfter", "digestAfter -1 must be from 0 (every alert on its own) to 10000"},
		{"digestAfter type", "{type: sns, digestAfter: many}", "channels.c.digestAfter", "must be a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "channels:\n  c: " + tt.yaml + "\ntargets:\n  - {name: a, url: 'https://a.example', channels: [c]}\n  - {name: b, url: 'https://b.example'}\n"
			f, err := ParseFile("t.yaml", []byte(src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Problems) != 2 {
				t.Fatalf("problems = %v, want the channel's and target a's", f.Problems)
			}
			if p := f.Problems[0]; p.Field != tt.field || !strings.Contains(p.Error, tt.want) {
				t.Errorf("problem = %#v, want field %q containing %q", p, tt.field, tt.want)
			}
			if p := f.Problems[1]; p.Target != "a" || !strings.Contains(p.Error, `channel "c" is invalid`) {
				t.Errorf("target problem = %#v", p)
			}
			if len(f.Targets) != 1 || f.Targets[0].Name != "b" {
				t.Errorf("targets = %v, want b", f.Targets)
			}
		})
	}
}

func TestParseFileBadDefaultIsDropped(t *testing.T) {
	src := "defaults:\n  timeout: 90s\n  failureThreshold: 3\n  url: https://x.example\ntargets:\n  - {name: a, url: 'https://a.example'}\n"
	f, err := ParseFile("t.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Targets) != 1 || f.Targets[0].Timeout.D() != DefaultTimeout || f.Targets[0].FailureThreshold != 3 {
		t.Fatalf("targets = %+v", f.Targets)
	}
	fields := []string{}
	for _, p := range f.Problems {
		fields = append(fields, p.Field)
	}
	if !reflect.DeepEqual(fields, []string{"defaults.url", "defaults.timeout"}) {
		t.Errorf("problem fields = %v (%v)", fields, f.Problems)
	}
}

func TestParseFileTCPDoesNotInheritHTTPDefaults(t *testing.T) {
	src := "defaults:\n  method: HEAD\n  expect: {status: [204], maxLatency: 1s}\ntargets:\n  - {name: db, tcp: 'db:5432'}\n"
	f, err := ParseFile("t.yaml", []byte(src), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	db := f.Targets[0]
	if db.Method != "" || db.Expect.Status != nil || db.Expect.MaxLatency.D() != time.Second {
		t.Errorf("db = %+v", db)
	}
}

func TestParseFileChannelsOverride(t *testing.T) {
	src := "channels:\n  ops: {type: sns}\ndefaults: {channels: [ops]}\ntargets:\n  - {name: quiet, url: 'https://a.example', channels: []}\n"
	f, err := ParseFile("t.yaml", []byte(src), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	if f.Targets[0].Channels != nil {
		t.Errorf("channels = %v, want none (an explicit empty list overrides the default)", f.Targets[0].Channels)
	}
}

func TestParseFileFatal(t *testing.T) {
	tests := []struct {
		name, file, src, want string
	}{
		{"yaml syntax", "config/targets.yaml", "targets:\n  - name: a\n    url: x: y\n", "config/targets.yaml: line 3: mapping values are not allowed"},
		{"json syntax", "config/targets.json", "{\n\"targets\": [\n}", "config/targets.json: line 3: invalid JSON"},
		{"top-level list", "t.yaml", "- a\n- b\n", "t.yaml: line 1: the file must be a mapping"},
		{"unknown top key", "t.yaml", "targets: []\ntarget: []\n", `t.yaml: line 2: unknown key "target"`},
		{"targets not a list", "t.yaml", "targets: {a: 1}\n", "t.yaml: line 1: targets must be a list"},
		{"channels not a mapping", "t.yaml", "channels: [a]\n", "t.yaml: line 1: channels must be a mapping"},
		{"not utf-8", "t.yaml", "targets:\n  - {name: \"\xff\"}\n", "t.yaml: line 2: the file is not UTF-8 text"},
		{"twice", "t.yaml", "targets: []\ntargets: []\n", "t.yaml: line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFile(tt.file, []byte(tt.src), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseFileEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing yet\n", "targets:\n"} {
		f, err := ParseFile("t.yaml", []byte(src), Options{})
		if err != nil || len(f.Targets) != 0 || len(f.Problems) != 0 {
			t.Errorf("%q: %v %+v", src, err, f)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		bad  bool
	}{
		{in: "1048576", want: 1 << 20}, {in: "4MiB", want: 4 << 20}, {in: "512 KiB", want: 512 << 10},
		{in: "2MB", want: 2e6}, {in: "1.5MiB", want: 3 << 19}, {in: "10b", want: 10}, {in: "1gib", want: 1 << 30},
		{in: "", bad: true}, {in: "MiB", bad: true}, {in: "-1", bad: true}, {in: "4 furlongs", bad: true}, {in: "1e300", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestParseFileMaintenance(t *testing.T) {
	f, err := ParseFile("t.yaml", []byte(`
defaults:
  maintenance:
    - {cron: "0 2 * * SUN", duration: 2h, timeZone: Europe/Berlin}
targets:
  - {name: inherits, url: 'https://a.example'}
  - name: own
    tcp: 'db:5432'
    maintenance:
      - start: 2026-12-05T02:00:00Z
        end: 2026-12-05T04:00:00Z
      - {start: "2026-12-24 18:00", end: "2026-12-27 08:00", timeZone: Asia/Tokyo}
  - {name: none, url: 'https://a.example', maintenance: []}
`), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	tests := []struct {
		name string
		want []window.Window
	}{
		{"inherits", []window.Window{{Cron: "0 2 * * SUN", Duration: 2 * time.Hour, TimeZone: "Europe/Berlin"}}},
		{"own", []window.Window{
			{Start: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)},
			{Start: time.Date(2026, 12, 24, 18, 0, 0, 0, tokyo), End: time.Date(2026, 12, 27, 8, 0, 0, 0, tokyo), TimeZone: "Asia/Tokyo"},
		}},
		{"none", nil},
	}
	for i, tt := range tests {
		got := f.Targets[i].Maintenance
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d windows, want %d", tt.name, len(got), len(tt.want))
		}
		for j := range got {
			g, w := got[j], tt.want[j]
			if !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Cron != w.Cron || g.Duration != w.Duration || g.TimeZone != w.TimeZone {
				t.Errorf("%s: window %d = %+v, want %+v", tt.name, j, g, w)
			}
		}
	}
	// A bad default window is reported and dropped; the targets keep going.
	f, err = ParseFile("t.yaml", []byte("defaults:\n  maintenance: [{cron: '0 2 * *', duration: 1h}]\ntargets:\n  - {name: a, url: 'https://a.example'}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Targets) != 1 || len(f.Targets[0].Maintenance) != 0 || len(f.Problems) != 1 || f.Problems[0].Field != "defaults.maintenance[0].cron" {
		t.Fatalf("targets %+v problems %v", f.Targets, f.Problems)
	}
}

// TestParseFileGroupMaintenance: a group's windows apply to its targets
// that set none of their own; a target's own list (even []) wins, and the
// defaults' apply to the targets of a group without windows.
func TestParseFileGroupMaintenance(t *testing.T) {
	f, err := ParseFile("t.yaml", []byte(`
defaults:
  maintenance:
    - {cron: "0 2 * * SUN", duration: 2h, timeZone: Europe/Berlin}
groups:
  shop:
    maintenance:
      - {cron: "30 1 * * *", duration: 30m, timeZone: Asia/Tokyo}
  web: {}
targets:
  - {name: cart, url: 'https://a.example', group: shop}
  - {name: billing, url: 'https://a.example', group: shop, maintenance: []}
  - name: checkout
    url: 'https://a.example'
    group: shop
    maintenance: [{start: 2026-12-05T02:00:00Z, end: 2026-12-05T04:00:00Z}]
  - {name: home, url: 'https://a.example', group: web}
  - {name: lone, url: 'https://a.example'}
  - {name: other, url: 'https://a.example', group: unlisted}
`), Options{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("err %v problems %v", err, f.Problems)
	}
	sunday := "0 2 * * SUN"
	tests := []struct {
		name, cron string // "" cron: no recurring window
		windows    int
	}{
		{"cart", "30 1 * * *", 1},
		{"billing", "", 0},
		{"checkout", "", 1},
		{"home", sunday, 1},
		{"lone", sunday, 1},
		{"other", sunday, 1},
	}
	for i, tt := range tests {
		got := f.Targets[i]
		if got.Name != tt.name || len(got.Maintenance) != tt.windows {
			t.Fatalf("target %d: %s with %d windows %+v, want %s with %d", i, got.Name, len(got.Maintenance), got.Maintenance, tt.name, tt.windows)
		}
		if tt.windows > 0 && got.Maintenance[0].Cron != tt.cron {
			t.Errorf("%s: window %+v, want cron %q", tt.name, got.Maintenance[0], tt.cron)
		}
	}
}

func TestParseFileGroupProblems(t *testing.T) {
	tests := []struct {
		name, file string
		field      string
		contains   string
	}{
		{"a bad window", "groups:\n  shop:\n    maintenance: [{cron: '0 2 * *', duration: 1h}]\ntargets:\n  - {name: a, url: 'https://a.example', group: shop}\n",
			"groups.shop.maintenance[0].cron", "line 3"},
		{"an unknown key", "groups:\n  shop: {channels: [ops]}\ntargets:\n  - {name: a, url: 'https://a.example', group: shop}\n",
			"groups.shop.channels", "unknown key"},
		{"a bad name", "groups:\n  Shop!: {}\ntargets:\n  - {name: a, url: 'https://a.example'}\n",
			"groups.Shop!", "invalid group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile("t.yaml", []byte(tt.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Problems) != 1 || f.Problems[0].Field != tt.field || !strings.Contains(f.Problems[0].Error, tt.contains) {
				t.Fatalf("problems %+v, want one at %s saying %q", f.Problems, tt.field, tt.contains)
			}
			// The target is still read, without the bad window.
			if len(f.Targets) != 1 || len(f.Targets[0].Maintenance) != 0 {
				t.Errorf("targets %+v, want the one target without windows", f.Targets)
			}
		})
	}
	if _, err := ParseFile("t.yaml", []byte("groups: [shop]\n"), Options{}); err == nil || !strings.Contains(err.Error(), "groups must be a mapping") {
		t.Errorf("a list under groups: err %v", err)
	}
}
