package runner

import (
	"context"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Status sums up a Runner's state in one word.
type Status string

// The statuses State reports.
const (
	StatusOperational Status = "operational" // breaker closed, last call fine
	StatusDegraded    Status = "degraded"    // failures or throttling below the threshold, or half-open
	StatusDown        Status = "down"        // breaker open: calls are rejected until RetryAt
	StatusBypassed    Status = "bypassed"    // kill switch on: no retry, no breaker
)

// State is what a Runner knows of the service it calls: the breaker, the failures and the last
// error. The sync loop turns it into the health the UI and the contract show (sync.Health),
// adding what only it knows: the data's age and the sign-in.
type State struct {
	Status              Status
	Breaker             string // closed, open or half-open
	ConsecutiveFailures int
	LastSuccess         time.Time // zero before the first success
	LastError           string    // the last call's error; empty after a success
	LastErrorKind       Kind
	RetryAt             time.Time // when calls may succeed again; zero if now
	Timestamp           time.Time
}

// State returns the runner's state now.
func (r *Runner) State() State {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := State{
		Breaker:             r.breakerLocked(now).String(),
		ConsecutiveFailures: r.failures,
		LastSuccess:         r.lastSuccess,
		LastError:           r.lastError,
		LastErrorKind:       r.lastKind,
		Timestamp:           now,
	}
	if r.retryAt.After(now) {
		st.RetryAt = r.retryAt
	}
	switch {
	case r.cfg.Bypass:
		st.Status, st.Breaker = StatusBypassed, "closed"
	case st.Breaker == "open":
		st.Status = StatusDown
	case st.Breaker == "half-open" || r.failures > 0 || r.lastKind == KindThrottled || !st.RetryAt.IsZero():
		st.Status = StatusDegraded
	default:
		st.Status = StatusOperational
	}
	return st
}

// breakerLocked is the breaker's state on r's clock: gobreaker says open, but our open period
// has passed, so the next call will be the half-open probe.
func (r *Runner) breakerLocked(now time.Time) gobreaker.State {
	state := gobreaker.State(r.state.Load())
	if state == gobreaker.StateOpen && now.UnixNano() >= r.openUntil.Load() {
		return gobreaker.StateHalfOpen
	}
	return state
}

// Monitor is the periodic health check: every interval, until ctx ends, it logs an error line
// if the runner is not operational, so an outage shows in the logs even when nobody looks, and
// the metrics of every operation that ran since the last check.
func (r *Runner) Monitor(ctx context.Context, interval time.Duration) {
	calls := map[string]int64{}
	for {
		t := r.clock.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		st := r.State()
		switch st.Status {
		case StatusOperational:
		case StatusBypassed:
			r.log.Warn("health check: runner bypassed by kill switch", "env", KillSwitchEnv)
		default:
			args := []any{"status", st.Status, "breaker", st.Breaker, "consecutive_failures", st.ConsecutiveFailures,
				"last_error", st.LastError, "last_error_kind", string(st.LastErrorKind)}
			if !st.RetryAt.IsZero() {
				args = append(args, "retry_at", st.RetryAt.Format(time.RFC3339))
			}
			r.log.Error("health check: not operational", args...)
		}
		for name, m := range r.Metrics() {
			if m.Calls+m.Rejected == calls[name] {
				continue // nothing new: an idle or offline app adds nothing to the log
			}
			calls[name] = m.Calls + m.Rejected
			r.log.Info("runner metrics", "op", name, "calls", m.Calls, "attempts", m.Attempts, "successes", m.Successes,
				"failures", m.Calls-m.Successes, "rejected", m.Rejected,
				"call_p50", m.Call.P50.String(), "call_p95", m.Call.P95.String(), "attempt_p95", m.Attempt.P95.String())
		}
	}
}
