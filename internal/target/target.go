// Package target defines what medic checks: the Target type shared by every
// task, the targets file (YAML or JSON) and the pulse file format.
package target

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/medic-dev/medic/internal/window"
)

// Kinds of probe.
const (
	KindHTTP = "http" // an http:// or https:// URL
	KindTCP  = "tcp"  // a host:port that must accept a connection
	KindTLS  = "tls"  // a host:port that must complete a TLS handshake (tcp with a tls block)
	KindDNS  = "dns"  // a DNS query to a resolver or name server
	KindGRPC = "grpc" // a gRPC server's standard health check (grpc.health.v1)
	KindPush = "push" // a heartbeat only: nothing is probed, the pulse file's age is checked
)

// Defaults used when neither the target nor the file's defaults set a value.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultStaleAfter       = 15 * time.Minute
	DefaultFailureThreshold = 2
	DefaultSuccessThreshold = 1
	DefaultMethod           = "GET"
	// DefaultConfirmAttempts and DefaultConfirmInterval are a probed
	// target's confirmation when neither it nor the file's defaults set
	// them: a failed check is checked twice more, 5 s apart, so a failure
	// must last about 10 s to count. With the default timeout a failing
	// target's checks take at most 40 s of the Probe task's 87 s (its 90 s
	// less the headroom); see docs/status.md for the measurements behind
	// the choice.
	DefaultConfirmAttempts = 2
	DefaultConfirmInterval = 5 * time.Second
	// DefaultConfirmedFailureThreshold is the failureThreshold of a target
	// whose failures are confirmed (confirm.attempts > 0) and which sets no
	// failureThreshold: its first confirmed failure makes it DOWN.
	DefaultConfirmedFailureThreshold = 1
)

// Bounds of a confirm block.
const (
	MaxConfirmAttempts = 5
	MaxConfirmInterval = time.Minute
)

// DefaultFlapChanges and DefaultFlapWindow are a target's flap detection
// when neither it nor the file's defaults set them: 3 status changes
// within 30 minutes make it FLAPPING (see docs/status.md, flapping).
const (
	DefaultFlapChanges = 3
	DefaultFlapWindow  = 30 * time.Minute
)

// Bounds of a flap block: changes is 0 (no flap detection) or from
// MinFlapChanges to MaxFlapChanges (each change within the window is kept
// in the target's state); window is more than 0, at most MaxFlapWindow.
const (
	MinFlapChanges = 2
	MaxFlapChanges = 10
	MaxFlapWindow  = 24 * time.Hour
)

// Target is one thing medic checks, with every default already applied.
// It is the unit that travels through the state machine: LoadTargets emits
// it, Probe checks it, CheckStaleness reads its thresholds.
type Target struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	URL     string `json:"url,omitempty"`     // http(s) targets
	Address string `json:"address,omitempty"` // tcp targets: host:port
	// GRPC is the health check of a grpc target.
	GRPC *GRPCCheck `json:"grpc,omitempty"`
	// DNS is the query of a dns target.
	DNS *DNSQuery `json:"dns,omitempty"`
	// IPVersion, 4 or 6, connects over that IP version only; 0 takes any
	// address the name resolves to.
	IPVersion int    `json:"ipVersion,omitempty"`
	Method    string `json:"method,omitempty"`
	// Headers are sent with the request. Their values travel in the state
	// machine's input and output (and so its execution history): put
	// credentials in HeaderSecrets instead.
	Headers map[string]string `json:"headers,omitempty"`
	// HeaderSecrets maps a header name to the name of the secret holding its
	// value (e.g. {"Authorization": "API_HEALTH_TOKEN"}). Only the name
	// travels; the probe reads the value when it sends the request.
	HeaderSecrets map[string]string `json:"headerSecrets,omitempty"`
	// BasicAuth sends HTTP basic authentication, its password from a secret.
	BasicAuth *BasicAuth `json:"basicAuth,omitempty"`
	// TLS adjusts the TLS connections to the target's own host and port
	// (not to another host a redirect leads to); nil means the defaults.
	TLS *TLS `json:"tls,omitempty"`
	// RequestBody is sent with the request (POST/PUT health endpoints).
	RequestBody string   `json:"requestBody,omitempty"`
	Timeout     Duration `json:"timeout"`
	// FollowRedirects follows up to 10 redirects when true (the default).
	FollowRedirects bool `json:"followRedirects"`
	// MaxBodyBytes caps how much of the response body is read and checked;
	// 0 means the probe's default (DefaultMaxBodyBytes).
	MaxBodyBytes ByteSize `json:"maxBodyBytes,omitempty"`
	Expect       Expect   `json:"expect"`

	StaleAfter       Duration `json:"staleAfter"`
	FailureThreshold int      `json:"failureThreshold"`
	SuccessThreshold int      `json:"successThreshold"`
	// RemindEvery repeats the DOWN alert while the target stays down; 0 = never.
	RemindEvery Duration `json:"remindEvery,omitempty"`
	// Channels names the channels this target's alerts go to.
	Channels []string `json:"channels,omitempty"`
	// Confirm is how a failed check is confirmed within the same run
	// before it counts as a failure; nil (push targets, attempts: 0)
	// means it is not.
	Confirm *Confirm `json:"confirm,omitempty"`
	// Flap is when the target counts as flapping (its status changing too
	// often for each change to be worth an alert); nil (flap.changes: 0)
	// means never.
	Flap *Flap `json:"flap,omitempty"`
	// Group is the group the target is shown under (the status, the run's
	// table, the status page); empty means none.
	Group string `json:"group,omitempty"`
	// DependsOn names targets of the same targets file this one depends
	// on: while one of them is DOWN or STALE, this target's own DOWN and
	// STALE alerts are folded into that one's (see docs/status.md).
	DependsOn []string `json:"dependsOn,omitempty"`

	// Maintenance lists the target's maintenance windows (its own, else
	// the defaults'): while one is open its checks go on but its alerts
	// are held (see docs/status.md).
	Maintenance []window.Window `json:"maintenance,omitempty"`

	// Heartbeat marks a push target: the pulse file must be re-uploaded at
	// least every StaleAfter, or the target is STALE.
	Heartbeat bool `json:"heartbeat,omitempty"`
	// Source is where the target was defined: "config/targets.yaml" or "pulse/<name>.json".
	Source string `json:"source"`
}

// Expect lists what a response must satisfy for the target to be up.
// Zero values mean "not checked", except Status, which defaults to 200-399.
type Expect struct {
	Status []int `json:"status,omitempty"`
	// Body must equal the response body exactly (the original pulse rule).
	Body *string `json:"body,omitempty"`
	// BodyContains must occur in the response body.
	BodyContains string `json:"bodyContains,omitempty"`
	// BodyRegex must match the response body (RE2 syntax).
	BodyRegex string `json:"bodyRegex,omitempty"`
	// JSON maps a dotted path in the JSON response ("status", "checks.db.ok",
	// "items.0.id") to the value it must have.
	JSON map[string]any `json:"json,omitempty"`
	// MaxLatency fails the check when the whole request takes longer.
	MaxLatency Duration `json:"maxLatency,omitempty"`
	// CertValidFor fails the check when the TLS certificate expires sooner.
	CertValidFor Duration `json:"certValidFor,omitempty"`
	// BodyNotContains must not occur in the response body.
	BodyNotContains string `json:"bodyNotContains,omitempty"`
	// BodyNotRegex must not match the response body (RE2 syntax).
	BodyNotRegex string `json:"bodyNotRegex,omitempty"`
	// Headers maps a response header to the value it must have, exactly
	// (several values of one header compare joined by ", ").
	Headers map[string]string `json:"headers,omitempty"`
	// HeadersContain maps a response header to text its value must contain.
	HeadersContain map[string]string `json:"headersContain,omitempty"`
	// HeadersRegex maps a response header to an RE2 expression its value must match.
	HeadersRegex map[string]string `json:"headersRegex,omitempty"`
	// FinalURL is the URL the last response must come from, after redirects.
	FinalURL string `json:"finalURL,omitempty"`
	// Redirects is how many redirects must have been followed; nil means
	// any number.
	Redirects *int `json:"redirects,omitempty"`
	// RCode is the DNS response code a dns target's answer must have
	// ("NOERROR", "NXDOMAIN", ...); empty means NOERROR.
	RCode string `json:"rcode,omitempty"`
	// Answers must each be among a dns target's answer records (their
	// data as text: an address, a name, "10 mx.example.com.").
	Answers []string `json:"answers,omitempty"`
	// HTTPVersion is the protocol the response must come over: "1.0",
	// "1.1" or "2" (HTTP/2 is negotiated by ALPN on https:// URLs).
	HTTPVersion string `json:"httpVersion,omitempty"`
}

// TLS is a target's TLS settings. Fields ending in Secret name a secret
// (read by the probe, as for HeaderSecrets); their values never travel.
type TLS struct {
	// CASecret names a secret holding PEM CA certificates that are trusted
	// in addition to the system roots (a private CA).
	CASecret string `json:"caSecret,omitempty"`
	// CertSecret and KeySecret name the secrets holding a PEM client
	// certificate (chain) and its private key, for servers that require
	// mutual TLS. Both or neither.
	CertSecret string `json:"certSecret,omitempty"`
	KeySecret  string `json:"keySecret,omitempty"`
	// ServerName is the name sent (SNI) and the certificate is checked
	// against, instead of the URL's host.
	ServerName string `json:"serverName,omitempty"`
	// StartTLS, on a tls target, is the protocol spoken in the clear
	// before the handshake: "smtp" (EHLO, STARTTLS); empty means TLS from
	// the first byte.
	StartTLS string `json:"startTLS,omitempty"`
	// InsecureSkipVerify accepts any certificate. Every result of the
	// target says so in Warnings, and medic validate warns about it.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// GRPCCheck is a grpc target's health check: grpc.health.v1.Health/Check
// of Service at Address, over TLS when the target has a tls block.
type GRPCCheck struct {
	// Address is the server, host:port.
	Address string `json:"address"`
	// Service is the service whose health is asked; empty means the
	// server as a whole.
	Service string `json:"service,omitempty"`
}

// DNSQuery is what a dns target asks, and of whom.
type DNSQuery struct {
	// Server is the resolver or name server, host:port.
	Server string `json:"server"`
	// Name is the name asked about.
	Name string `json:"name"`
	// Type is the record type: A, AAAA, CNAME, MX, NS, TXT, SOA, ...
	Type string `json:"type"`
	// Transport is "udp" (the default; retried over TCP when the answer
	// is truncated) or "tcp".
	Transport string `json:"transport,omitempty"`
}

// Confirm is a target's confirmation of a failed check: up to Attempts
// re-checks, Interval apart (the first one Interval after the failure).
// The failure counts only when every re-check fails too; when one passes,
// the failure was a blip (see probe.Confirmation).
type Confirm struct {
	Attempts int      `json:"attempts"`
	Interval Duration `json:"interval"`
}

// Flap is a target's flap detection: when Changes status changes (those
// that raise DOWN, STALE or RECOVERED) fall within Window, the target is
// FLAPPING: one alert says so and its changes raise none until it has
// kept one status for Window, when one alert says how it settled.
type Flap struct {
	Changes int      `json:"changes"`
	Window  Duration `json:"window"`
}

// BasicAuth is a username and the name of the secret holding the password.
type BasicAuth struct {
	Username       string `json:"username"`
	PasswordSecret string `json:"passwordSecret"`
}

// SecretNames lists the names of every secret t's probe reads (its
// headerSecrets and TLS secrets), sorted, without repeats.
func (t Target) SecretNames() []string {
	var names []string
	for _, n := range t.HeaderSecrets {
		names = append(names, n)
	}
	if t.TLS != nil {
		names = append(names, t.TLS.CASecret, t.TLS.CertSecret, t.TLS.KeySecret)
	}
	if t.BasicAuth != nil {
		names = append(names, t.BasicAuth.PasswordSecret)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == "" })
	slices.Sort(names)
	return slices.Compact(names)
}

// Duration is a time.Duration that reads and writes as a Go duration string
// ("90s", "15m") in JSON and YAML. A bare JSON number is read as seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return d.parse(s)
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\" or a number of seconds, got %s", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// UnmarshalText reads a duration string; YAML decoding uses it.
func (d *Duration) UnmarshalText(b []byte) error { return d.parse(string(b)) }

// MarshalText writes d as a duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) parse(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (use a form like \"30s\", \"15m\", \"1h\")", s)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	*d = Duration(v)
	return nil
}

// Channel types.
const (
	ChannelSlack   = "slack"
	ChannelDiscord = "discord"
	ChannelLINE    = "line"
	ChannelSNS     = "sns"
	ChannelWebhook = "webhook"
)

// Channel is one place alerts go, as declared under `channels:` in the
// targets file. Secret values never appear here: fields ending in Secret name
// a key in the secret store (a Parameter Store SecureString in AWS, the environment locally).
type Channel struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// URL is a webhook URL that is not secret (webhook channels only).
	URL string `json:"url,omitempty"`
	// URLSecret names the secret holding the webhook URL (slack, discord, webhook).
	URLSecret string `json:"urlSecret,omitempty"`
	// TokenSecret names the secret holding the LINE channel access token.
	TokenSecret string `json:"tokenSecret,omitempty"`
	// To is the LINE user, group or room ID to push to.
	To string `json:"to,omitempty"`
	// Endpoint overrides the service's API base URL (LINE), for tests and proxies.
	Endpoint string `json:"endpoint,omitempty"`
	// TopicArn is the SNS topic; empty means the deployment's topic (MEDIC_SNS_TOPIC_ARN).
	TopicArn string `json:"topicArn,omitempty"`
	// Headers are sent with every webhook request.
	Headers map[string]string `json:"headers,omitempty"`
	// HeaderSecrets maps a header name to the secret holding its value (e.g. Authorization).
	HeaderSecrets map[string]string `json:"headerSecrets,omitempty"`
	// DigestAfter: when one run has more alerts than this for the channel,
	// they go as one digest message (split only where the service's limits
	// require). 0 sends every alert on its own; the targets file's default
	// is DefaultDigestAfter.
	DigestAfter int `json:"digestAfter,omitempty"`
}

// DefaultDigestAfter is a channel's digestAfter when the targets file does
// not set one: more than 5 alerts in one run go as a digest.
const DefaultDigestAfter = 5

// Problem is a target or pulse file that could not be used. The run reports
// it and goes on without it.
type Problem struct {
	// Source is the object key: "config/targets.yaml", "pulse/web.json".
	Source string `json:"source"`
	// Target is the target's name, when known.
	Target string `json:"target,omitempty"`
	// Field is the key that is wrong, as written in the file ("expect.status").
	Field string `json:"field,omitempty"`
	// Error says what is wrong and what is expected.
	Error string `json:"error"`
}

// String formats p as "source: target: field: error".
func (p Problem) String() string {
	s := p.Source
	if p.Target != "" {
		s += ": target " + p.Target
	}
	if p.Field != "" {
		s += ": " + p.Field
	}
	return s + ": " + p.Error
}
