// Package store reads and writes medic's bucket through the real S3 API:
// plain and conditional puts, gets and paginated lists. It works the same
// against AWS S3 and against the embedded server in store/s3local.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Bucket prefixes. See DESIGN.md, "The bucket".
const (
	PrefixConfig = "config/"
	PrefixPulse  = "pulse/"
	PrefixEcho   = "echo/"
	PrefixState  = "state/"
	PrefixOutbox = "outbox/"
)

// ErrNotFound is returned by Get when the key does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by a conditional Put whose condition failed
// (412 PreconditionFailed) or that raced another write (409
// ConditionalRequestConflict): re-read and try again. The two causes are
// told apart by ErrPreconditionFailed and ErrConcurrentWrite, which both
// match ErrConflict with errors.Is.
var ErrConflict = errors.New("conditional write conflict")

// ErrPreconditionFailed is a 412: the condition did not hold (with
// If-None-Match, the object exists; with If-Match, its ETag changed).
var ErrPreconditionFailed = fmt.Errorf("precondition failed: %w", ErrConflict)

// ErrConcurrentWrite is a 409 ConditionalRequestConflict: another write to
// the key was in progress, so nothing is known about the condition yet.
var ErrConcurrentWrite = fmt.Errorf("a concurrent write to the same key was in progress: %w", ErrConflict)

// API is the part of the S3 client the store uses.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ API = (*s3.Client)(nil)

// Store is one bucket.
type Store struct {
	api    API
	bucket string
}

// New returns a Store for bucket.
func New(api API, bucket string) *Store { return &Store{api: api, bucket: bucket} }

// Bucket names the bucket.
func (s *Store) Bucket() string { return s.bucket }

// Object is a stored object's content and version.
type Object struct {
	Key          string
	Body         []byte
	ETag         string
	LastModified time.Time
}

// Info describes an object in a listing.
type Info struct {
	Key          string
	ETag         string
	Size         int64
	LastModified time.Time
}

// MaxObjectBytes caps what Get reads: a larger object is a mistake or an
// attack, not data. The largest medic writes are state/status.json (about
// 12 MiB at 10,000 targets all failing, see status.MaxFailureBytes) and a
// scale-mode run's target list.
const MaxObjectBytes = 16 << 20

// TooLargeError is an object larger than the reader's limit; nothing past
// the limit was read.
type TooLargeError struct {
	Bucket, Key string
	Limit       int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("read s3://%s/%s: object is larger than %d bytes", e.Bucket, e.Key, e.Limit)
}

// Get reads key. It returns an error wrapping ErrNotFound when key is
// absent, and a *TooLargeError when it is over MaxObjectBytes.
func (s *Store) Get(ctx context.Context, key string) (Object, error) {
	return s.GetLimit(ctx, key, MaxObjectBytes)
}

// GetLimit is Get with a limit of its own: it reads at most limit+1 bytes
// of the body and returns a *TooLargeError when there are more.
func (s *Store) GetLimit(ctx context.Context, key string, limit int64) (Object, error) {
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if isCode(err, "NoSuchKey", "NotFound") {
			return Object{}, fmt.Errorf("get s3://%s/%s: %w", s.bucket, key, ErrNotFound)
		}
		if isCode(err, "AccessDenied") && s.absent(ctx, key) {
			return Object{}, fmt.Errorf("get s3://%s/%s: %w", s.bucket, key, ErrNotFound)
		}
		return Object{}, fmt.Errorf("get s3://%s/%s: %w", s.bucket, key, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > limit {
		return Object{}, &TooLargeError{Bucket: s.bucket, Key: key, Limit: limit}
	}
	body, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return Object{}, fmt.Errorf("read s3://%s/%s: %w", s.bucket, key, err)
	}
	if int64(len(body)) > limit {
		return Object{}, &TooLargeError{Bucket: s.bucket, Key: key, Limit: limit}
	}
	return Object{
		Key:          key,
		Body:         body,
		ETag:         aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified),
	}, nil
}

// absent reports whether a listing with key as its prefix shows no object
// named key. S3 answers a GET of a missing key with 403 instead of 404 unless
// the caller may list the whole bucket; medic's roles may list only their
// prefixes, so a 403 is told apart from a real denial this way.
func (s *Store) absent(ctx context.Context, key string) bool {
	out, err := s.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &key, MaxKeys: aws.Int32(1)})
	if err != nil {
		return false
	}
	return len(out.Contents) == 0 || aws.ToString(out.Contents[0].Key) != key
}

// Condition makes a Put conditional.
type Condition struct {
	// IfMatch writes only if the object's current ETag is this one.
	IfMatch string
	// IfNoneMatch writes only if no object exists at the key.
	IfNoneMatch bool
}

// Put writes body to key and returns the new ETag. With a condition that
// does not hold, it returns an error wrapping ErrConflict.
func (s *Store) Put(ctx context.Context, key string, body []byte, cond Condition) (string, error) {
	in := &s3.PutObjectInput{
		Bucket:      &s.bucket,
		Key:         &key,
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	}
	if cond.IfMatch != "" {
		in.IfMatch = aws.String(cond.IfMatch)
	}
	if cond.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	out, err := s.api.PutObject(ctx, in)
	if err != nil {
		if isCode(err, "PreconditionFailed") {
			return "", fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, ErrPreconditionFailed)
		}
		if isCode(err, "ConditionalRequestConflict") {
			return "", fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, ErrConcurrentWrite)
		}
		return "", fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, err)
	}
	return aws.ToString(out.ETag), nil
}

// PutContent writes body to key, unconditionally, with the given
// Content-Type (a page that a browser opens must say it is HTML).
func (s *Store) PutContent(ctx context.Context, key string, body []byte, contentType string) (string, error) {
	out, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      &s.bucket,
		Key:         &key,
		Body:        bytes.NewReader(body),
		ContentType: aws.String(contentType),
	})
	if err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, err)
	}
	return aws.ToString(out.ETag), nil
}

// GetJSON reads key and decodes it into v, returning the object's ETag.
func (s *Store) GetJSON(ctx context.Context, key string, v any) (string, error) {
	obj, err := s.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(obj.Body, v); err != nil {
		return "", fmt.Errorf("decode s3://%s/%s: %w", s.bucket, key, err)
	}
	return obj.ETag, nil
}

// PutJSON encodes v and writes it to key under cond.
func (s *Store) PutJSON(ctx context.Context, key string, v any, cond Condition) (string, error) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", key, err)
	}
	return s.Put(ctx, key, body, cond)
}

// Delete removes key; deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		return fmt.Errorf("delete s3://%s/%s: %w", s.bucket, key, err)
	}
	return nil
}

// List returns every object under prefix, following continuation tokens.
func (s *Store) List(ctx context.Context, prefix string) ([]Info, error) {
	infos, _, err := s.ListLimit(ctx, prefix, 0)
	return infos, err
}

// ListLimit is List that stops after the page on which it has max objects
// (no limit when max < 1); more says that the listing had more objects.
func (s *Store) ListLimit(ctx context.Context, prefix string, max int) (infos []Info, more bool, err error) {
	p := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		if max > 0 && len(infos) >= max {
			return infos, true, nil
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			infos = append(infos, Info{
				Key:          aws.ToString(o.Key),
				ETag:         aws.ToString(o.ETag),
				Size:         aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified),
			})
		}
	}
	return infos, false, nil
}

// Refused reports whether err is S3's answer that this one object cannot
// be read by this caller as it is (a 4xx other than 404: access denied, an
// archived object, a key encrypted with a key the caller may not use), as
// opposed to S3 or the network failing (5xx, throttling, timeouts), which
// a retry may cure.
func Refused(err error) bool {
	var tooLarge *TooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) {
		return false
	}
	code := re.HTTPStatusCode()
	return code >= 400 && code < 500 && code != 404 && code != 408 && code != 429
}

func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}
