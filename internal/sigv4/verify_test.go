package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/medic-dev/medic/internal/sigv4"
)

const (
	keyID  = "MEDICTESTKEY00000001"
	secret = "c2VjcmV0LXRlc3Qta2V5LWZvci1tZWRpYy1sb2NhbA"
)

// server verifies every request and answers 200 with the body it read, or
// 403 with the error code.
func server(t *testing.T, v *sigv4.Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Verify(r); err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) {
				t.Errorf("Verify returned %T %v, want *sigv4.Error", err, err)
			}
			http.Error(w, e.Code, http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var e *sigv4.Error
			if errors.As(err, &e) {
				http.Error(w, e.Code, http.StatusForbidden)
				return
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sha(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

type signed struct {
	method, path, body string
	payloadHash        string // "" hashes the body; the header is set for service s3
	service            string
	creds              aws.Credentials
	at                 time.Time
	tamper             func(*http.Request)
}

func (s signed) send(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(s.method, url+s.path, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	hash := s.payloadHash
	if hash == "" {
		hash = sha(s.body)
	}
	if s.service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	at := s.at
	if at.IsZero() {
		at = time.Now()
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.service == "s3" })
	if err := signer.SignHTTP(context.Background(), s.creds, req, hash, s.service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	if s.tamper != nil {
		s.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestVerifyHeaderForm(t *testing.T) {
	good := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	srv := server(t, &sigv4.Verifier{AccessKeyID: keyID, SecretAccessKey: secret})
	tests := []struct {
		name     string
		req      signed
		wantCode int
		want     string
	}{
		{"states JSON body", signed{method: "POST", path: "/", body: `{"stateMachineArn":"x"}`, service: "states", creds: good}, 200, `{"stateMachineArn":"x"}`},
		{"s3 put with hex hash", signed{method: "PUT", path: "/medic/config/targets.yaml", body: "targets: []", service: "s3", creds: good}, 200, "targets: []"},
		{"s3 key with odd characters", signed{method: "GET", path: "/medic/echo/a%20b%2Bc%3D.json?list-type=2&prefix=a%2Fb", service: "s3", creds: good}, 200, ""},
		{"s3 unsigned payload", signed{method: "PUT", path: "/medic/x", body: "anything", payloadHash: sigv4.UnsignedPayload, service: "s3", creds: good}, 200, "anything"},
		{"wrong secret", signed{method: "GET", path: "/medic/x", service: "s3", creds: aws.Credentials{AccessKeyID: keyID, SecretAccessKey: "wrong"}}, 403, sigv4.CodeSignatureDoesNotMatch},
		{"wrong key id", signed{method: "GET", path: "/medic/x", service: "s3", creds: aws.Credentials{AccessKeyID: "AKIAOTHER", SecretAccessKey: secret}}, 403, sigv4.CodeInvalidAccessKeyID},
		{"body swapped after signing", signed{method: "PUT", path: "/medic/x", body: "signed body", service: "s3", creds: good, tamper: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("other body!"))
		}}, 403, sigv4.CodeContentSHA256Mismatch},
		{"states body swapped after signing", signed{method: "POST", path: "/", body: `{"a":1}`, service: "states", creds: good, tamper: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"a":2}`))
		}}, 403, sigv4.CodeSignatureDoesNotMatch},
		{"path changed after signing", signed{method: "GET", path: "/medic/a", service: "s3", creds: good, tamper: func(r *http.Request) {
			r.URL.Path = "/medic/b"
		}}, 403, sigv4.CodeSignatureDoesNotMatch},
		{"query added after signing", signed{method: "GET", path: "/medic?list-type=2", service: "s3", creds: good, tamper: func(r *http.Request) {
			r.URL.RawQuery += "&prefix=config"
		}}, 403, sigv4.CodeSignatureDoesNotMatch},
		{"too old", signed{method: "GET", path: "/medic/x", service: "s3", creds: good, at: time.Now().Add(-time.Hour)}, 403, sigv4.CodeRequestTimeTooSkewed},
		{"unsigned", signed{method: "GET", path: "/medic/x", service: "s3", creds: good, tamper: func(r *http.Request) {
			r.Header.Del("Authorization")
		}}, 403, sigv4.CodeMissingAuthentication},
		{"garbage authorization", signed{method: "GET", path: "/medic/x", service: "s3", creds: good, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer abc")
		}}, 403, sigv4.CodeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := tt.req.send(t, srv.URL)
			if code != tt.wantCode || body != tt.want {
				t.Errorf("got %d %q, want %d %q", code, body, tt.wantCode, tt.want)
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	good := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	srv := server(t, &sigv4.Verifier{AccessKeyID: keyID, SecretAccessKey: secret})
	presign := func(t *testing.T, path string, creds aws.Credentials, at time.Time, expires string) string {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+path+"?X-Amz-Expires="+expires, nil)
		if err != nil {
			t.Fatal(err)
		}
		u, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
			PresignHTTP(context.Background(), creds, req, sigv4.UnsignedPayload, "s3", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	get := func(t *testing.T, u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := get(t, presign(t, "/medic/config/targets.yaml", good, time.Now(), "300")); code != 200 {
		t.Errorf("a presigned GET: %d %s, want 200", code, body)
	}
	if code, body := get(t, presign(t, "/medic/x", good, time.Now().Add(-10*time.Minute), "60")); code != 403 || body != sigv4.CodeRequestExpired {
		t.Errorf("an expired presigned GET: %d %s, want 403 %s", code, body, sigv4.CodeRequestExpired)
	}
	u := presign(t, "/medic/x", good, time.Now(), "300")
	if code, body := get(t, strings.Replace(u, "/medic/x", "/medic/y", 1)); code != 403 || body != sigv4.CodeSignatureDoesNotMatch {
		t.Errorf("a presigned URL with another key: %d %s, want 403 %s", code, body, sigv4.CodeSignatureDoesNotMatch)
	}
	bad := presign(t, "/medic/x", aws.Credentials{AccessKeyID: keyID, SecretAccessKey: "nope"}, time.Now(), "300")
	if code, body := get(t, bad); code != 403 || body != sigv4.CodeSignatureDoesNotMatch {
		t.Errorf("a presigned URL signed with another secret: %d %s, want 403 %s", code, body, sigv4.CodeSignatureDoesNotMatch)
	}
}

// The example of a signed streaming upload in AWS's S3 documentation
// ("Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks"): its seed and chunk signatures were computed
// by AWS, not by this package.
func TestVerifyChunkedAWSExample(t *testing.T) {
	const (
		exampleKey    = "AKIAIOSFODNN7EXAMPLE"
		exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	body := "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" + strings.Repeat("a", 65536) + "\r\n" +
		"400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" + strings.Repeat("a", 1024) + "\r\n" +
		"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
	request := func(b string) *http.Request {
		r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", strings.NewReader(b))
		r.Host = "s3.amazonaws.com"
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
		r.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingSignedPayload)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("Content-Length", "66824")
		return r
	}
	v := &sigv4.Verifier{AccessKeyID: exampleKey, SecretAccessKey: exampleSecret, Now: func() time.Time { return at }}
	r := request(body)
	if err := v.Verify(r); err != nil {
		t.Fatalf("the AWS example's seed signature: %v", err)
	}
	got, err := io.ReadAll(r.Body)
	if err != nil || string(got) != body {
		t.Fatalf("the AWS example's chunks: %v (read %d of %d bytes unchanged)", err, len(got), len(body))
	}
	// The same upload with one byte changed in the second chunk.
	r = request(strings.Replace(body, strings.Repeat("a", 1024), "b"+strings.Repeat("a", 1023), 1))
	if err := v.Verify(r); err != nil {
		t.Fatalf("the seed signature does not depend on the chunks: %v", err)
	}
	got, err = io.ReadAll(r.Body)
	var e *sigv4.Error
	if !errors.As(err, &e) || e.Code != sigv4.CodeSignatureDoesNotMatch {
		t.Fatalf("a changed chunk: err %v, want %s", err, sigv4.CodeSignatureDoesNotMatch)
	}
	if strings.Contains(string(got), "b") {
		t.Errorf("the changed chunk was passed on before its signature was checked")
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	a, err := sigv4.ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + sig)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || a.Scope() != "20130524/us-east-1/s3/aws4_request" ||
		strings.Join(a.SignedHeaders, ";") != "host;range;x-amz-content-sha256;x-amz-date" || a.Signature != sig {
		t.Errorf("parsed %+v", a)
	}
	bad := map[string]string{
		"wrong algorithm":     "AWS4-HMAC-SHA1 Credential=A/20130524/r/s/aws4_request,SignedHeaders=host,Signature=" + sig,
		"no signature":        "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request,SignedHeaders=host",
		"short credential":    "AWS4-HMAC-SHA256 Credential=A/20130524/r/aws4_request,SignedHeaders=host,Signature=" + sig,
		"bad date":            "AWS4-HMAC-SHA256 Credential=A/2013-05-24/r/s/aws4_request,SignedHeaders=host,Signature=" + sig,
		"unsorted headers":    "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request,SignedHeaders=x-amz-date;host,Signature=" + sig,
		"upper-case header":   "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request,SignedHeaders=Host,Signature=" + sig,
		"repeated part":       "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request,Credential=A/20130524/r/s/aws4_request,SignedHeaders=host,Signature=" + sig,
		"short signature":     "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request,SignedHeaders=host,Signature=abc",
		"unknown part":        "AWS4-HMAC-SHA256 Credential=A/20130524/r/s/aws4_request,SignedHeaders=host,Signature=" + sig + ",Extra=1",
		"empty access key id": "AWS4-HMAC-SHA256 Credential=/20130524/r/s/aws4_request,SignedHeaders=host,Signature=" + sig,
	}
	for name, h := range bad {
		if _, err := sigv4.ParseAuthorization(h); err == nil {
			t.Errorf("%s: %q parsed", name, h)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=;, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,==")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := sigv4.ParseAuthorization(h)
		if err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) || e.Code != sigv4.CodeIncompleteSignature {
				t.Fatalf("error %T %v, want a *sigv4.Error %s", err, err, sigv4.CodeIncompleteSignature)
			}
			return
		}
		if len(a.Signature) != 64 || len(a.SignedHeaders) == 0 || len(a.Date) != 8 {
			t.Fatalf("accepted %q as %+v", h, a)
		}
	})
}

// FuzzVerify: any Authorization header, X-Amz-Date, payload hash and query
// string is refused with a *sigv4.Error (never a panic, never accepted
// without the secret).
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential="+keyID+"/20260101/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature="+strings.Repeat("0", 64), "20260101T000000Z", "UNSIGNED-PAYLOAD", "list-type=2")
	f.Add("", "", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+keyID+"%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature="+strings.Repeat("a", 64))
	f.Add("", "", "", "AWSAccessKeyId=x&Signature=y&Expires=1")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request", "x", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "%zz=1&&=")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := &sigv4.Verifier{AccessKeyID: keyID, SecretAccessKey: secret, Now: func() time.Time { return at }}
	f.Fuzz(func(t *testing.T, auth, date, payload, query string) {
		r := httptest.NewRequest("PUT", "http://127.0.0.1:8084/medic/x", strings.NewReader("body"))
		r.URL.RawQuery = query
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		r.Header.Set("X-Amz-Content-Sha256", payload)
		err := v.Verify(r)
		var e *sigv4.Error
		if err == nil {
			t.Fatalf("accepted a request not signed with the secret: auth %q date %q payload %q query %q", auth, date, payload, query)
		}
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v, want *sigv4.Error", err, err)
		}
	})
}
