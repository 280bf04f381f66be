package target

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/window"
)

// MaxTimeout bounds a target's timeout: a probe must finish well inside
// the Lambda's own timeout.
const MaxTimeout = 60 * time.Second

var (
	nameRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	tokenRE      = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

const nameRule = "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters"

// Defaults are what a targets file gives every target that does not set a
// value itself, including pulse targets. The zero value applies only the
// built-in defaults and knows no channels.
type Defaults struct {
	spec       targetSpec
	staleAfter time.Duration
	channels   map[string]Channel
	// badChannels are declared but invalid (reported as their own problem).
	badChannels map[string]bool
	// groups are the settings under groups:, by group name.
	groups map[string]groupSpec
}

// Channels are the defaults' valid channels: where alerts about a target
// whose own channels are not known go (see docs/status.md, coverage).
func (d Defaults) Channels() []string {
	if d.spec.Channels == nil {
		return nil
	}
	var out []string
	for _, c := range *d.spec.Channels {
		if _, ok := d.channels[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// withStaleAfter sets the caller's default staleAfter if none is set.
func (d Defaults) withStaleAfter(v time.Duration) Defaults {
	if d.staleAfter == 0 {
		d.staleAfter = v
	}
	return d
}

// kindOf tells what a spec probes.
func kindOf(s targetSpec, heartbeat bool) string {
	switch {
	case s.URL != nil:
		return KindHTTP
	case s.DNS != nil:
		return KindDNS
	case s.GRPC != nil:
		return KindGRPC
	case s.TCP != nil && s.TLS != nil:
		return KindTLS
	case s.TCP != nil:
		return KindTCP
	case heartbeat:
		return KindPush
	}
	return ""
}

// httpOnly are the keys that only mean something for an HTTP target.
var httpOnly = map[string]bool{
	"method": true, "headers": true, "headerSecrets": true, "requestBody": true, "followRedirects": true, "maxBodyBytes": true,
	"basicAuth.username": true, "basicAuth.passwordSecret": true,
	"expect.bodyNotContains": true, "expect.bodyNotRegex": true, "expect.headers": true, "expect.headersContain": true,
	"expect.headersRegex": true, "expect.finalURL": true, "expect.redirects": true,
	"tls.caSecret": true, "tls.certSecret": true, "tls.keySecret": true, "tls.serverName": true, "tls.insecureSkipVerify": true,
	"expect.status": true, "expect.body": true, "expect.bodyContains": true,
	"expect.bodyRegex": true, "expect.json": true, "expect.certValidFor": true, "expect.httpVersion": true,
}

// dnsOnly are the keys that only mean something for a dns target.
var dnsOnly = map[string]bool{"expect.rcode": true, "expect.answers": true}

// tlsKeys are the keys a tls target (tcp with a tls block) takes of httpOnly.
var tlsKeys = map[string]bool{
	"tls.caSecret": true, "tls.certSecret": true, "tls.keySecret": true, "tls.serverName": true,
	"tls.insecureSkipVerify": true, "expect.certValidFor": true,
}

// resolve applies the defaults to s and validates the result. line is where
// the target starts, used for errors about keys that were not written.
func resolve(source string, s targetSpec, at lines, d Defaults, heartbeat bool, line int) (Target, []fieldErr) {
	lineOf := func(field string) int {
		if l, ok := at[field]; ok {
			return l
		}
		return line
	}
	var errs []fieldErr
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldErrorf(field, lineOf(field), format, args...))
	}

	t := Target{Source: source}
	if s.Name == nil || *s.Name == "" {
		bad("name", "a name is required (%s)", nameRule)
	} else if t.Name = *s.Name; !nameRE.MatchString(t.Name) {
		bad("name", "invalid name %q: use %s", t.Name, nameRule)
	}

	t.Kind = kindOf(s, heartbeat)
	switch {
	case s.URL != nil && s.TCP != nil:
		bad("tcp", "give either url (an HTTP check) or tcp (a connection check), not both")
	case s.DNS != nil && (s.URL != nil || s.TCP != nil):
		bad("dns", "give one of url, tcp, dns and grpc, not several")
	case s.GRPC != nil && (s.URL != nil || s.TCP != nil || s.DNS != nil):
		bad("grpc", "give one of url, tcp, dns and grpc, not several")
	case t.Kind == "":
		bad("url", "url (an http:// or https:// URL), tcp (host:port; with a tls block, a TLS handshake) or dns (a query) is required")
	}
	if t.Kind != KindDNS {
		for _, k := range written(s, "") {
			if dnsOnly[k] {
				bad(k, "only applies to dns targets, not to a %s target", t.Kind)
			}
		}
		if d.spec.Expect != nil {
			e := *d.spec.Expect
			e.RCode, e.Answers = nil, nil
			d.spec.Expect = &e
		}
	}
	if t.Kind != KindHTTP {
		for _, k := range written(s, "") {
			switch {
			case t.Kind == KindDNS && (dnsOnly[k] || strings.HasPrefix(k, "dns.")):
			case dnsOnly[k]: // reported below
			case t.Kind == KindGRPC && (strings.HasPrefix(k, "grpc.") || (tlsKeys[k] && k != "tls.startTLS")):
			case t.Kind == KindTLS && tlsKeys[k]:
			case k == "tls.startTLS" && t.Kind != KindTLS:
				bad(k, "only applies to tls targets (tcp with a tls block), not to a %s target", t.Kind)
			case httpOnly[k] || (t.Kind == KindPush && (k == "timeout" || k == "expect.maxLatency")):
				bad(k, "only applies to url targets, not to a %s target", t.Kind)
			}
		}
		// Settings that only mean something for HTTP are not inherited.
		def := d.spec
		def.Method, def.Headers, def.HeaderSecrets, def.RequestBody, def.FollowRedirects = nil, nil, nil, nil, nil
		def.MaxBodyBytes, def.BasicAuth = nil, nil
		if t.Kind != KindTLS {
			def.TLS = nil // a grpc target is TLS only when it says so itself
		}
		if def.Expect != nil {
			e := *def.Expect
			e.Status, e.Body, e.BodyContains, e.BodyRegex, e.JSON = nil, nil, nil, nil, nil
			if t.Kind != KindTLS && t.Kind != KindGRPC {
				e.CertValidFor = nil
			}
			e.HTTPVersion, e.BodyNotContains, e.BodyNotRegex, e.Headers, e.HeadersContain, e.HeadersRegex = nil, nil, nil, nil, nil, nil
			e.FinalURL, e.Redirects = nil, nil
			def.Expect = &e
		}
		d.spec = def
	}
	m := s.merged(d.spec)
	if s.Maintenance == nil && m.Group != nil {
		// A group's windows come between the target's own and the
		// defaults'.
		if g, ok := d.groups[*m.Group]; ok && g.Maintenance != nil {
			m.Maintenance = g.Maintenance
		}
	}

	switch t.Kind {
	case KindHTTP:
		if err := checkURL(*m.URL); err != nil {
			bad("url", "%v", err)
		}
		t.URL = *m.URL
	case KindTCP, KindTLS:
		if err := checkAddress(*m.TCP); err != nil {
			bad("tcp", "%v", err)
		}
		t.Address = *m.TCP
	}
	if t.Kind == KindDNS {
		t.DNS = resolveDNS(*m.DNS, bad)
	}
	if t.Kind == KindGRPC {
		t.GRPC = &GRPCCheck{}
		if m.GRPC.Address == nil || *m.GRPC.Address == "" {
			bad("grpc.address", "address is required: the gRPC server, host:port")
		} else if t.GRPC.Address = *m.GRPC.Address; checkAddress(t.GRPC.Address) != nil {
			bad("grpc.address", "%s", strings.Replace(checkAddress(t.GRPC.Address).Error(), "tcp ", "address ", 1))
		}
		if m.GRPC.Service != nil {
			t.GRPC.Service = *m.GRPC.Service
		}
		if m.TLS != nil {
			t.TLS, errs = resolveTLS(*m.TLS, lineOf, errs)
			if t.TLS == nil {
				t.TLS = &TLS{} // tls: {} asks for TLS with the defaults
			}
		}
		if m.Expect != nil && m.Expect.CertValidFor != nil && t.TLS == nil {
			bad("expect.certValidFor", "certValidFor needs TLS: give the grpc target a tls block (tls: {} for the defaults)")
		}
	}
	if t.Kind == KindTLS {
		t.TLS, errs = resolveTLS(*m.TLS, lineOf, errs)
		if t.TLS == nil {
			t.TLS = &TLS{} // tls: {} asks for the handshake alone
		}
	}

	if t.Kind == KindHTTP {
		t.Method = DefaultMethod
		if m.Method != nil {
			t.Method = strings.ToUpper(*m.Method)
			if !tokenRE.MatchString(t.Method) {
				bad("method", "invalid HTTP method %q", *m.Method)
			}
		}
		if m.Headers != nil && len(*m.Headers) > 0 {
			t.Headers = make(map[string]string, len(*m.Headers))
			for k, v := range *m.Headers {
				if err := checkHeader(k, v); err != nil {
					bad("headers", "%v", err)
				}
				t.Headers[k] = v
			}
		}
		if m.HeaderSecrets != nil && len(*m.HeaderSecrets) > 0 {
			t.HeaderSecrets = make(map[string]string, len(*m.HeaderSecrets))
			for k, v := range *m.HeaderSecrets {
				t.HeaderSecrets[k] = v
			}
			for _, msg := range checkHeaderSecrets(t.HeaderSecrets, t.Headers) {
				bad("headerSecrets", "%s", msg)
			}
		}
		if m.RequestBody != nil {
			t.RequestBody = *m.RequestBody
		}
		if m.BasicAuth != nil {
			t.BasicAuth = resolveBasicAuth(*m.BasicAuth, t, bad)
		}
		if m.TLS != nil {
			t.TLS, errs = resolveTLS(*m.TLS, lineOf, errs)
			if s.TLS != nil && s.TLS.StartTLS != nil {
				bad("tls.startTLS", "only applies to tls targets (tcp with a tls block), not to a url target")
			}
			if t.TLS != nil && t.TLS.StartTLS != "" {
				t.TLS.StartTLS = "" // a default's: HTTPS has no clear-text start
				if *t.TLS == (TLS{}) {
					t.TLS = nil
				}
			}
			if t.TLS != nil && strings.HasPrefix(strings.ToLower(t.URL), "http://") {
				if s.TLS != nil {
					bad("tls", "tls applies to https:// URLs only, not to %s", t.URL)
				}
				t.TLS = nil // a default's, on a plain-HTTP target: nothing to apply
			}
		}
		t.FollowRedirects = true
		if m.FollowRedirects != nil {
			t.FollowRedirects = *m.FollowRedirects
		}
		if m.MaxBodyBytes != nil {
			if t.MaxBodyBytes = *m.MaxBodyBytes; t.MaxBodyBytes < 1 || t.MaxBodyBytes > MaxMaxBodyBytes {
				bad("maxBodyBytes", "maxBodyBytes %s must be more than 0 and at most %s", t.MaxBodyBytes, MaxMaxBodyBytes)
			}
		}
	}
	switch {
	case t.Kind == KindPush && s.IPVersion != nil:
		bad("ipVersion", "only applies to url and tcp targets, not to a push target")
	case t.Kind != KindPush && m.IPVersion != nil:
		if t.IPVersion = *m.IPVersion; t.IPVersion != 4 && t.IPVersion != 6 {
			bad("ipVersion", "ipVersion %d: want 4 or 6 (or leave it out for either)", t.IPVersion)
		}
	}
	if t.Kind != KindPush {
		t.Timeout = Duration(DefaultTimeout)
		if m.Timeout != nil {
			t.Timeout = *m.Timeout
			if t.Timeout <= 0 || t.Timeout.D() > MaxTimeout {
				bad("timeout", "timeout %s must be more than 0 and at most %s", t.Timeout, MaxTimeout)
			}
		}
	}
	if m.Expect != nil {
		t.Expect, errs = resolveExpect(*m.Expect, lineOf, errs)
	}

	t.StaleAfter = Duration(DefaultStaleAfter)
	if d.staleAfter > 0 {
		t.StaleAfter = Duration(d.staleAfter)
	}
	if m.StaleAfter != nil {
		t.StaleAfter = *m.StaleAfter
		if t.StaleAfter <= 0 {
			bad("staleAfter", "staleAfter must be more than 0")
		}
	}
	if t.Kind != KindPush {
		t.Confirm = resolveConfirm(m.Confirm, bad)
	} else if s.Confirm != nil {
		bad("confirm", "only applies to probed targets (url, tcp, dns), not to a push target (nothing is probed)")
	}
	t.Flap = resolveFlap(m.Flap, bad)
	t.FailureThreshold = DefaultFailureThreshold
	if t.Confirm != nil {
		t.FailureThreshold = DefaultConfirmedFailureThreshold
	}
	if m.FailureThreshold != nil {
		if t.FailureThreshold = *m.FailureThreshold; t.FailureThreshold < 1 {
			bad("failureThreshold", "failureThreshold must be at least 1, got %d", t.FailureThreshold)
		}
	}
	t.SuccessThreshold = DefaultSuccessThreshold
	if m.SuccessThreshold != nil {
		if t.SuccessThreshold = *m.SuccessThreshold; t.SuccessThreshold < 1 {
			bad("successThreshold", "successThreshold must be at least 1, got %d", t.SuccessThreshold)
		}
	}
	if m.RemindEvery != nil {
		t.RemindEvery = *m.RemindEvery
	}
	if m.Channels != nil && len(*m.Channels) > 0 {
		t.Channels = append([]string(nil), (*m.Channels)...)
		for _, c := range t.Channels {
			if _, ok := d.channels[c]; ok {
				continue
			}
			if d.badChannels[c] {
				bad("channels", "channel %q is invalid (see its own problem)", c)
			} else {
				bad("channels", "channel %q is not defined under channels:%s", c, knownChannels(d.channels))
			}
		}
	}
	if m.Group != nil {
		if t.Group = *m.Group; !nameRE.MatchString(t.Group) {
			bad("group", "invalid group %q: use %s", t.Group, nameRule)
		}
	}
	if s.DependsOn != nil && len(*s.DependsOn) > 0 {
		t.DependsOn, errs = resolveDependsOn(t.Name, *s.DependsOn, lineOf("dependsOn"), errs)
	}
	if m.Maintenance != nil {
		for i, ws := range *m.Maintenance {
			w, werrs := window.FromSpec(ws)
			for _, e := range werrs {
				bad(fmt.Sprintf("maintenance[%d].%s", i, e.Field), "%s", e.Msg)
			}
			if len(werrs) == 0 {
				t.Maintenance = append(t.Maintenance, w)
			}
		}
	}
	t.Heartbeat = heartbeat
	return t, errs
}

// MaxDependsOn bounds a target's dependsOn list.
const MaxDependsOn = 20

// resolveDependsOn checks the names a dependsOn list gives: each a target
// name, none twice, not the target itself. Whether each names a target of
// the file, and whether the dependencies form a cycle, is checked once the
// whole file is read (checkDependencies).
func resolveDependsOn(self string, names []string, line int, errs []fieldErr) ([]string, []fieldErr) {
	bad := func(format string, args ...any) {
		errs = append(errs, fieldErrorf("dependsOn", line, format, args...))
	}
	if len(names) > MaxDependsOn {
		bad("dependsOn lists %d targets, at most %d", len(names), MaxDependsOn)
	}
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case !nameRE.MatchString(n):
			bad("%q is not a target name (%s)", n, nameRule)
		case n == self:
			bad("a target cannot depend on itself")
		case seen[n]:
			bad("%q is listed twice", n)
		}
		seen[n] = true
	}
	return append([]string(nil), names...), errs
}

// resolveDNS checks a dns block: a server (host:port, port 53 when left
// out), a name, a record type and a transport.
func resolveDNS(s dnsSpec, bad func(field, format string, args ...any)) *DNSQuery {
	q := &DNSQuery{Type: "A", Transport: "udp"}
	if s.Server == nil || *s.Server == "" {
		bad("dns.server", "server is required: the resolver or name server to ask, host:port (port 53 when left out)")
	} else {
		q.Server = *s.Server
		if _, _, err := net.SplitHostPort(q.Server); err != nil {
			q.Server = net.JoinHostPort(strings.Trim(q.Server, "[]"), "53")
		}
		if err := checkAddress(q.Server); err != nil {
			bad("dns.server", "%s", strings.Replace(err.Error(), "tcp ", "server ", 1))
		}
	}
	if s.Name == nil || *s.Name == "" {
		bad("dns.name", "name is required: the name to look up")
	} else if q.Name = *s.Name; len(q.Name) > 253 || strings.ContainsAny(q.Name, " /:@") {
		bad("dns.name", "name %q is not a domain name", q.Name)
	}
	if s.Type != nil {
		q.Type = strings.ToUpper(*s.Type)
		if !dnsTypeRE.MatchString(q.Type) {
			bad("dns.type", "type %q: want a record type such as A, AAAA, CNAME, MX, NS, TXT or SOA", *s.Type)
		}
	}
	if s.Transport != nil {
		switch q.Transport = strings.ToLower(*s.Transport); q.Transport {
		case "udp", "tcp":
		default:
			bad("dns.transport", "transport %q: want udp or tcp", *s.Transport)
		}
	}
	return q
}

// dnsTypeRE is the shape of a record type's name; the probe knows which exist.
var dnsTypeRE = regexp.MustCompile(`^(A|AAAA|CNAME|MX|NS|PTR|SOA|SRV|TXT|CAA|DS|DNSKEY|HTTPS|SVCB|TYPE[0-9]{1,5})$`)

// resolveFlap applies the built-in flap detection to what f leaves unset
// and checks it; changes: 0 turns it off (nil).
func resolveFlap(f *flapSpec, bad func(field, format string, args ...any)) *Flap {
	out := Flap{Changes: DefaultFlapChanges, Window: Duration(DefaultFlapWindow)}
	if f != nil && f.Changes != nil {
		if out.Changes = *f.Changes; out.Changes != 0 && (out.Changes < MinFlapChanges || out.Changes > MaxFlapChanges) {
			bad("flap.changes", "flap.changes %d must be 0 (no flap detection) or from %d to %d", out.Changes, MinFlapChanges, MaxFlapChanges)
		}
	}
	if f != nil && f.Window != nil {
		if out.Window = *f.Window; out.Window <= 0 || out.Window.D() > MaxFlapWindow {
			bad("flap.window", "flap.window %s must be more than 0 and at most %s", out.Window, MaxFlapWindow)
		}
	}
	if out.Changes == 0 {
		return nil
	}
	return &out
}

// resolveConfirm applies the built-in confirmation to what c leaves unset
// and checks it; attempts: 0 turns confirmation off (nil).
func resolveConfirm(c *confirmSpec, bad func(field, format string, args ...any)) *Confirm {
	out := Confirm{Attempts: DefaultConfirmAttempts, Interval: Duration(DefaultConfirmInterval)}
	if c != nil && c.Attempts != nil {
		if out.Attempts = *c.Attempts; out.Attempts < 0 || out.Attempts > MaxConfirmAttempts {
			bad("confirm.attempts", "confirm.attempts %d must be between 0 (no confirmation) and %d", out.Attempts, MaxConfirmAttempts)
		}
	}
	if c != nil && c.Interval != nil {
		if out.Interval = *c.Interval; out.Interval.D() > MaxConfirmInterval {
			bad("confirm.interval", "confirm.interval %s must be at most %s (the re-checks run within one probe task)", out.Interval, MaxConfirmInterval)
		}
	}
	if out.Attempts <= 0 {
		return nil
	}
	return &out
}

// resolveBasicAuth checks a basicAuth block against t's headers.
func resolveBasicAuth(s basicAuthSpec, t Target, bad func(field, format string, args ...any)) *BasicAuth {
	b := &BasicAuth{}
	if s.Username != nil {
		b.Username = *s.Username
	}
	if s.PasswordSecret != nil {
		b.PasswordSecret = *s.PasswordSecret
	}
	switch {
	case b.Username == "":
		bad("basicAuth.username", "username is required")
	case strings.ContainsAny(b.Username, ":\r\n\x00"):
		bad("basicAuth.username", "username %q must not contain ':' or line breaks", b.Username)
	}
	switch {
	case b.PasswordSecret == "":
		bad("basicAuth.passwordSecret", "passwordSecret is required: the name of the secret holding the password")
	case !secretNameRE.MatchString(b.PasswordSecret):
		bad("basicAuth.passwordSecret", "%q is not a secret name: give the name of the secret (letters, digits and _, like API_HEALTH_PASSWORD), never its value", b.PasswordSecret)
	}
	for _, hs := range []map[string]string{t.Headers, t.HeaderSecrets} {
		for h := range hs {
			if strings.EqualFold(h, "Authorization") {
				bad("basicAuth", "basicAuth sets the Authorization header, which headers or headerSecrets also sets: give one of them")
			}
		}
	}
	return b
}

// resolveTLS checks a tls block: secret names, both halves of a client
// certificate, a server name that is a host name.
func resolveTLS(s tlsSpec, lineOf func(string) int, errs []fieldErr) (*TLS, []fieldErr) {
	bad := func(field, format string, args ...any) {
		field = "tls." + field
		errs = append(errs, fieldErrorf(field, lineOf(field), format, args...))
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	x := &TLS{CASecret: str(s.CASecret), CertSecret: str(s.CertSecret), KeySecret: str(s.KeySecret), ServerName: str(s.ServerName)}
	if s.InsecureSkipVerify != nil {
		x.InsecureSkipVerify = *s.InsecureSkipVerify
	}
	for _, f := range []struct{ key, v string }{{"caSecret", x.CASecret}, {"certSecret", x.CertSecret}, {"keySecret", x.KeySecret}} {
		if f.v != "" && !secretNameRE.MatchString(f.v) {
			bad(f.key, "%q is not a secret name: give the name of the secret (letters, digits and _, like API_CLIENT_KEY), never its value", f.v)
		}
	}
	switch {
	case x.CertSecret != "" && x.KeySecret == "":
		bad("keySecret", "keySecret is required with certSecret: the name of the secret holding the client certificate's private key")
	case x.KeySecret != "" && x.CertSecret == "":
		bad("certSecret", "certSecret is required with keySecret: the name of the secret holding the client certificate")
	}
	if x.ServerName != "" && (strings.ContainsAny(x.ServerName, "/:@ ") || strings.HasPrefix(x.ServerName, ".")) {
		bad("serverName", "serverName %q must be a host name such as api.internal (no scheme, port or path)", x.ServerName)
	}
	if s.StartTLS != nil {
		switch x.StartTLS = strings.ToLower(*s.StartTLS); x.StartTLS {
		case "smtp":
		default:
			bad("startTLS", "startTLS %q: want smtp (or leave it out for TLS from the first byte)", *s.StartTLS)
		}
	}
	if x.InsecureSkipVerify && x.CASecret != "" {
		bad("insecureSkipVerify", "insecureSkipVerify accepts any certificate, so caSecret would not be used: give one of them")
	}
	if *x == (TLS{}) {
		return nil, errs
	}
	return x, errs
}

func resolveExpect(e expectSpec, lineOf func(string) int, errs []fieldErr) (Expect, []fieldErr) {
	bad := func(field, format string, args ...any) {
		field = "expect." + field
		errs = append(errs, fieldErrorf(field, lineOf(field), format, args...))
	}
	var x Expect
	if e.Status != nil {
		for _, c := range *e.Status {
			if c < 100 || c > 599 {
				bad("status", "status %d is not an HTTP status code (100-599)", c)
			}
		}
		x.Status = append([]int(nil), (*e.Status)...)
	}
	if e.Body != nil {
		x.Body = ptr(*e.Body)
	}
	if e.BodyContains != nil {
		x.BodyContains = *e.BodyContains
	}
	if e.BodyRegex != nil {
		x.BodyRegex = *e.BodyRegex
		if _, err := regexp.Compile(x.BodyRegex); err != nil {
			bad("bodyRegex", "invalid regular expression: %v", err)
		}
	}
	if e.JSON != nil && len(*e.JSON) > 0 {
		// Round-trip through JSON so values compare the same however the
		// file wrote them (YAML ints become float64, as in a response).
		b, err := json.Marshal(*e.JSON)
		if err == nil {
			err = json.Unmarshal(b, &x.JSON)
		}
		if err != nil {
			bad("json", "values must be plain JSON values (strings, numbers, booleans, null, lists, mappings with string keys)")
		}
		for p := range *e.JSON {
			if p == "" || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
				bad("json", "invalid path %q: use dotted keys like \"status\" or \"checks.db.ok\"", p)
			}
		}
	}
	if e.MaxLatency != nil {
		if x.MaxLatency = *e.MaxLatency; x.MaxLatency <= 0 {
			bad("maxLatency", "maxLatency must be more than 0")
		}
	}
	if e.CertValidFor != nil {
		if x.CertValidFor = *e.CertValidFor; x.CertValidFor <= 0 {
			bad("certValidFor", "certValidFor must be more than 0")
		}
	}
	if e.BodyNotContains != nil {
		if x.BodyNotContains = *e.BodyNotContains; x.BodyNotContains == "" {
			bad("bodyNotContains", "bodyNotContains must not be empty: every body contains the empty text")
		}
	}
	if e.BodyNotRegex != nil {
		x.BodyNotRegex = *e.BodyNotRegex
		if _, err := regexp.Compile(x.BodyNotRegex); err != nil {
			bad("bodyNotRegex", "invalid regular expression: %v", err)
		}
	}
	headers := func(field string, m *map[string]string, regex bool) map[string]string {
		if m == nil || len(*m) == 0 {
			return nil
		}
		out := make(map[string]string, len(*m))
		for k, v := range *m {
			if !tokenRE.MatchString(k) {
				bad(field, "invalid header name %q", k)
			}
			if regex {
				if _, err := regexp.Compile(v); err != nil {
					bad(field, "header %s: invalid regular expression: %v", k, err)
				}
			}
			out[k] = v
		}
		return out
	}
	x.Headers = headers("headers", e.Headers, false)
	x.HeadersContain = headers("headersContain", e.HeadersContain, false)
	x.HeadersRegex = headers("headersRegex", e.HeadersRegex, true)
	if e.FinalURL != nil {
		x.FinalURL = *e.FinalURL
		if err := checkURL(x.FinalURL); err != nil {
			bad("finalURL", "%v", err)
		}
	}
	if e.Redirects != nil {
		if x.Redirects = ptr(*e.Redirects); *x.Redirects < 0 || *x.Redirects > 10 {
			bad("redirects", "redirects %d must be from 0 to 10 (medic follows at most 10)", *x.Redirects)
		}
	}
	if e.RCode != nil {
		switch x.RCode = strings.ToUpper(*e.RCode); x.RCode {
		case "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE":
		default:
			bad("rcode", "rcode %q: want a DNS response code such as NOERROR, NXDOMAIN, SERVFAIL or REFUSED", *e.RCode)
		}
	}
	if e.Answers != nil {
		x.Answers = append([]string(nil), (*e.Answers)...)
		for _, a := range x.Answers {
			if strings.TrimSpace(a) == "" {
				bad("answers", "an answer must not be empty")
			}
		}
	}
	if e.HTTPVersion != nil {
		switch v := strings.TrimPrefix(strings.ToUpper(*e.HTTPVersion), "HTTP/"); v {
		case "1.0", "1.1", "2":
			x.HTTPVersion = v
		case "2.0":
			x.HTTPVersion = "2"
		default:
			bad("httpVersion", "httpVersion %q: want \"1.0\", \"1.1\" or \"2\"", *e.HTTPVersion)
		}
	}
	return x, errs
}

// checkURL checks a target's or channel's URL. Its errors show the URL
// with any userinfo redacted: they go into problems, logs and the history.
func checkURL(raw string) error {
	shown := RedactURL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %s", shown, scrubUserinfo(unwrapURLError(err).Error(), raw))
	}
	if u.User != nil {
		return fmt.Errorf("URL %q must not contain credentials: they would appear in the execution history (use headerSecrets)", shown)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %q must start with http:// or https://", shown)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("URL %q has no host", shown)
	}
	if p := u.Port(); p != "" {
		if err := checkPort(p); err != nil {
			return fmt.Errorf("URL %q: %s", shown, scrubUserinfo(err.Error(), raw))
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func checkAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("tcp %q must be host:port (IPv6 as [::1]:port)", addr)
	}
	if host == "" {
		return fmt.Errorf("tcp %q has no host", addr)
	}
	if strings.ContainsAny(host, "/ ") {
		return fmt.Errorf("tcp %q: invalid host %q", addr, host)
	}
	return checkPort(port)
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 1 to 65535", p)
	}
	return nil
}

func checkHeader(k, v string) error {
	if !tokenRE.MatchString(k) {
		return fmt.Errorf("invalid header name %q", k)
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("header %q: value must not contain line breaks", k)
	}
	return nil
}

// checkHeaderSecrets validates a target's headerSecrets: header names, secret
// names (as a channel's are), and no header also given in headers. Header
// names compare case-insensitively, as HTTP does.
func checkHeaderSecrets(secrets, headers map[string]string) []string {
	names := make([]string, 0, len(secrets))
	for h := range secrets {
		names = append(names, h)
	}
	sort.Strings(names)
	var msgs []string
	seen := map[string]string{}
	for _, h := range names {
		v := secrets[h]
		switch {
		case !tokenRE.MatchString(h):
			msgs = append(msgs, fmt.Sprintf("invalid header name %q", h))
		case strings.EqualFold(h, "Host"):
			msgs = append(msgs, "the Host header cannot come from a secret")
		}
		if !secretNameRE.MatchString(v) {
			msgs = append(msgs, fmt.Sprintf("header %q: %q is not a secret name: give the name of the secret (letters, digits and _, like API_HEALTH_TOKEN), never its value", h, v))
		}
		key := strings.ToLower(h)
		if first, dup := seen[key]; dup {
			msgs = append(msgs, fmt.Sprintf("headers %q and %q are the same header (header names are case-insensitive)", first, h))
		}
		seen[key] = h
		for k := range headers {
			if strings.EqualFold(k, h) {
				msgs = append(msgs, fmt.Sprintf("header %q is in both headers and headerSecrets: give it in one of them (headerSecrets for a credential)", h))
			}
		}
	}
	return msgs
}

func knownChannels(chans map[string]Channel) string {
	if len(chans) == 0 {
		return " (none are)"
	}
	names := make([]string, 0, len(chans))
	for n := range chans {
		names = append(names, n)
	}
	sort.Strings(names)
	return " (defined: " + strings.Join(names, ", ") + ")"
}
