package runner

import (
	"errors"
	"time"
)

// A Class says what an error means for retrying and for the circuit breaker.
type Class int

// The classes a Classifier returns.
const (
	// ClassRetryable is a transient failure: the call is retried, and if it still fails it
	// counts against the breaker.
	ClassRetryable Class = iota + 1
	// ClassThrottled is the service asking us to slow down (HTTP 429). Its Retry-After governs
	// the next attempt; it is not a breaker failure, since the service is up.
	ClassThrottled
	// ClassPermanent is a failure that retrying cannot fix (most 4xx, bad input, a bug). It is
	// returned at once and does not count against the breaker.
	ClassPermanent
	// ClassCanceled means the caller gave up. Never retried, never counted.
	ClassCanceled
)

func (c Class) String() string {
	switch c {
	case ClassRetryable:
		return "retryable"
	case ClassThrottled:
		return "throttled"
	case ClassPermanent:
		return "permanent"
	case ClassCanceled:
		return "canceled"
	}
	return "unknown"
}

// A Classifier sorts an attempt's error into a Class. It is called only with non-nil errors,
// and only while the caller's context is still live (Do classifies caller cancellation itself).
type Classifier func(error) Class

// Errors that carry an HTTP status or a server's Retry-After implement these; DefaultClassify
// and Do find them anywhere in the error chain with errors.As.
type (
	httpStatuser interface{ HTTPStatus() int }
	retryAfterer interface{ RetryAfter() time.Duration }
)

// Permanent marks err as not worth retrying (bad input, a validation failure).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// DefaultClassify is the Classifier used when Config.Classify is nil.
//
//   - errors marked with Permanent, and panics: ClassPermanent;
//   - an HTTP status (an error with an HTTPStatus() int method): 429 is ClassThrottled; 408, 500,
//     502, 503 and 504 are ClassRetryable; any other 4xx or 5xx is ClassPermanent;
//   - anything else is ClassRetryable: an attempt's own deadline, network errors, a connection
//     reset or refused, a body cut short, and failures we cannot name, since an unknown failure of
//     a remote service is more often transient than not, and the breaker stops a persistent one
//     from being retried for long.
func DefaultClassify(err error) Class {
	var perm *permanentError
	var p *PanicError
	if errors.As(err, &perm) || errors.As(err, &p) {
		return ClassPermanent
	}
	var hs httpStatuser
	if errors.As(err, &hs) {
		switch s := hs.HTTPStatus(); {
		case s == 429:
			return ClassThrottled
		case s == 408, s == 500, s == 502, s == 503, s == 504:
			return ClassRetryable
		case s >= 400:
			return ClassPermanent
		}
	}
	return ClassRetryable
}

// retryAfter returns the Retry-After carried in err's chain, or 0.
func retryAfter(err error) time.Duration {
	var ra retryAfterer
	if errors.As(err, &ra) {
		if d := ra.RetryAfter(); d > 0 {
			return d
		}
	}
	return 0
}
