package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
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

// A Kind names what went wrong, for people and programs: the UI chooses its words by it and
// programs switch on it ("last_error_kind" in docs/DESIGN.md), never on an error's text.
type Kind string

// The kinds of failure; their strings are a contract.
const (
	KindNone        Kind = ""             // no error
	KindSignIn      Kind = "signin"       // the credential is missing, expired or rejected
	KindKeyring     Kind = "keyring"      // no OS keyring to keep the sign-in in
	KindThrottled   Kind = "throttled"    // the service asked us to slow down (429)
	KindServer      Kind = "server"       // the service failed (5xx)
	KindTimeout     Kind = "timeout"      // no answer in time (an attempt's deadline, 408)
	KindNetwork     Kind = "network"      // no connection, or one broken off
	KindUnreadable  Kind = "unreadable"   // an answer that could not be read: malformed, too large
	KindBreakerOpen Kind = "breaker_open" // the circuit breaker turned the call away
	KindRefused     Kind = "refused"      // any other 4xx, or a redirect to another origin
	KindOther       Kind = "other"        // anything else
)

// A Classifier sorts an attempt's error into a Class, for retrying and the breaker, and a
// Kind, for the health. It is called only with non-nil errors, and only while the caller's
// context is still live (Do classifies caller cancellation itself).
type Classifier func(error) (Class, Kind)

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
//   - errors marked with Permanent, and panics: ClassPermanent, KindOther;
//   - an HTTP status (an error with an HTTPStatus() int method): 429 is ClassThrottled; 408, 500,
//     502, 503 and 504 are ClassRetryable; any other 4xx or 5xx is ClassPermanent; the kind is
//     throttled, timeout (408), server (5xx), signin (401) or refused (other 4xx, and 3xx:
//     a redirect the transport would not follow);
//   - anything else is ClassRetryable: an attempt's own deadline (KindTimeout), network errors,
//     a connection reset or refused, a body cut short (KindNetwork), and failures we cannot name
//     (KindOther), since an unknown failure of a remote service is more often transient than
//     not, and the breaker stops a persistent one from being retried for long.
func DefaultClassify(err error) (Class, Kind) {
	var p *PanicError
	if errors.As(err, &p) {
		return ClassPermanent, KindOther
	}
	class, kind := ClassRetryable, networkKind(err)
	var hs httpStatuser
	if errors.As(err, &hs) {
		switch s := hs.HTTPStatus(); {
		case s == 429:
			class, kind = ClassThrottled, KindThrottled
		case s == 408:
			class, kind = ClassRetryable, KindTimeout
		case s == 500, s == 502, s == 503, s == 504:
			class, kind = ClassRetryable, KindServer
		case s > 500:
			class, kind = ClassPermanent, KindServer
		case s == 401:
			class, kind = ClassPermanent, KindSignIn
		case s >= 300:
			class, kind = ClassPermanent, KindRefused
		}
	}
	var perm *permanentError
	if errors.As(err, &perm) {
		class = ClassPermanent
	}
	return class, kind
}

// networkKind names an error that carries no HTTP status: timeout, network or other.
func networkKind(err error) Kind {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return KindTimeout
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return KindNetwork
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return KindNetwork
	}
	return KindOther
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
