// Package probe checks targets over HTTP(S), TCP, TLS, DNS and gRPC and reports each check as
// a Result. A target that fails its check is a Result with Up false, never a
// Go error.
package probe

import "time"

// Result is the outcome of one probe of one target. It is what WriteEcho
// stores as echo/<target>.json.
type Result struct {
	Target    string    `json:"target"`
	Up        bool      `json:"up"`
	CheckedAt time.Time `json:"checkedAt"`
	// Failures says, in words, every condition that was not met.
	Failures   []string `json:"failures,omitempty"`
	StatusCode int      `json:"statusCode,omitempty"`
	// HTTPVersion is the protocol of the last response: "1.1" or "2"
	// (HTTP targets that got a response).
	HTTPVersion string `json:"httpVersion,omitempty"`
	// Redirects is how many redirects were followed to the last response.
	Redirects int `json:"redirects,omitempty"`
	// LatencyMS is the whole check, in milliseconds.
	LatencyMS float64 `json:"latencyMs"`
	Phases    *Phases `json:"phases,omitempty"`
	// CertExpiresAt is, for TLS targets, the earliest NotAfter of the
	// server's chain: the verified one (leaf to root), or the certificates
	// as sent when they were refused or not verified.
	CertExpiresAt *time.Time `json:"certExpiresAt,omitempty"`
	// CertExpiring names the certificate CertExpiresAt is from, when it is
	// not the leaf: `intermediate "CN=..."` or `root "CN=..."`.
	CertExpiring string `json:"certExpiring,omitempty"`
	// Warnings says what about the check itself deserves attention even
	// when it passes: a certificate that is not verified.
	Warnings []string `json:"warnings,omitempty"`
	// Run names the execution that produced the result.
	Run string `json:"run,omitempty"`
	// Skipped, when set, says why the target was not probed (a push target,
	// or a check cut short by the run's own deadline). A skipped result has
	// Up false and no Failures: it is no verdict, and WriteEcho does not
	// store it, so the target's previous echo (or its pulse file, for a push
	// target) keeps ageing.
	Skipped string `json:"skipped,omitempty"`
	// Confirm, when set, says how a failed first check was confirmed (or
	// found to be a blip) within the run; see Prober.ProbeConfirmed.
	Confirm *Confirmation `json:"confirm,omitempty"`
}

// Phases splits an HTTP check's latency, in milliseconds.
type Phases struct {
	DNSMS       float64 `json:"dnsMs"`
	ConnectMS   float64 `json:"connectMs"`
	TLSMS       float64 `json:"tlsMs,omitempty"`
	FirstByteMS float64 `json:"firstByteMs"`
}
