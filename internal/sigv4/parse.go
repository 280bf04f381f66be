// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// in both forms the AWS CLI and SDKs send: the Authorization header and the
// presigned URL's query parameters. It knows S3's payload hashes
// (x-amz-content-sha256: a hex SHA-256, UNSIGNED-PAYLOAD, the streaming
// forms) and checks a body against the hash that was signed as it is read.
package sigv4

import (
	"fmt"
	"strings"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// Payload hash values with a meaning of their own (x-amz-content-sha256).
const (
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingSignedPayload   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// maxAuthorizationBytes bounds the header a parser looks at; real ones are
// a few hundred bytes.
const maxAuthorizationBytes = 8 << 10

// Authorization is a parsed SigV4 Authorization header (or the same fields
// of a presigned URL).
type Authorization struct {
	AccessKeyID string
	// Date is the scope's date, YYYYMMDD.
	Date    string
	Region  string
	Service string
	// SignedHeaders are the lower-case names, in the order given.
	SignedHeaders []string
	// Signature is the hex HMAC-SHA256 signature.
	Signature string
}

// Scope is the credential scope: DATE/REGION/SERVICE/aws4_request.
func (a Authorization) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request"
}

// ParseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=HEX
//
// It checks the shape of every part; it does not check the signature.
func ParseAuthorization(header string) (Authorization, error) {
	if len(header) > maxAuthorizationBytes {
		return Authorization{}, malformed("the Authorization header is longer than %d bytes", maxAuthorizationBytes)
	}
	alg, rest, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || alg != Algorithm {
		return Authorization{}, malformed("the Authorization header does not start with %q", Algorithm)
	}
	var credential, signedHeaders, signature string
	var seen [3]bool
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Authorization{}, malformed("the Authorization header has %q, want KEY=VALUE", clipped(part))
		}
		var i int
		switch k {
		case "Credential":
			i, credential = 0, v
		case "SignedHeaders":
			i, signedHeaders = 1, v
		case "Signature":
			i, signature = 2, v
		default:
			return Authorization{}, malformed("the Authorization header has an unknown part %q", clipped(k))
		}
		if seen[i] {
			return Authorization{}, malformed("the Authorization header has %s twice", k)
		}
		seen[i] = true
	}
	for i, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if !seen[i] {
			return Authorization{}, malformed("the Authorization header has no %s", name)
		}
	}
	return parseParts(credential, signedHeaders, signature)
}

// parseParts checks and splits the three fields, shared by the header and
// the presigned URL.
func parseParts(credential, signedHeaders, signature string) (Authorization, error) {
	fields := strings.Split(credential, "/")
	if len(fields) != 5 || fields[4] != "aws4_request" {
		return Authorization{}, malformed("Credential %q is not ACCESS-KEY/DATE/REGION/SERVICE/aws4_request", clipped(credential))
	}
	a := Authorization{AccessKeyID: fields[0], Date: fields[1], Region: fields[2], Service: fields[3]}
	if a.AccessKeyID == "" || a.Region == "" || a.Service == "" {
		return Authorization{}, malformed("Credential %q has an empty part", clipped(credential))
	}
	if !isDigits(a.Date, 8) {
		return Authorization{}, malformed("Credential %q has date %q, want YYYYMMDD", clipped(credential), clipped(a.Date))
	}
	if signedHeaders == "" {
		return Authorization{}, malformed("SignedHeaders is empty")
	}
	a.SignedHeaders = strings.Split(signedHeaders, ";")
	for i, h := range a.SignedHeaders {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return Authorization{}, malformed("SignedHeaders has %q, want lower-case header names separated by ';'", clipped(h))
		}
		if i > 0 && a.SignedHeaders[i-1] >= h {
			return Authorization{}, malformed("SignedHeaders %q is not sorted without repeats", clipped(signedHeaders))
		}
	}
	if len(signature) != 64 || !isHex(signature) {
		return Authorization{}, malformed("Signature is not 64 hex digits")
	}
	a.Signature = signature
	return a, nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// clipped shortens what an error quotes from the request.
func clipped(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func malformed(format string, args ...any) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf(format, args...)}
}
