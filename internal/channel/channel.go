// Package channel delivers alerts to the places people read them. Each
// service has its own small package (slack, discord, line, sns, webhook)
// with a Sender; channel/registry builds the right one from the targets
// file's channel settings. This package holds what they share: the Sender
// interface, the classified Error and a JSON POST that classifies responses
// and keeps secrets out of errors.
package channel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
)

// Sender delivers one alert to one channel. A nil error means the channel
// accepted the alert; any other error should be an *Error that says whether
// trying again later can help.
type Sender interface {
	Send(ctx context.Context, a outbox.Alert) error
}

// Error is a failed delivery, classified. Its text never holds a secret.
type Error struct {
	// Retryable is true for failures that may pass on a later try: 429,
	// 5xx, timeouts and connection errors. False means the channel refused
	// the alert for good (another 4xx, a bad setting).
	Retryable bool
	// Status is the HTTP status code, 0 when there was no response.
	Status int
	// RetryAfter is the service's hint of when to try again (Retry-After,
	// Discord's retry_after), 0 when it gave none.
	RetryAfter time.Duration
	// Err says what went wrong, with secrets already removed.
	Err error
}

func (e *Error) Error() string {
	s := "rejected"
	if e.Retryable {
		s = "retryable"
	}
	if e.Status != 0 {
		s += fmt.Sprintf(": status %d", e.Status)
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying (redacted) error.
func (e *Error) Unwrap() error { return e.Err }

// Rejectedf returns a permanent *Error with a formatted message.
func Rejectedf(format string, args ...any) *Error {
	return &Error{Err: fmt.Errorf(format, args...)}
}

// Retryablef returns a transient *Error with a formatted message.
func Retryablef(format string, args ...any) *Error {
	return &Error{Retryable: true, Err: fmt.Errorf(format, args...)}
}

// IsRetryable reports whether a failed delivery may succeed later. An error
// that is not an *Error is treated as transient, so that an alert is kept
// rather than lost when a failure is not understood.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Retryable
	}
	return true
}

// ClassifyStatus maps an HTTP status to nil (2xx), a retryable *Error (429,
// 5xx) or a rejection (anything else).
func ClassifyStatus(status int, retryAfter time.Duration, detail string) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == 429 || status >= 500:
		return &Error{Retryable: true, Status: status, RetryAfter: retryAfter, Err: errorOrNil(detail)}
	default:
		return &Error{Status: status, Err: errorOrNil(detail)}
	}
}

func errorOrNil(detail string) error {
	if detail == "" {
		return nil
	}
	return errors.New(detail)
}
