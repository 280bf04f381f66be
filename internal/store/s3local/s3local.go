// Package s3local runs an S3-compatible server (gofakes3) inside the process,
// on loopback, so medic runs and is tested with the real AWS SDK and no AWS
// account. Data lives in memory or, with a directory, in a bolt database
// that survives restarts. Every request must be signed (AWS Signature V4)
// with the server's credentials and name it in its Host header; no browser
// origin may call it unless Options.CORSOrigins names it.
package s3local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	bolt "go.etcd.io/bbolt"

	"github.com/medic-dev/medic/internal/localauth"
)

// Options configure a Server.
type Options struct {
	// Dir persists objects in Dir/s3.db; empty keeps them in memory.
	Dir string
	// Now is the server's clock for LastModified; nil means the wall clock.
	Now func() time.Time
	// Addr to listen on; empty means 127.0.0.1 on a free port.
	Addr string
	// Buckets are created at start if absent.
	Buckets []string
	// Credentials are the only key pair the server accepts; new random
	// ones when zero (see Server.Credentials).
	Credentials localauth.Credentials
	// CORSOrigins may call the server from a browser; none when empty.
	CORSOrigins []string
}

// Server is a running embedded S3 endpoint.
type Server struct {
	URL   string // http://127.0.0.1:PORT
	creds localauth.Credentials
	srv   *http.Server
	ln    net.Listener
	db    *bolt.DB
	done  chan struct{}
}

type timeSource func() time.Time

func (t timeSource) Now() time.Time { return t() }
func (t timeSource) Since(x time.Time) time.Duration {
	return t().Sub(x)
}

// Start starts a server and creates its buckets.
func Start(opts Options) (*Server, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	creds := opts.Credentials
	if creds.IsZero() {
		var err error
		if creds, err = localauth.Generate(); err != nil {
			return nil, err
		}
	}
	if err := localauth.CheckOrigins(opts.CORSOrigins); err != nil {
		return nil, err
	}
	ts := timeSource(now)
	var backend gofakes3.Backend
	var db *bolt.DB
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("create state directory %s: %w", opts.Dir, err)
		}
		path := filepath.Join(opts.Dir, "s3.db")
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
		if err != nil {
			if errors.Is(err, bolt.ErrTimeout) {
				return nil, fmt.Errorf("open %s: another medic process is using this state directory", path)
			}
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		backend = newCopyingBolt(db, s3bolt.WithTimeSource(ts))
	} else {
		backend = s3mem.New(s3mem.WithTimeSource(ts))
	}
	for _, b := range opts.Buckets {
		if err := backend.CreateBucket(b); err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrBucketAlreadyExists) {
			closeDB(db)
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithTimeSource(ts), gofakes3.WithLogger(gofakes3.DiscardLog()),
		// The clock may be a test's or the demo's, far from the signer's
		// wall clock; the guard checks the signature's time on the wall clock.
		gofakes3.WithTimeSkewLimit(0))
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		closeDB(db)
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	guard := localauth.Guard{Credentials: creds, Protocol: localauth.S3, Origins: opts.CORSOrigins, Addr: ln.Addr()}
	s := &Server{
		URL:   "http://" + ln.Addr().String(),
		creds: creds,
		srv:   &http.Server{Handler: guard.Handler(faker.Server()), ReadHeaderTimeout: 10 * time.Second},
		ln:    ln,
		db:    db,
		done:  make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and closes its database.
func (s *Server) Close() error {
	// Requests in flight get a moment to finish; idle keep-alive connections
	// the SDK left open are then closed rather than waited for.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	if s.db != nil {
		if cerr := s.db.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func closeDB(db *bolt.DB) {
	if db != nil {
		_ = db.Close()
	}
}

// Credentials are the key pair the server accepts.
func (s *Server) Credentials() localauth.Credentials { return s.creds }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Client returns a real S3 client for the server, signing with its
// credentials.
func (s *Server) Client() *s3.Client { return NewClient(s.URL, s.creds) }

// NewClient returns a real S3 client for endpoint (path-style, region
// us-east-1) that signs with creds, as medic uses for its local store.
func NewClient(endpoint string, creds localauth.Credentials) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  creds,
		// gofakes3 does not implement the flexible-checksum trailers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
