package runner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/runner"
	"caltray/runner/fakeclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// httpErr is an error as the Graph source returns it: a status and maybe a Retry-After.
type httpErr struct {
	status int
	after  time.Duration
}

func (e *httpErr) Error() string             { return fmt.Sprintf("HTTP %d", e.status) }
func (e *httpErr) HTTPStatus() int           { return e.status }
func (e *httpErr) RetryAfter() time.Duration { return e.after }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newRunner returns a runner on a fake clock, with jitter fixed at the top of its range.
func newRunner(t *testing.T, edit func(*runner.Config)) (*runner.Runner, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(t0)
	cfg := runner.DefaultConfig()
	cfg.Clock = clk
	cfg.Logger = quiet
	cfg.Rand = func() float64 { return 1 }
	if edit != nil {
		edit(&cfg)
	}
	r, err := runner.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, clk
}

// call is a Do running in a goroutine, for tests that advance the clock while it waits.
type call struct {
	done chan struct{}
	err  error
}

func async[T any](r *runner.Runner, op func(context.Context) (T, error)) *call {
	c := &call{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		_, c.err = runner.Do(context.Background(), r, "op", op)
	}()
	return c
}

func (c *call) wait() error {
	<-c.done
	return c.err
}

func fail(err error) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { return 0, err }
}

func ok(context.Context) (int, error) { return 42, nil }

func TestDoReturnsValue(t *testing.T) {
	r, _ := newRunner(t, nil)
	v, err := runner.Do(context.Background(), r, "op", ok)
	if err != nil || v != 42 {
		t.Fatalf("Do = %v, %v; want 42, nil", v, err)
	}
}

func TestSlowOperationTimesOut(t *testing.T) {
	r, _ := newRunner(t, func(c *runner.Config) {
		c.AttemptTimeout = 20 * time.Millisecond // real time: the deadline is the context's
		c.MaxAttempts = 1
	})
	start := time.Now()
	_, err := runner.Do(context.Background(), r, "slow", func(ctx context.Context) (int, error) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Second):
			return 1, nil
		}
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want one matching context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v: the attempt timeout did not stop it", d)
	}
}

type myErr struct{ code string }

func (e *myErr) Error() string { return "my error " + e.code }

func TestErrorPropagates(t *testing.T) {
	r, _ := newRunner(t, nil)
	cause := runner.Permanent(&myErr{"E42"})
	_, err := runner.Do(context.Background(), r, "op", fail(cause))
	var me *myErr
	if !errors.As(err, &me) || me.code != "E42" {
		t.Fatalf("errors.As did not reach the cause: %v", err)
	}
	if !errors.Is(err, cause) {
		t.Fatalf("errors.Is did not reach the cause: %v", err)
	}
	var re *runner.Error
	if !errors.As(err, &re) || re.Op != "op" || re.Class != runner.ClassPermanent || re.Attempts != 1 {
		t.Fatalf("runner.Error = %+v", re)
	}
}

func TestConcurrentCalls(t *testing.T) {
	r, _ := newRunner(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) { return i, nil })
			if err != nil || v != i {
				errs <- fmt.Errorf("call %d got %v, %v", i, v, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := r.Metrics()["op"]; m.Calls != 100 || m.Successes != 100 || m.Attempts != 100 {
		t.Errorf("metrics = %+v, want 100 calls, successes, attempts", m)
	}
}

func TestBackoffWithinJitterBounds(t *testing.T) {
	for _, jitter := range []float64{0, 0.25, 0.999} {
		t.Run(fmt.Sprint(jitter), func(t *testing.T) {
			r, clk := newRunner(t, func(c *runner.Config) {
				c.MaxAttempts = 6
				c.Budget = time.Hour
				c.Rand = func() float64 { return jitter }
			})
			c := async(r, fail(errors.New("connection reset")))
			// Full jitter over base*2^(n-1), capped at MaxDelay: 1 s, 2 s, 4 s, 8 s, 16 s.
			for n, ceiling := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second} {
				want := time.Duration(jitter * float64(ceiling))
				if want == 0 {
					continue // no wait: the next attempt follows at once
				}
				if !clk.WaitForTimers(1, c.done) {
					t.Fatalf("attempt %d: the call ended instead of backing off", n+1)
				}
				next, _ := clk.NextDeadline()
				if got := next.Sub(clk.Now()); got != want || got < 0 || got > ceiling {
					t.Fatalf("wait after attempt %d = %v, want %v (within [0, %v])", n+1, got, want, ceiling)
				}
				clk.Advance(want)
			}
			var re *runner.Error
			if err := c.wait(); !errors.As(err, &re) || re.Attempts != 6 {
				t.Fatalf("err = %v, want 6 attempts", err)
			}
		})
	}
}

func TestBackoffCappedAtMaxDelay(t *testing.T) {
	r, clk := newRunner(t, func(c *runner.Config) {
		c.MaxAttempts = 3
		c.BaseDelay = 20 * time.Second
		c.MaxDelay = 30 * time.Second
		c.Budget = time.Hour
	})
	c := async(r, fail(errors.New("boom")))
	for _, want := range []time.Duration{20 * time.Second, 30 * time.Second} {
		clk.WaitForTimers(1, c.done)
		next, _ := clk.NextDeadline()
		if got := next.Sub(clk.Now()); got != want {
			t.Fatalf("wait = %v, want %v", got, want)
		}
		clk.Advance(want)
	}
	c.wait()
}

func TestRetryAfterHonouredExactly(t *testing.T) {
	r, clk := newRunner(t, nil) // jitter at 1: a backoff would be 1 s, Retry-After says 7 s
	var calls atomic.Int32
	done := make(chan struct{})
	var v int
	var err error
	go func() {
		defer close(done)
		v, err = runner.Do(context.Background(), r, "op", func(context.Context) (int, error) {
			if calls.Add(1) == 1 {
				return 0, &httpErr{status: 429, after: 7 * time.Second}
			}
			return 5, nil
		})
	}()
	clk.WaitForTimers(1, done)
	next, _ := clk.NextDeadline()
	if got := next.Sub(clk.Now()); got != 7*time.Second {
		t.Fatalf("wait = %v, want exactly the Retry-After of 7s", got)
	}
	if h := r.State(); h.Status != runner.StatusOperational {
		t.Errorf("health during the retry = %s", h.Status)
	}
	clk.Advance(7*time.Second - time.Nanosecond)
	if calls.Load() != 1 {
		t.Fatal("retried before the Retry-After")
	}
	clk.Advance(time.Nanosecond)
	<-done
	if err != nil || v != 5 || calls.Load() != 2 {
		t.Fatalf("Do = %v, %v after %d calls", v, err, calls.Load())
	}
}

func TestRetryAfterBeyondBudgetFailsAtOnce(t *testing.T) {
	r, clk := newRunner(t, func(c *runner.Config) { c.Budget = time.Minute })
	var calls int
	_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) {
		calls++
		return 0, &httpErr{status: 429, after: 5 * time.Minute}
	})
	var re *runner.Error
	if !errors.As(err, &re) {
		t.Fatalf("err = %v", err)
	}
	if calls != 1 || re.Class != runner.ClassThrottled || !re.RetryAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("calls = %d, err = %+v; want 1 call, throttled, retry at +5m", calls, re)
	}
	if clk.Pending() != 0 || !clk.Now().Equal(t0) {
		t.Fatal("the runner waited although the Retry-After exceeded the budget")
	}
	h := r.State()
	if h.Status != runner.StatusDegraded || h.LastErrorKind != runner.KindThrottled || !h.RetryAt.Equal(re.RetryAt) || h.Breaker != "closed" {
		t.Fatalf("health = %+v; want degraded, throttled, retry_at +5m, breaker closed", h)
	}
}

func TestClassification(t *testing.T) {
	tests := []struct {
		err      error
		class    runner.Class
		kind     runner.Kind
		attempts int
	}{
		{&httpErr{status: 400}, runner.ClassPermanent, runner.KindRefused, 1},
		{&httpErr{status: 401}, runner.ClassPermanent, runner.KindSignIn, 1},
		{&httpErr{status: 404}, runner.ClassPermanent, runner.KindRefused, 1},
		{&httpErr{status: 307}, runner.ClassPermanent, runner.KindRefused, 1},
		{runner.Permanent(errors.New("subject too long")), runner.ClassPermanent, runner.KindOther, 1},
		{runner.Permanent(&httpErr{status: 503}), runner.ClassPermanent, runner.KindServer, 1},
		{&httpErr{status: 408}, runner.ClassRetryable, runner.KindTimeout, 3},
		{&httpErr{status: 500}, runner.ClassRetryable, runner.KindServer, 3},
		{&httpErr{status: 502}, runner.ClassRetryable, runner.KindServer, 3},
		{&httpErr{status: 503}, runner.ClassRetryable, runner.KindServer, 3},
		{&httpErr{status: 504}, runner.ClassRetryable, runner.KindServer, 3},
		{&httpErr{status: 505}, runner.ClassPermanent, runner.KindServer, 1},
		{&httpErr{status: 429}, runner.ClassThrottled, runner.KindThrottled, 3},
		{fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), runner.ClassRetryable, runner.KindNetwork, 3},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, runner.ClassRetryable, runner.KindNetwork, 3},
		{fmt.Errorf("get: %w", syscall.ECONNRESET), runner.ClassRetryable, runner.KindNetwork, 3},
		{context.DeadlineExceeded, runner.ClassRetryable, runner.KindTimeout, 3},
		{errors.New("something odd"), runner.ClassRetryable, runner.KindOther, 3},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			if class, kind := runner.DefaultClassify(tt.err); class != tt.class || kind != tt.kind {
				t.Fatalf("DefaultClassify = %v, %q; want %v, %q", class, kind, tt.class, tt.kind)
			}
			r, _ := newRunner(t, func(c *runner.Config) { c.BaseDelay, c.MaxDelay = 0, 0 })
			var calls int
			_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) { calls++; return 0, tt.err })
			var re *runner.Error
			if !errors.As(err, &re) || re.Class != tt.class || re.Kind != tt.kind || re.Attempts != tt.attempts || calls != tt.attempts {
				t.Fatalf("err = %+v after %d calls; want class %v and %d attempts", re, calls, tt.class, tt.attempts)
			}
			if st := r.State(); st.LastErrorKind != tt.kind || st.LastError == "" {
				t.Fatalf("state after the call: last error %q of kind %q, want kind %q", st.LastError, st.LastErrorKind, tt.kind)
			}
		})
	}
}

// tripBreaker makes n calls that each fail once (MaxAttempts is 1 in these tests).
func tripBreaker(t *testing.T, r *runner.Runner, n int) {
	t.Helper()
	for range n {
		if _, err := runner.Do(context.Background(), r, "op", fail(errors.New("down"))); errors.Is(err, runner.ErrOpen) {
			t.Fatal("breaker opened early")
		}
	}
}

func breakerRunner(t *testing.T) (*runner.Runner, *fakeclock.Clock) {
	return newRunner(t, func(c *runner.Config) { c.MaxAttempts = 1 })
}

func TestBreakerOpensAfterExactlyFiveFailures(t *testing.T) {
	r, clk := breakerRunner(t)
	tripBreaker(t, r, 4)
	if h := r.State(); h.Breaker != "closed" || h.Status != runner.StatusDegraded || h.ConsecutiveFailures != 4 {
		t.Fatalf("after 4 failures: %+v", h)
	}
	tripBreaker(t, r, 1)
	h := r.State()
	if h.Breaker != "open" || h.Status != runner.StatusDown || h.ConsecutiveFailures != 5 {
		t.Fatalf("after 5 failures: %+v", h)
	}
	if !h.RetryAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("retry_at = %v, want +60s", h.RetryAt)
	}

	called := false
	_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) { called = true; return 0, nil })
	var re *runner.Error
	if !errors.Is(err, runner.ErrOpen) || !errors.As(err, &re) || !re.RetryAt.Equal(t0.Add(time.Minute)) || called {
		t.Fatalf("while open: err = %v, called = %v; want ErrOpen with retry time, op not called", err, called)
	}
	if st := r.State(); re.Kind != runner.KindBreakerOpen || st.LastErrorKind != runner.KindBreakerOpen || st.ConsecutiveFailures != 5 {
		t.Fatalf("while open: error kind %q, state kind %q with %d failures; want breaker_open, the rejection not counted",
			re.Kind, st.LastErrorKind, st.ConsecutiveFailures)
	}
	if m := r.Metrics()["op"]; m.Rejected != 1 || m.Calls != 5 {
		t.Fatalf("metrics = %+v", m)
	}
	clk.Advance(time.Minute - time.Nanosecond)
	if _, err := runner.Do(context.Background(), r, "op", ok); !errors.Is(err, runner.ErrOpen) {
		t.Fatalf("breaker let a call through before its open period ended: %v", err)
	}
}

func TestBreakerHalfOpenProbe(t *testing.T) {
	for _, probeOK := range []bool{true, false} {
		t.Run(fmt.Sprintf("probe ok=%v", probeOK), func(t *testing.T) {
			r, clk := breakerRunner(t)
			tripBreaker(t, r, 5)
			clk.Advance(time.Minute)
			if h := r.State(); h.Breaker != "half-open" || h.Status != runner.StatusDegraded {
				t.Fatalf("after the open period: %+v", h)
			}
			op := ok
			if !probeOK {
				op = fail(errors.New("still down"))
			}
			_, err := runner.Do(context.Background(), r, "op", op)
			h := r.State()
			if probeOK {
				if err != nil || h.Breaker != "closed" || h.Status != runner.StatusOperational || h.ConsecutiveFailures != 0 || !h.RetryAt.IsZero() {
					t.Fatalf("after a good probe: err = %v, health %+v", err, h)
				}
				return
			}
			if h.Breaker != "open" || h.Status != runner.StatusDown || !h.RetryAt.Equal(clk.Now().Add(time.Minute)) {
				t.Fatalf("after a failed probe: %+v", h)
			}
		})
	}
}

func TestHalfOpenAllowsOneProbe(t *testing.T) {
	r, clk := newRunner(t, func(c *runner.Config) { c.MaxAttempts = 3; c.BaseDelay, c.MaxDelay = 0, 0 })
	tripBreaker(t, r, 5)
	clk.Advance(time.Minute)

	release := make(chan struct{})
	started := make(chan struct{})
	var probeCalls atomic.Int32
	probe := make(chan error, 1)
	go func() {
		_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) {
			if probeCalls.Add(1) == 1 {
				close(started)
			}
			<-release
			return 0, errors.New("still down")
		})
		probe <- err
	}()
	<-started
	called := false
	_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) { called = true; return 1, nil })
	if !errors.Is(err, runner.ErrOpen) || called {
		t.Fatalf("second call while the probe is in flight: err = %v, called = %v", err, called)
	}
	close(release)
	if err := <-probe; errors.Is(err, runner.ErrOpen) {
		t.Fatalf("probe was rejected: %v", err)
	}
	if n := probeCalls.Load(); n != 1 {
		t.Fatalf("the probe made %d attempts, want 1", n)
	}
	if r.State().Breaker != "open" {
		t.Fatal("failed probe did not reopen the breaker")
	}
}

func TestThrottlingDoesNotOpenBreaker(t *testing.T) {
	r, _ := breakerRunner(t)
	for range 10 {
		runner.Do(context.Background(), r, "op", fail(&httpErr{status: 429, after: time.Second}))
		runner.Do(context.Background(), r, "op", fail(&httpErr{status: 404}))
	}
	h := r.State()
	if h.Breaker != "closed" || h.ConsecutiveFailures != 0 {
		t.Fatalf("429s and 404s moved the breaker: %+v", h)
	}
}

func TestCancellationNeitherRetriedNorCounted(t *testing.T) {
	r, clk := newRunner(t, func(c *runner.Config) { c.MaxAttempts = 3 })
	for range 6 {
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int32
		done := make(chan error, 1)
		go func() {
			_, err := runner.Do(ctx, r, "op", func(context.Context) (int, error) {
				calls.Add(1)
				return 0, errors.New("reset")
			})
			done <- err
		}()
		clk.WaitForTimers(1, nil) // in the backoff wait after the first attempt
		cancel()
		err := <-done
		var re *runner.Error
		if !errors.Is(err, context.Canceled) || !errors.As(err, &re) || re.Class != runner.ClassCanceled || calls.Load() != 1 {
			t.Fatalf("err = %v after %d calls; want canceled after 1", err, calls.Load())
		}
		if clk.Pending() != 0 {
			t.Fatal("the backoff timer outlived the call")
		}
	}
	if h := r.State(); h.Breaker != "closed" || h.ConsecutiveFailures != 0 {
		t.Fatalf("cancellations counted: %+v", h)
	}

	// A context canceled before the call: op sees it, and the result is canceled, not retried.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	_, err := runner.Do(ctx, r, "op", func(ctx context.Context) (int, error) { calls++; return 0, ctx.Err() })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}

func TestPanicBecomesError(t *testing.T) {
	var logs bytes.Buffer
	r, _ := newRunner(t, func(c *runner.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	calls := 0
	_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) {
		calls++
		var m map[string]int
		m["x"] = 1 // nil map write
		return 0, nil
	})
	var pe *runner.PanicError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "nil map") {
		t.Fatalf("err = %v, want a PanicError", err)
	}
	if calls != 1 {
		t.Fatalf("a panic was retried: %d calls", calls)
	}
	if !strings.Contains(logs.String(), "operation panicked") || !strings.Contains(logs.String(), "runner_test.go") {
		t.Fatalf("stack not logged: %s", logs.String())
	}
}

func TestKillSwitch(t *testing.T) {
	r, _ := newRunner(t, func(c *runner.Config) { c.Bypass = true })
	if h := r.State(); h.Status != runner.StatusBypassed {
		t.Fatalf("status = %s, want bypassed", h.Status)
	}
	r, _ = newRunner(t, func(c *runner.Config) { c.MaxAttempts, c.Bypass = 3, true })
	for range 10 {
		calls := 0
		_, err := runner.Do(context.Background(), r, "op", func(context.Context) (int, error) { calls++; return 0, errors.New("down") })
		if errors.Is(err, runner.ErrOpen) || calls != 1 {
			t.Fatalf("bypassed call: err = %v, calls = %d; want one attempt, no breaker", err, calls)
		}
	}
	h := r.State()
	if h.Status != runner.StatusBypassed || h.ConsecutiveFailures != 10 || h.Breaker != "closed" {
		t.Fatalf("health = %+v", h)
	}
	if v, err := runner.Do(context.Background(), r, "op", ok); err != nil || v != 42 || r.State().ConsecutiveFailures != 0 {
		t.Fatalf("bypassed success: %v, %v, %+v", v, err, r.State())
	}
	if m := r.Metrics()["op"]; m.Calls != 11 || m.Attempts != 11 || m.Failures[runner.ClassRetryable] != 10 {
		t.Fatalf("bypassed calls not recorded: %+v", m)
	}

	for v, want := range map[string]bool{"": false, "on": false, "off": true} {
		if got, err := runner.ParseKillSwitch(v); err != nil || got != want {
			t.Errorf("ParseKillSwitch(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"of", "OFF", "0", "false"} {
		if _, err := runner.ParseKillSwitch(v); err == nil || !strings.Contains(err.Error(), runner.KillSwitchEnv) {
			t.Errorf("a typo in the kill switch was accepted: %q: %v", v, err)
		}
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*runner.Config)
		want string
	}{
		{"timeout", func(c *runner.Config) { c.AttemptTimeout = 0 }, "AttemptTimeout"},
		{"attempts", func(c *runner.Config) { c.MaxAttempts = 0 }, "MaxAttempts"},
		{"base", func(c *runner.Config) { c.BaseDelay = -time.Second }, "BaseDelay"},
		{"multiplier", func(c *runner.Config) { c.Multiplier = 0.5 }, "Multiplier"},
		{"max delay", func(c *runner.Config) { c.MaxDelay = time.Millisecond }, "MaxDelay"},
		{"budget", func(c *runner.Config) { c.Budget = time.Second }, "Budget"},
		{"threshold", func(c *runner.Config) { c.FailureThreshold = 0 }, "FailureThreshold"},
		{"open", func(c *runner.Config) { c.OpenTimeout = -1 }, "OpenTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := runner.DefaultConfig()
			tt.edit(&cfg)
			_, err := runner.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	r, clk := newRunner(t, func(c *runner.Config) { c.BaseDelay, c.MaxDelay = 0, 0 })
	for i := range 100 {
		runner.Do(context.Background(), r, "list", func(context.Context) (int, error) {
			clk.Advance(time.Duration(i+1) * time.Millisecond) // durations 1..100 ms on the fake clock
			return 0, nil
		})
	}
	calls := 0
	runner.Do(context.Background(), r, "list", func(context.Context) (int, error) {
		calls++
		if calls < 3 {
			return 0, &httpErr{status: 503}
		}
		return 0, nil
	})
	runner.Do(context.Background(), r, "get", fail(&httpErr{status: 404}))

	m := r.Metrics()
	list := m["list"]
	if list.Calls != 101 || list.Attempts != 103 || list.Successes != 101 {
		t.Fatalf("list = %+v", list)
	}
	if list.Call.P50 != 50*time.Millisecond || list.Call.P95 != 95*time.Millisecond || list.Call.Max != 100*time.Millisecond {
		t.Fatalf("call durations = %+v", list.Call)
	}
	if list.Attempt.Count != 103 {
		t.Fatalf("attempt durations = %+v", list.Attempt)
	}
	if get := m["get"]; get.Failures[runner.ClassPermanent] != 1 || get.Successes != 0 {
		t.Fatalf("get = %+v", get)
	}
	// A copy: changing it changes nothing in the runner.
	m["get"].Failures[runner.ClassPermanent] = 99
	if r.Metrics()["get"].Failures[runner.ClassPermanent] != 1 {
		t.Fatal("Metrics returned the runner's own map")
	}
}

// lockedBuffer is a bytes.Buffer safe for the logger's goroutine and the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestMonitorLogsWhileNotOperational(t *testing.T) {
	var logs lockedBuffer
	r, clk := newRunner(t, func(c *runner.Config) {
		c.MaxAttempts = 1
		c.OpenTimeout = time.Hour // still open when the check runs
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Monitor(ctx, 5*time.Minute); close(stopped) }()

	clk.WaitForTimers(1, nil)
	clk.Advance(5 * time.Minute) // operational: nothing logged
	clk.WaitForTimers(1, nil)
	tripBreaker(t, r, 5)
	clk.Advance(5 * time.Minute)
	clk.WaitForTimers(1, nil)
	cancel()
	<-stopped
	out := logs.String()
	if n := strings.Count(out, "health check: not operational"); n != 1 {
		t.Fatalf("%d health check lines, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "status=down") || !strings.Contains(out, "level=ERROR") {
		t.Fatalf("health check line lacks the status:\n%s", out)
	}
}

// SetOpenTimeout changes the open period from the breaker's next opening on; an opening under
// way keeps its end, and a non-positive period is refused.
func TestSetOpenTimeout(t *testing.T) {
	r, clk := breakerRunner(t)
	if _, err := r.SetOpenTimeout(0); err == nil || !strings.Contains(err.Error(), "OpenTimeout") {
		t.Fatalf("SetOpenTimeout(0) = %v, want an error naming OpenTimeout", err)
	}
	prev, err := r.SetOpenTimeout(10 * time.Second)
	if err != nil || prev != time.Minute {
		t.Fatalf("SetOpenTimeout(10s) = %v, %v; want the default 1m replaced", prev, err)
	}
	tripBreaker(t, r, 5)
	if h := r.State(); h.Breaker != "open" || !h.RetryAt.Equal(clk.Now().Add(10*time.Second)) {
		t.Fatalf("opened with a 10 s period: %+v, want retry at +10s", h)
	}
	if _, err := r.SetOpenTimeout(time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second) // the opening under way kept its 10 s
	if h := r.State(); h.Breaker != "half-open" {
		t.Fatalf("after 10 s: breaker %s, want half-open", h.Breaker)
	}
	if _, err := runner.Do(context.Background(), r, "op", fail(errors.New("still down"))); err == nil {
		t.Fatal("probe succeeded")
	}
	if h := r.State(); h.Breaker != "open" || !h.RetryAt.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("reopened: %+v, want retry at +1h (the new period)", h)
	}
}
