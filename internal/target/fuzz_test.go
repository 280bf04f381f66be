package target

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// checkTarget fails when a parsed target breaks what the rest of medic
// relies on.
func checkTarget(t *testing.T, tg Target) {
	t.Helper()
	if !nameRE.MatchString(tg.Name) {
		t.Fatalf("invalid name %q accepted", tg.Name)
	}
	switch tg.Kind {
	case KindHTTP:
		if checkURL(tg.URL) != nil || tg.Method == "" || tg.Timeout <= 0 || tg.Timeout.D() > MaxTimeout {
			t.Fatalf("bad http target accepted: %+v", tg)
		}
	case KindTCP, KindTLS:
		if checkAddress(tg.Address) != nil || tg.Timeout <= 0 || tg.Timeout.D() > MaxTimeout || (tg.Kind == KindTLS) != (tg.TLS != nil) {
			t.Fatalf("bad %s target accepted: %+v", tg.Kind, tg)
		}
	case KindGRPC:
		if tg.GRPC == nil || checkAddress(tg.GRPC.Address) != nil || tg.Timeout <= 0 || (tg.TLS != nil && tg.TLS.StartTLS != "") {
			t.Fatalf("bad grpc target accepted: %+v", tg)
		}
	case KindDNS:
		if tg.DNS == nil || checkAddress(tg.DNS.Server) != nil || tg.DNS.Name == "" || tg.Timeout <= 0 {
			t.Fatalf("bad dns target accepted: %+v", tg)
		}
	case KindPush:
		if !tg.Heartbeat {
			t.Fatalf("push target without heartbeat: %+v", tg)
		}
	default:
		t.Fatalf("unknown kind %q", tg.Kind)
	}
	if len(tg.HeaderSecrets) > 0 && (tg.Kind != KindHTTP || len(checkHeaderSecrets(tg.HeaderSecrets, tg.Headers)) > 0) {
		t.Fatalf("bad headerSecrets accepted: %+v", tg)
	}
	if tg.MaxBodyBytes < 0 || tg.MaxBodyBytes > MaxMaxBodyBytes || (tg.MaxBodyBytes != 0 && tg.Kind != KindHTTP) {
		t.Fatalf("bad maxBodyBytes accepted: %+v", tg)
	}
	if tg.TLS != nil && ((tg.TLS.CertSecret == "") != (tg.TLS.KeySecret == "") || (tg.Kind == KindHTTP && (*tg.TLS == (TLS{}) || tg.TLS.StartTLS != ""))) {
		t.Fatalf("bad tls accepted: %+v", tg)
	}
	if tg.BasicAuth != nil && (tg.Kind != KindHTTP || tg.BasicAuth.Username == "" || !secretNameRE.MatchString(tg.BasicAuth.PasswordSecret)) {
		t.Fatalf("bad basicAuth accepted: %+v", tg)
	}
	if tg.IPVersion != 0 && (tg.IPVersion != 4 && tg.IPVersion != 6 || tg.Kind == KindPush) {
		t.Fatalf("bad ipVersion accepted: %+v", tg)
	}
	switch tg.Expect.HTTPVersion {
	case "", "1.0", "1.1", "2":
	default:
		t.Fatalf("bad httpVersion accepted: %+v", tg)
	}
	if tg.StaleAfter <= 0 || tg.FailureThreshold < 1 || tg.SuccessThreshold < 1 {
		t.Fatalf("bad thresholds accepted: %+v", tg)
	}
	b, err := json.Marshal(tg)
	if err != nil {
		t.Fatalf("target does not marshal: %v", err)
	}
	var back Target
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("target does not round-trip: %v", err)
	}
}

func FuzzParseFile(f *testing.F) {
	for _, file := range []string{"testdata/targets.yaml", "testdata/targets.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(file), b)
	}
	f.Add("t.yaml", []byte("defaults: &d {timeout: 5s}\ntargets:\n  - {<<: *d, name: a, url: 'https://a'}\n  - *d\n"))
	f.Add("t.yaml", []byte("targets:\n  - {name: a, tcp: 'h:1', expect: {status: 200}}\n"))
	f.Add("t.yaml", []byte("defaults: {maxBodyBytes: 2MiB}\ntargets:\n  - {name: a, url: 'https://a', maxBodyBytes: 1.5MiB, expect: {httpVersion: 2}}\n  - {name: b, tcp: 'b:1', ipVersion: 6}\n"))
	f.Add("t.yaml", []byte("defaults: {tls: {caSecret: CA}}\ntargets:\n  - {name: a, url: 'https://a', tls: {certSecret: C, keySecret: K, serverName: a.internal}}\n  - {name: b, url: 'https://b', tls: {insecureSkipVerify: true, caSecret: X}}\n"))
	f.Add("t.yaml", []byte("targets:\n  - {name: a, url: 'https://a', basicAuth: {username: u, passwordSecret: P}, expect: {bodyNotContains: x, bodyNotRegex: y, headers: {A: b}, headersContain: {C: d}, headersRegex: {E: '^f'}, finalURL: 'https://a/b', redirects: 1}}\n"))
	f.Add("t.yaml", []byte("targets:\n  - {name: a, tcp: 'a:636', tls: {}}\n  - {name: b, tcp: 'b:587', tls: {startTLS: smtp, serverName: b.example}, expect: {certValidFor: 24h}}\n"))
	f.Add("t.yaml", []byte("targets:\n  - {name: a, dns: {server: 10.0.0.2, name: a.example, type: MX}, expect: {rcode: NOERROR, answers: ['10 mx.a.example']}}\n"))
	f.Add("t.yaml", []byte("targets:\n  - {name: a, grpc: {address: 'a:50051', service: s}, tls: {}, expect: {certValidFor: 24h}}\n"))
	f.Add("t.json", []byte(`{"targets": [{"name": "a", "url": "https://a", "maxBodyBytes": 1048576, "expect": {"httpVersion": "1.1"}}]}`))
	f.Add("t.yaml", []byte("channels:\n  c: {type: sns, digestAfter: 3}\ndefaults: {group: g}\ntargets:\n  - {name: a, tcp: 'a:1', dependsOn: [b, c]}\n  - {name: b, tcp: 'b:1', dependsOn: [c], group: h}\n  - {name: c, tcp: 'c:1', dependsOn: [a]}\n  - {name: d, tcp: 'd:1', dependsOn: [a]}\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		file, err := ParseFile(name, data, Options{})
		if err != nil {
			return
		}
		seen := map[string]bool{}
		deps := map[string][]string{}
		for _, tg := range file.Targets {
			deps[tg.Name] = tg.DependsOn
			for _, d := range tg.DependsOn {
				if d == tg.Name || !file.Names[d] {
					t.Fatalf("target %s depends on %q, itself or not a target of the file", tg.Name, d)
				}
			}
		}
		if c := dependencyCycles(deps); len(c) > 0 {
			t.Fatalf("kept targets form dependency cycles %v", c)
		}
		for _, tg := range file.Targets {
			checkTarget(t, tg)
			if seen[tg.Name] {
				t.Fatalf("duplicate name %q accepted", tg.Name)
			}
			seen[tg.Name] = true
			for _, c := range tg.Channels {
				if _, ok := file.Channels[c]; !ok {
					t.Fatalf("target %s uses undefined channel %q", tg.Name, c)
				}
			}
		}
		for _, p := range file.Problems {
			if p.Source != name || p.Error == "" {
				t.Fatalf("problem without source or text: %#v", p)
			}
		}
	})
}

func FuzzParsePulse(f *testing.F) {
	f.Add("pulse/web.json", []byte(`{"url": "https://web.example/ping", "body": "pong"}`))
	f.Add("pulse/cron.json", []byte(`{"heartbeat": "5m", "channels": ["ops"]}`))
	f.Add("pulse/b.json", []byte(`{"url": "https://b.example", "body": "ok", "heartbeat": 300}`))
	f.Add("pulse/x.json", []byte(`{"url": 1, "extra": true}`))
	f.Add("pulse/old.json", []byte(`{"retired": true}`))
	file, err := ParseFile("t.yaml", []byte("channels: {ops: {type: sns}}\ndefaults: {timeout: 5s}\n"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		tg, err := ParsePulse(key, data, file.Defaults)
		if errors.Is(err, ErrRetired) {
			return
		}
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 || ps[0].Source != key {
				t.Fatalf("error is not a Problems for %q: %v", key, err)
			}
			return
		}
		checkTarget(t, tg)
		if tg.Source != key || "pulse/"+tg.Name+".json" != key {
			t.Fatalf("name %q and source %q do not match key %q", tg.Name, tg.Source, key)
		}
	})
}
