package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medic-dev/medic/internal/cost"
	"github.com/medic-dev/medic/internal/engine"
	"github.com/medic-dev/medic/internal/localauth"
)

// S3Counter is an http.RoundTripper that counts S3 requests by billing
// class: PUT, COPY and POST are writes, a GET with list-type=2 (or of the
// bucket itself) is a LIST and billed as a write, other GETs and HEADs are
// reads, DELETE is free. Every attempt is counted (retries are billed).
type S3Counter struct {
	Base                   http.RoundTripper
	writes, reads, deletes atomic.Int64
}

// RoundTrip counts req and passes it on.
func (c *S3Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodPut, http.MethodPost:
		c.writes.Add(1)
	case http.MethodGet:
		if req.URL.Query().Has("list-type") || strings.Count(strings.Trim(req.URL.Path, "/"), "/") == 0 {
			c.writes.Add(1)
		} else {
			c.reads.Add(1)
		}
	case http.MethodHead:
		c.reads.Add(1)
	case http.MethodDelete:
		c.deletes.Add(1)
	}
	base := c.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// Counts returns the writes (incl. LIST), reads and deletes so far.
func (c *S3Counter) Counts() (writes, reads, deletes int) {
	return int(c.writes.Load()), int(c.reads.Load()), int(c.deletes.Load())
}

// Reset zeroes the counts.
func (c *S3Counter) Reset() { c.writes.Store(0); c.reads.Store(0); c.deletes.Store(0) }

// CountedS3Client is s3local.NewClient's configuration with every request
// going through counter.
func CountedS3Client(endpoint string, creds localauth.Credentials, counter *S3Counter) *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                creds,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 &http.Client{Transport: counter},
	})
}

// ByteCounter is an io.Writer that only counts (the functions' JSON logs).
type ByteCounter struct{ n atomic.Int64 }

func (b *ByteCounter) Write(p []byte) (int, error) { b.n.Add(int64(len(p))); return len(p), nil }

// N returns the bytes written so far.
func (b *ByteCounter) N() int64 { return b.n.Load() }

// Reset zeroes the count.
func (b *ByteCounter) Reset() { b.n.Store(0) }

var _ io.Writer = (*ByteCounter)(nil)

// Meter times every bound function call as one Lambda invocation.
type Meter struct {
	mu  sync.Mutex
	run cost.Run
	// express sums, per Express child (keyed by its batch's first target),
	// the durations of the task calls it made.
	express map[string]time.Duration
	maxOut  map[string]int
}

// Wrap times f as invocations of the named function. With child set, the
// call is also part of an Express child execution keyed by key(payload).
func (m *Meter) Wrap(name string, f engine.Func, child func(payload json.RawMessage) string) engine.Func {
	return func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
		start := time.Now()
		out, err := f(ctx, p)
		d := time.Since(start)
		m.mu.Lock()
		m.run.AddInvocation(name, d)
		if m.maxOut == nil {
			m.maxOut = map[string]int{}
		}
		m.maxOut[name] = max(m.maxOut[name], len(out))
		if child != nil {
			if m.express == nil {
				m.express = map[string]time.Duration{}
			}
			m.express[child(p)] += d
		}
		m.mu.Unlock()
		return out, err
	}
}

// Take returns the run so far and the largest output of each function,
// and starts a new run.
func (m *Meter) Take() (cost.Run, map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.run
	for _, d := range m.express {
		r.AddExpress(d)
	}
	out := m.maxOut
	m.run, m.express, m.maxOut = cost.Run{}, nil, nil
	return r, out
}

// historyBytes is the JSON size of the events, as Step Functions would log
// them with includeExecutionData.
func historyBytes(events []engine.Event) int64 {
	var n int64
	for _, e := range events {
		b, _ := json.Marshal(e)
		n += int64(len(b))
	}
	return n
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
