package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Error codes, as AWS names them.
const (
	CodeMissingAuthentication = "MissingAuthenticationToken"
	CodeIncompleteSignature   = "IncompleteSignature"
	CodeInvalidAccessKeyID    = "InvalidAccessKeyId"
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	CodeRequestTimeTooSkewed  = "RequestTimeTooSkewed"
	CodeRequestExpired        = "AccessDenied"
	CodeContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
	CodeNotImplemented        = "NotImplemented"
)

// Error is why a request was refused. Its message never holds the secret.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

const (
	timeFormat = "20060102T150405Z"
	// DefaultMaxSkew is how far a signed request's time may be from the
	// verifier's clock, as AWS allows.
	DefaultMaxSkew = 15 * time.Minute
	// DefaultMaxBodyBytes bounds a body that is read and hashed before the
	// handler sees it (a request that does not send its payload's hash).
	DefaultMaxBodyBytes = 8 << 20
	maxPresignExpiry    = 7 * 24 * time.Hour
)

// Verifier checks requests against one key pair.
type Verifier struct {
	AccessKeyID     string
	SecretAccessKey string
	// Now is the clock a request's time is checked against (time.Now when nil).
	Now func() time.Time
	// MaxSkew is DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// MaxBodyBytes is DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
}

// request is what the signature covers, from either form.
type request struct {
	auth    Authorization
	amzDate string
	at      time.Time
	// query is the raw query without X-Amz-Signature (presigned form).
	query   string
	payload string
}

// Verify checks r's signature. On success a body whose hash was signed is
// replaced by one that fails its last Read if the bytes differ from what
// was signed (and, for the signed streaming form, a chunk whose signature
// does not match), so a handler that reads to the end never takes a body
// the signer did not send.
func (v *Verifier) Verify(r *http.Request) error {
	var req request
	var err error
	switch {
	case r.Header.Get("Authorization") != "":
		req, err = v.fromHeader(r)
	case r.URL.Query().Get("X-Amz-Algorithm") != "" || r.URL.Query().Get("X-Amz-Signature") != "":
		req, err = v.fromQuery(r)
	case r.URL.Query().Get("AWSAccessKeyId") != "":
		return fail(CodeNotImplemented, "Signature Version 2 is not supported: presign with Signature Version 4 (AWS CLI v1: aws configure set default.s3.signature_version s3v4)")
	default:
		return fail(CodeMissingAuthentication, "the request is not signed: sign it with AWS Signature Version 4 (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to medic's local credentials)")
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(req.auth.AccessKeyID), []byte(v.AccessKeyID)) != 1 {
		return fail(CodeInvalidAccessKeyID, "access key %q is not this endpoint's", clipped(req.auth.AccessKeyID))
	}
	if !contains(req.auth.SignedHeaders, "host") {
		return fail(CodeIncompleteSignature, "SignedHeaders must include host")
	}
	if req.auth.Date != req.amzDate[:8] {
		return fail(CodeSignatureDoesNotMatch, "the credential scope's date %s is not the request's date %s", req.auth.Date, req.amzDate[:8])
	}
	hashBody := false
	switch p := req.payload; {
	case p == "":
		body, err := v.readBody(r)
		if err != nil {
			return err
		}
		req.payload = hexSHA256(body)
	case p == UnsignedPayload || p == StreamingUnsignedTrailer || p == StreamingSignedPayload:
	case len(p) == 64 && isHex(p):
		hashBody = true
	default:
		return fail(CodeNotImplemented, "x-amz-content-sha256 %q is not supported", clipped(p))
	}
	canonical := canonicalRequest(r, req)
	key := signingKey(v.SecretAccessKey, req.auth)
	want := hex.EncodeToString(hmacSHA256(key, stringToSign(req, canonical)))
	if !hmac.Equal([]byte(want), []byte(req.auth.Signature)) {
		return fail(CodeSignatureDoesNotMatch, "the signature does not match: check the secret access key (medic's local credentials) and that nothing rewrote the request")
	}
	switch {
	case hashBody && r.Body != nil:
		r.Body = &hashCheck{body: r.Body, want: req.payload, h: sha256.New()}
	case req.payload == StreamingSignedPayload:
		r.Body = newChunkVerifier(r.Body, key, req)
	}
	return nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

func (v *Verifier) fromHeader(r *http.Request) (request, error) {
	if len(r.Header.Values("Authorization")) > 1 {
		return request{}, malformed("more than one Authorization header")
	}
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return request{}, err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	at, err := time.Parse(timeFormat, amzDate)
	if err != nil {
		return request{}, malformed("X-Amz-Date %q is not of the form %s", clipped(amzDate), timeFormat)
	}
	if d := v.now().Sub(at); d > v.maxSkew() || d < -v.maxSkew() {
		return request{}, fail(CodeRequestTimeTooSkewed, "the request's time %s is more than %s from the endpoint's clock", amzDate, v.maxSkew())
	}
	return request{auth: a, amzDate: amzDate, at: at, query: r.URL.RawQuery, payload: r.Header.Get("X-Amz-Content-Sha256")}, nil
}

func (v *Verifier) fromQuery(r *http.Request) (request, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return request{}, malformed("the query string does not parse: %v", err)
	}
	one := func(k string) (string, error) {
		vs := q[k]
		if len(vs) != 1 {
			return "", malformed("a presigned URL needs exactly one %s", k)
		}
		return vs[0], nil
	}
	var f [6]string
	for i, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if f[i], err = one(k); err != nil {
			return request{}, err
		}
	}
	if f[0] != Algorithm {
		return request{}, malformed("X-Amz-Algorithm is %q, want %s", clipped(f[0]), Algorithm)
	}
	a, err := parseParts(f[1], f[4], f[5])
	if err != nil {
		return request{}, err
	}
	at, err := time.Parse(timeFormat, f[2])
	if err != nil {
		return request{}, malformed("X-Amz-Date %q is not of the form %s", clipped(f[2]), timeFormat)
	}
	secs, err := strconv.Atoi(f[3])
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return request{}, malformed("X-Amz-Expires %q is not a number of seconds from 1 to %d", clipped(f[3]), int(maxPresignExpiry/time.Second))
	}
	now := v.now()
	if now.Before(at.Add(-v.maxSkew())) {
		return request{}, fail(CodeRequestTimeTooSkewed, "the presigned URL's time %s is in the future", f[2])
	}
	if now.After(at.Add(time.Duration(secs) * time.Second)) {
		return request{}, fail(CodeRequestExpired, "the presigned URL expired at %s", at.Add(time.Duration(secs)*time.Second).Format(time.RFC3339))
	}
	payload := ""
	if vs := q["X-Amz-Content-Sha256"]; len(vs) == 1 {
		payload = vs[0]
	} else if a.Service == "s3" {
		payload = UnsignedPayload
	}
	return request{auth: a, amzDate: f[2], at: at, query: withoutParam(r.URL.RawQuery, "X-Amz-Signature"), payload: payload}, nil
}

// readBody reads the whole body (bounded) to hash it, and puts it back.
func (v *Verifier) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	limit := v.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fail(CodeNotImplemented, "a body over %d bytes must send its SHA-256 in x-amz-content-sha256", limit)
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

func canonicalRequest(r *http.Request, req request) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r, req.auth.Service))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(req.query))
	b.WriteByte('\n')
	for _, h := range req.auth.SignedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(req.auth.SignedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(req.payload)
	return b.String()
}

// canonicalURI is the path as sent; S3 signs it as is, other services
// encode it once more.
func canonicalURI(r *http.Request, service string) string {
	p := r.URL.EscapedPath()
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ = strings.Cut(r.RequestURI, "?")
	}
	if p == "" {
		p = "/"
	}
	if service == "s3" {
		return p
	}
	return encode(p, true)
}

func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var params []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			// Signed as sent; a signer would not have produced it, so the
			// signature will not match.
			dk, dv = k, v
		}
		params = append(params, kv{encode(dk, false), encode(dv, false)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values(name)
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = r.Header.Values(name)
		if len(vals) == 0 {
			vals = r.TransferEncoding
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// encode is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ (and
// '/' when keepSlash) as %XX.
func encode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func withoutParam(raw, name string) string {
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == name {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

func stringToSign(req request, canonical string) []byte {
	return []byte(Algorithm + "\n" + req.amzDate + "\n" + req.auth.Scope() + "\n" + hexSHA256([]byte(canonical)))
}

func signingKey(secret string, a Authorization) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(a.Date))
	k = hmacSHA256(k, []byte(a.Region))
	k = hmacSHA256(k, []byte(a.Service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ErrBodyMismatch is returned by a verified body's last Read when the bytes
// are not those whose hash was signed.
var ErrBodyMismatch = &Error{Code: CodeContentSHA256Mismatch, Message: "the body's SHA-256 is not the signed x-amz-content-sha256"}

// hashCheck hashes a body as it is read and fails at its end on a mismatch.
type hashCheck struct {
	body io.ReadCloser
	want string
	h    interface {
		io.Writer
		Sum([]byte) []byte
	}
	failed bool
}

func (c *hashCheck) Read(p []byte) (int, error) {
	if c.failed {
		return 0, ErrBodyMismatch
	}
	n, err := c.body.Read(p)
	c.h.Write(p[:n])
	if errors.Is(err, io.EOF) && hex.EncodeToString(c.h.Sum(nil)) != c.want {
		c.failed = true
		return n, ErrBodyMismatch
	}
	return n, err
}

func (c *hashCheck) Close() error { return c.body.Close() }
