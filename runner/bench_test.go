package runner_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/sony/gobreaker/v2"

	"caltray/runner"
)

// The benchmarks compare runner.Do with what it is built from, in one run (see
// docs/BENCHMARKS.md): the floor for what Do must do is context.WithTimeout plus
// gobreaker.Execute; failsafe-go with a retry policy and a breaker is the off-the-shelf option.

var sink int

func work(context.Context) (int, error) { return 1, nil }

var errTransient = errors.New("connection reset")

func failing(context.Context) (int, error) { return 0, errTransient }

func benchRunner(b *testing.B, edit func(*runner.Config)) *runner.Runner {
	cfg := runner.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // debug off, as in production
	if edit != nil {
		edit(&cfg)
	}
	r, err := runner.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkRunner(b *testing.B) {
	ctx := context.Background()

	b.Run("success/direct", func(b *testing.B) {
		for b.Loop() {
			v, _ := work(ctx)
			sink += v
		}
	})
	b.Run("success/WithTimeout", func(b *testing.B) {
		for b.Loop() {
			c, cancel := context.WithTimeout(ctx, 30*time.Second)
			v, _ := work(c)
			cancel()
			sink += v
		}
	})
	b.Run("success/gobreaker", func(b *testing.B) {
		cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{})
		for b.Loop() {
			v, _ := cb.Execute(func() (int, error) { return work(ctx) })
			sink += v
		}
	})
	b.Run("success/floor", func(b *testing.B) { // WithTimeout + gobreaker.Execute
		cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{})
		for b.Loop() {
			v, _ := cb.Execute(func() (int, error) {
				c, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				return work(c)
			})
			sink += v
		}
	})
	b.Run("success/failsafe", func(b *testing.B) {
		ex := failsafe.With[int](
			retrypolicy.NewBuilder[int]().WithMaxAttempts(3).WithBackoff(time.Second, 30*time.Second).Build(),
			circuitbreaker.NewBuilder[int]().WithFailureThreshold(5).WithDelay(time.Minute).Build(),
		)
		for b.Loop() {
			v, _ := ex.Get(func() (int, error) { return work(ctx) })
			sink += v
		}
	})
	b.Run("success/runner.Do", func(b *testing.B) {
		r := benchRunner(b, nil)
		for b.Loop() {
			v, _ := runner.Do(ctx, r, "op", work)
			sink += v
		}
	})

	// Failing path: every attempt fails, 3 attempts per call, zero backoff, and a threshold no
	// run reaches, so each call does all its work.
	b.Run("failing/floor", func(b *testing.B) {
		cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{ReadyToTrip: func(gobreaker.Counts) bool { return false }})
		for b.Loop() {
			for range 3 {
				cb.Execute(func() (int, error) {
					c, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					return failing(c)
				})
			}
		}
	})
	b.Run("failing/failsafe", func(b *testing.B) {
		ex := failsafe.With[int](
			retrypolicy.NewBuilder[int]().WithMaxAttempts(3).Build(),
			circuitbreaker.NewBuilder[int]().WithFailureThreshold(math.MaxUint32).Build(),
		)
		for b.Loop() {
			ex.Get(func() (int, error) { return failing(ctx) })
		}
	})
	b.Run("failing/runner.Do", func(b *testing.B) {
		r := benchRunner(b, func(c *runner.Config) {
			c.BaseDelay, c.MaxDelay = 0, 0
			c.FailureThreshold = math.MaxInt32
		})
		for b.Loop() {
			runner.Do(ctx, r, "op", failing)
		}
	})

	// Open breaker: the call is turned away without running op.
	b.Run("open/gobreaker", func(b *testing.B) {
		cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{Timeout: time.Hour, ReadyToTrip: func(gobreaker.Counts) bool { return true }})
		cb.Execute(func() (int, error) { return failing(ctx) })
		for b.Loop() {
			cb.Execute(func() (int, error) { return work(ctx) })
		}
	})
	b.Run("open/runner.Do", func(b *testing.B) {
		r := benchRunner(b, func(c *runner.Config) { c.MaxAttempts, c.FailureThreshold, c.OpenTimeout = 1, 1, time.Hour })
		runner.Do(ctx, r, "op", failing)
		if _, err := runner.Do(ctx, r, "op", work); !errors.Is(err, runner.ErrOpen) {
			b.Fatalf("breaker not open: %v", err)
		}
		for b.Loop() {
			runner.Do(ctx, r, "op", work)
		}
	})
}
