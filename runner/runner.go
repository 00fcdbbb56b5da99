// Package runner runs one named operation resiliently: a timeout per attempt, retries with
// jittered exponential backoff that honour a server's Retry-After, an overall budget, and a
// circuit breaker, while it keeps metrics and a health signal the UI can watch.
//
// Every Microsoft Graph call goes through a Runner. The runner knows nothing of Graph: errors
// tell it what they mean through a Classifier and the HTTPStatus/RetryAfter methods.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// ErrOpen is matched (errors.Is) by the error Do returns without calling the operation because
// the circuit breaker is open, or half-open with its one probe already in flight.
var ErrOpen = errors.New("circuit breaker open")

// Config sets a Runner's limits. Start from DefaultConfig; New rejects values that make no sense.
type Config struct {
	AttemptTimeout   time.Duration // limit for one attempt
	MaxAttempts      int           // attempts per call, the first included
	BaseDelay        time.Duration // backoff before the second attempt, before jitter; 0 retries at once
	Multiplier       float64       // backoff growth per attempt
	MaxDelay         time.Duration // cap on one backoff wait (not on a server's Retry-After)
	Budget           time.Duration // limit for a whole call, waits included
	FailureThreshold int           // consecutive failed calls that open the breaker
	OpenTimeout      time.Duration // how long the breaker stays open before it lets a probe through

	// Bypass is the kill switch: one attempt per call, no retry, no breaker, still timed and
	// recorded. main sets it from CALTRAY_RUNNER (ParseKillSwitch).
	Bypass bool

	Classify Classifier     // nil means DefaultClassify
	Clock    Clock          // nil means SystemClock
	Rand     func() float64 // jitter source in [0, 1); nil means math/rand/v2
	Logger   *slog.Logger   // nil means slog.Default()
}

// DefaultConfig returns the limits caltray uses for Graph calls.
func DefaultConfig() Config {
	return Config{
		AttemptTimeout:   30 * time.Second,
		MaxAttempts:      3,
		BaseDelay:        time.Second,
		Multiplier:       2,
		MaxDelay:         30 * time.Second,
		Budget:           2 * time.Minute,
		FailureThreshold: 5,
		OpenTimeout:      60 * time.Second,
	}
}

// KillSwitchEnv is the environment variable that turns the runner off ("off") or on ("on", or unset).
const KillSwitchEnv = "CALTRAY_RUNNER"

// ParseKillSwitch reads the kill switch's value (KillSwitchEnv): "off" bypasses the runner, "on"
// or empty does not, and anything else is an error, so a typo cannot silently change behaviour.
func ParseKillSwitch(v string) (bypass bool, err error) {
	switch v {
	case "", "on":
		return false, nil
	case "off":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: want \"on\" or \"off\"", KillSwitchEnv, v)
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.AttemptTimeout > 0, "AttemptTimeout must be positive, got %v", c.AttemptTimeout)
	check(c.MaxAttempts >= 1, "MaxAttempts must be at least 1, got %d", c.MaxAttempts)
	check(c.BaseDelay >= 0, "BaseDelay must not be negative, got %v", c.BaseDelay)
	check(c.Multiplier >= 1 && !math.IsInf(c.Multiplier, 0), "Multiplier must be a finite number >= 1, got %v", c.Multiplier)
	check(c.MaxDelay >= c.BaseDelay, "MaxDelay (%v) must not be below BaseDelay (%v)", c.MaxDelay, c.BaseDelay)
	check(c.Budget >= c.AttemptTimeout, "Budget (%v) must be at least AttemptTimeout (%v)", c.Budget, c.AttemptTimeout)
	check(c.FailureThreshold >= 1, "FailureThreshold must be at least 1, got %d", c.FailureThreshold)
	check(c.OpenTimeout > 0, "OpenTimeout must be positive, got %v", c.OpenTimeout)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("runner: invalid configuration: %w", err)
	}
	return nil
}

// A Runner runs operations under one configuration and one circuit breaker. It is safe for
// concurrent use. Its zero value is not usable: call New.
type Runner struct {
	cfg      Config
	classify Classifier
	clock    Clock
	rand     func() float64
	log      *slog.Logger

	// The breaker counts consecutive failed calls and allows one probe when half-open.
	// gobreaker reads the wall clock and has no way to inject another, so the open period is
	// timed here, on r.clock: gobreaker's own open timeout is a nanosecond, and openUntil keeps
	// calls away from it until the configured OpenTimeout has passed on our clock.
	cb *gobreaker.CircuitBreaker[struct{}]

	// Read on every call without the lock; written under mu by onBreakerChange.
	state     atomic.Int32 // gobreaker.State as last reported by gobreaker
	openUntil atomic.Int64 // UnixNano; while in the future, calls are rejected with ErrOpen

	mu          sync.Mutex
	openTimeout time.Duration // cfg.OpenTimeout until SetOpenTimeout changes it
	failures    int           // consecutive calls that failed with a retryable error
	lastSuccess time.Time
	lastError   string
	lastKind    Kind
	retryAt     time.Time // when the service said, or the breaker decided, to try again
	ops         map[string]*opStats
}

// New returns a Runner for cfg. Settings out of range are rejected with an error naming them.
func New(cfg Config) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &Runner{
		cfg:      cfg,
		classify: cfg.Classify,
		clock:    cfg.Clock,
		rand:     cfg.Rand,
		log:      cfg.Logger,
		ops:      make(map[string]*opStats),

		openTimeout: cfg.OpenTimeout,
	}
	if r.classify == nil {
		r.classify = DefaultClassify
	}
	if r.clock == nil {
		r.clock = SystemClock
	}
	if r.rand == nil {
		r.rand = rand.Float64
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	threshold := uint32(cfg.FailureThreshold)
	r.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "runner",
		MaxRequests: 1,
		Timeout:     time.Nanosecond,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= threshold },
		IsExcluded:  func(err error) bool { return err == errNotCounted },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			r.onBreakerChange(from, to)
		},
	})
	return r, nil
}

// errFailed and errNotCounted are what the runner reports to gobreaker for a call's outcome.
var (
	errFailed     = errors.New("call failed")
	errNotCounted = errors.New("call outcome not counted")
)

// onBreakerChange runs inside gobreaker's lock; it must not call back into the breaker.
func (r *Runner) onBreakerChange(from, to gobreaker.State) {
	now := r.clock.Now()
	r.mu.Lock()
	r.state.Store(int32(to))
	if to == gobreaker.StateOpen {
		r.retryAt = now.Add(r.openTimeout)
		r.openUntil.Store(r.retryAt.UnixNano())
	}
	r.mu.Unlock()
	r.log.Info("circuit breaker state changed", "from", from.String(), "to", to.String())
}

// SetOpenTimeout changes how long the breaker stays open from its next opening on, and returns
// the period it replaces. An open period already under way keeps its end. The demo's simulated
// outage uses it to play the breaker's whole cycle in seconds (sync.Pace); d must be positive.
func (r *Runner) SetOpenTimeout(d time.Duration) (previous time.Duration, err error) {
	if d <= 0 {
		return 0, fmt.Errorf("runner: OpenTimeout must be positive, got %v", d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	previous, r.openTimeout = r.openTimeout, d
	return previous, nil
}

// Error is what Do returns when a call did not succeed. It wraps the last attempt's error (or
// ErrOpen), so errors.Is and errors.As reach the cause.
type Error struct {
	Op       string
	Class    Class
	Kind     Kind
	Attempts int       // attempts made; 0 when the breaker rejected the call
	RetryAt  time.Time // when trying again may succeed (breaker, Retry-After); zero if unknown
	// Now is when the error was made: RetryAt is written with its date when it falls on
	// another day (ClockTime), and always with it when Now is zero.
	Now time.Time
	Err error
}

func (e *Error) Error() string {
	if errors.Is(e.Err, ErrOpen) {
		if e.RetryAt.IsZero() {
			return fmt.Sprintf("%s: %v", e.Op, e.Err)
		}
		return fmt.Sprintf("%s: %v until %s", e.Op, e.Err, ClockTime(e.RetryAt, e.Now, time.TimeOnly))
	}
	s := fmt.Sprintf("%s: %v", e.Op, e.Err)
	if e.Attempts > 1 {
		s = fmt.Sprintf("%s (after %d attempts)", s, e.Attempts)
	}
	if !e.RetryAt.IsZero() {
		s = fmt.Sprintf("%s; retry at %s", s, ClockTime(e.RetryAt, e.Now, time.TimeOnly))
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// PanicError is an operation's panic, turned into an error so that it never crashes the app.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("operation panicked: %v", e.Value) }

// Do runs op under r: each attempt gets its own timeout derived from ctx, failed attempts are
// retried per the error's class, and the breaker may reject the call without running op.
// Canceling ctx stops everything at once, a backoff wait included. name keys the metrics.
func Do[T any](ctx context.Context, r *Runner, name string, op func(context.Context) (T, error)) (T, error) {
	var zero T
	start := r.clock.Now()
	if r.cfg.Bypass {
		v, err := attempt(ctx, r, start, start.Add(r.cfg.Budget), op)
		end := r.later(start)
		if err == nil {
			r.finish(name, start, end, 1, end.Sub(start), nil)
			return v, nil
		}
		e := r.failure(ctx, name, 1, end, err)
		r.finish(name, start, end, 1, end.Sub(start), e)
		return zero, e
	}
	if err := r.admit(name, start); err != nil {
		return zero, err
	}

	// The whole call, retries included, is one request to the breaker: it opens after
	// FailureThreshold failed calls, not attempts. The closure reports the call's outcome to
	// gobreaker as errFailed or errNotCounted; the caller gets the real error.
	var (
		v T
		e *Error
	)
	_, cbErr := r.cb.Execute(func() (struct{}, error) {
		v, e = retry(ctx, r, name, start, op)
		switch {
		case e == nil:
			return struct{}{}, nil
		case e.Class == ClassRetryable:
			return struct{}{}, errFailed
		default:
			return struct{}{}, errNotCounted
		}
	})
	if cbErr == gobreaker.ErrTooManyRequests || cbErr == gobreaker.ErrOpenState {
		// gobreaker refuses while half-open with the probe in flight; its own open period
		// is a nanosecond, ours was checked by admit.
		return zero, r.reject(name, start, time.Time{}, "half-open: waiting for the probe call")
	}
	if e != nil {
		return zero, e
	}
	return v, nil
}

// retry makes the attempts of one call admitted by the breaker, and records the call.
func retry[T any](ctx context.Context, r *Runner, name string, start time.Time, op func(context.Context) (T, error)) (T, *Error) {
	maxAttempts := r.cfg.MaxAttempts
	if gobreaker.State(r.state.Load()) == gobreaker.StateHalfOpen {
		maxAttempts = 1 // a probe asks one question; retrying it would hammer a sick service
	}
	deadline := start.Add(r.cfg.Budget)
	aStart := start
	for n := 1; ; n++ {
		v, err := attempt(ctx, r, aStart, deadline, op)
		aEnd := r.later(aStart)
		if err == nil {
			r.finish(name, start, aEnd, n, aEnd.Sub(aStart), nil)
			return v, nil
		}

		e := r.failure(ctx, name, n, aEnd, err)
		wait := r.backoff(n)
		if !e.RetryAt.IsZero() {
			wait = e.RetryAt.Sub(aEnd) // the server's word, exactly: never shortened by jitter
		}
		again := (e.Class == ClassRetryable || e.Class == ClassThrottled) &&
			n < maxAttempts && !aEnd.Add(wait).After(deadline)
		if again {
			if err := r.sleep(ctx, wait); err != nil {
				e.Class, e.Err = ClassCanceled, errors.Join(err, e.Err)
				again = false
			}
		}
		if !again {
			r.finish(name, start, r.clock.Now(), n, aEnd.Sub(aStart), e)
			var zero T
			return zero, e
		}
		r.recordAttempt(name, aEnd.Sub(aStart))
		aStart = r.clock.Now()
	}
}

// failure wraps a failed attempt's error with its class and, if the error carries a
// Retry-After, the time it names.
func (r *Runner) failure(ctx context.Context, name string, attempts int, now time.Time, err error) *Error {
	class, kind := r.classOf(ctx, err)
	e := &Error{Op: name, Class: class, Kind: kind, Attempts: attempts, Now: now, Err: err}
	if e.Class == ClassRetryable || e.Class == ClassThrottled {
		if ra := retryAfter(err); ra > 0 {
			e.RetryAt = now.Add(ra)
		}
	}
	return e
}

// attempt runs op once with its own timeout: the attempt limit, cut to what is left of the
// call's budget. A panic in op becomes a *PanicError.
func attempt[T any](ctx context.Context, r *Runner, now, deadline time.Time, op func(context.Context) (T, error)) (v T, err error) {
	timeout := min(r.cfg.AttemptTimeout, deadline.Sub(now))
	var actx context.Context
	var cancel context.CancelFunc
	if r.clock == SystemClock {
		// now is a time.Now reading with its monotonic part, so WithDeadline needs no second
		// full clock reading (WithTimeout would take one): a tenth of a call's cost here.
		actx, cancel = context.WithDeadline(ctx, now.Add(timeout))
	} else {
		// Attempt deadlines are real time whatever clock the runner waits on: they bound real I/O.
		actx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			pe := &PanicError{Value: p, Stack: debug.Stack()}
			r.log.Error("operation panicked", "panic", fmt.Sprint(p), "stack", string(pe.Stack))
			var zero T
			v, err = zero, pe
		}
	}()
	return op(actx)
}

// classOf classifies an attempt's error: the caller's cancellation first, whatever op said.
func (r *Runner) classOf(ctx context.Context, err error) (Class, Kind) {
	if ctx.Err() != nil {
		return ClassCanceled, KindOther
	}
	return r.classify(err)
}

// backoff is the wait after failed attempt n: full jitter over BaseDelay*Multiplier^(n-1), capped.
func (r *Runner) backoff(n int) time.Duration {
	d := float64(r.cfg.BaseDelay) * math.Pow(r.cfg.Multiplier, float64(n-1))
	d = math.Min(d, float64(r.cfg.MaxDelay))
	return time.Duration(r.rand() * d)
}

// later returns the time now, given an earlier reading t of r's clock. On the system clock it
// reads only the monotonic clock, which costs a fraction of a full time.Now here.
func (r *Runner) later(t time.Time) time.Time {
	if r.clock == SystemClock {
		return t.Add(time.Since(t))
	}
	return r.clock.Now()
}

// sleep waits d on r's clock, or until ctx ends.
func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := r.clock.NewTimer(d)
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

// admit rejects the call while the breaker's open period lasts.
func (r *Runner) admit(name string, now time.Time) error {
	if until := r.openUntil.Load(); until != 0 && now.UnixNano() < until {
		return r.reject(name, now, time.Unix(0, until), "")
	}
	return nil
}

// reject turns a call away while the breaker is open. The rejection is the last call's error
// (kind breaker_open) but not a failure: the breaker counts what the service did, not this.
func (r *Runner) reject(name string, now, retryAt time.Time, why string) error {
	err := ErrOpen
	if why != "" {
		err = fmt.Errorf("%w (%s)", ErrOpen, why)
	}
	e := &Error{Op: name, Class: ClassRetryable, Kind: KindBreakerOpen, RetryAt: retryAt, Now: now, Err: err}
	r.mu.Lock()
	r.stats(name).rejected++
	r.lastError, r.lastKind = strings.TrimPrefix(e.Error(), name+": "), KindBreakerOpen
	r.mu.Unlock()
	return e
}

// recordAttempt records the duration of an attempt that is followed by another.
func (r *Runner) recordAttempt(name string, d time.Duration) {
	r.mu.Lock()
	r.stats(name).attemptDur.add(d)
	r.mu.Unlock()
}

// finish records a call's outcome in the metrics and the state. e is nil on success.
// lastAttempt is the duration of the call's last attempt; earlier ones went to recordAttempt.
func (r *Runner) finish(name string, start, end time.Time, attempts int, lastAttempt time.Duration, e *Error) {
	r.mu.Lock()
	s := r.stats(name)
	s.calls++
	s.attempts += int64(attempts)
	s.callDur.add(end.Sub(start))
	s.attemptDur.add(lastAttempt)
	switch {
	case e == nil:
		s.successes++
		r.lastSuccess = end
		r.failures = 0
		r.lastError, r.lastKind = "", KindNone
		r.retryAt = time.Time{}
	case e.Class == ClassCanceled:
		s.failures[ClassCanceled]++ // the caller's choice says nothing about the service
	default:
		s.failures[e.Class]++
		r.lastError, r.lastKind = e.Err.Error(), e.Kind
		if e.Class == ClassRetryable {
			r.failures++ // the calls the breaker counts (or would, were it not bypassed)
		}
		if !e.RetryAt.IsZero() && e.RetryAt.After(r.retryAt) {
			r.retryAt = e.RetryAt
		}
	}
	r.mu.Unlock()

	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		attrs := []slog.Attr{slog.String("op", name), slog.Duration("duration", end.Sub(start)), slog.Int("attempts", attempts)}
		if e != nil {
			attrs = append(attrs, slog.String("class", e.Class.String()), slog.String("error", e.Err.Error()))
		}
		r.log.LogAttrs(context.Background(), slog.LevelDebug, "runner call", attrs...)
	}
}
