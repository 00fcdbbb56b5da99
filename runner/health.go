package runner

import (
	"context"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Status sums up a Runner's health in one word.
type Status string

// The statuses Health reports.
const (
	StatusOperational Status = "operational" // breaker closed, last call fine
	StatusDegraded    Status = "degraded"    // failures or throttling below the threshold, or half-open
	StatusDown        Status = "down"        // breaker open: calls are rejected until RetryAt
	StatusBypassed    Status = "bypassed"    // kill switch on: no retry, no breaker
)

// Health is a Runner's state as the /health/async endpoint and the UI show it. Its JSON form
// is a contract (DESIGN.md); Stale is the sync loop's to set, since only it knows the data's age.
type Health struct {
	Healthy             bool       `json:"healthy"`
	Status              Status     `json:"status"`
	Breaker             string     `json:"breaker"` // closed, open or half-open
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastSuccess         *time.Time `json:"last_success"` // nil before the first success
	LastError           string     `json:"last_error"`
	RetryAt             *time.Time `json:"retry_at"` // when calls may succeed again; nil if now
	Stale               bool       `json:"stale"`
	Timestamp           time.Time  `json:"timestamp"`

	// Throttled says the last call ended because the service asked us to slow down (429),
	// so the UI can say so instead of "offline".
	Throttled bool `json:"-"`
}

// healthKey is the part of Health whose change subscribers are told of. It leaves out the
// timestamps that move on every call, so a steady stream of successes notifies nobody.
type healthKey struct {
	status    Status
	breaker   string
	failures  int
	lastError string
	retryAt   time.Time
	throttled bool
}

// Health returns the runner's health now.
func (r *Runner) Health() Health {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.healthLocked(now, r.healthKeyLocked(now))
}

func (r *Runner) healthLocked(now time.Time, k healthKey) Health {
	h := Health{
		Healthy:             k.status == StatusOperational || (k.status == StatusBypassed && k.failures == 0),
		Status:              k.status,
		Breaker:             k.breaker,
		ConsecutiveFailures: k.failures,
		LastError:           k.lastError,
		Timestamp:           now,
		Throttled:           k.throttled,
	}
	if !r.lastSuccess.IsZero() {
		t := r.lastSuccess
		h.LastSuccess = &t
	}
	if !k.retryAt.IsZero() {
		t := k.retryAt
		h.RetryAt = &t
	}
	return h
}

func (r *Runner) healthKeyLocked(now time.Time) healthKey {
	k := healthKey{
		breaker:   r.breakerLocked(now).String(),
		failures:  r.failures,
		lastError: r.lastError,
		throttled: r.throttled,
	}
	if r.retryAt.After(now) {
		k.retryAt = r.retryAt
	}
	switch {
	case r.cfg.Bypass:
		k.status, k.breaker = StatusBypassed, "closed"
	case k.breaker == "open":
		k.status = StatusDown
	case k.breaker == "half-open" || r.failures > 0 || r.throttled || !k.retryAt.IsZero():
		k.status = StatusDegraded
	default:
		k.status = StatusOperational
	}
	return k
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

// Subscribe returns a channel that receives the health after every change of status, breaker
// state, failure count, error or retry time. It holds only the latest value: a slow reader
// misses intermediate states, never the current one, and never blocks the runner. The
// channel first receives the current health. cancel ends the subscription.
func (r *Runner) Subscribe() (updates <-chan Health, cancel func()) {
	ch := make(chan Health, 1)
	ch <- r.Health()
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.subs, ch)
		r.mu.Unlock()
	}
}

// publishLocked tells subscribers about the health if it changed since they last heard.
func (r *Runner) publishLocked(now time.Time) {
	k := r.healthKeyLocked(now)
	if k == r.published || len(r.subs) == 0 {
		r.published = k
		return
	}
	r.published = k
	h := r.healthLocked(now, k)
	for ch := range r.subs {
		select {
		case <-ch: // drop the value nobody read: latest wins
		default:
		}
		select {
		case ch <- h:
		default:
		}
	}
}

// Monitor is the periodic health check: every interval, until ctx ends, it logs an error line
// if the runner is not operational, so an outage shows in the logs even when nobody looks.
func (r *Runner) Monitor(ctx context.Context, interval time.Duration) {
	for {
		t := r.clock.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		h := r.Health()
		switch h.Status {
		case StatusOperational:
		case StatusBypassed:
			r.log.Warn("health check: runner bypassed by kill switch", "env", KillSwitchEnv)
		default:
			args := []any{"status", h.Status, "breaker", h.Breaker, "consecutive_failures", h.ConsecutiveFailures, "last_error", h.LastError}
			if h.RetryAt != nil {
				args = append(args, "retry_at", h.RetryAt.Format(time.RFC3339))
			}
			r.log.Error("health check: not operational", args...)
		}
	}
}
