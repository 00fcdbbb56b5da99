package sync

import (
	"errors"
	"time"

	"caltray/runner"
)

// ErrUnreadable is matched (errors.Is) by a source's errors for an answer it could not read:
// malformed, not JSON, too large, too many events. Its kind is runner.KindUnreadable.
var ErrUnreadable = errors.New("unreadable answer")

// Health is the sync's health at one moment: the "health" object of `agenda --json` and
// GET /health/async (a contract: docs/DESIGN.md). The loop builds it, and only the loop, from
// the runner's state, the age of the data and the sign-in (newHealth); the UI chooses its
// words from Status and LastErrorKind, never from LastError's text.
type Health struct {
	Healthy             bool          `json:"healthy"`
	Status              runner.Status `json:"status"`
	Breaker             string        `json:"breaker"` // closed, open or half-open
	ConsecutiveFailures int           `json:"consecutive_failures"`
	LastSuccess         *time.Time    `json:"last_success"` // the last good sync, the cache's if this run had none
	LastError           string        `json:"last_error"`
	LastErrorKind       runner.Kind   `json:"last_error_kind"`
	RetryAt             *time.Time    `json:"retry_at"` // when calls may succeed again; nil if now
	Stale               bool          `json:"stale"`
	Timestamp           time.Time     `json:"timestamp"`
}

// newHealth is the one place health is decided. rs is the runner's state; lastSync the last
// good sync (this run's or the cache's); stale the staleness rule's verdict (state.stale); auth
// the sign-in. A sign-in needed is not healthy: no sync can succeed until the user acts.
func newHealth(rs runner.State, lastSync time.Time, stale bool, auth AuthState, authMessage string) Health {
	h := Health{
		Status:              rs.Status,
		Breaker:             rs.Breaker,
		ConsecutiveFailures: rs.ConsecutiveFailures,
		LastError:           rs.LastError,
		LastErrorKind:       rs.LastErrorKind,
		Stale:               stale,
		Timestamp:           rs.Timestamp,
	}
	if !lastSync.IsZero() {
		h.LastSuccess = &lastSync
	}
	if !rs.RetryAt.IsZero() {
		t := rs.RetryAt
		h.RetryAt = &t
	}
	if auth == AuthSignInNeeded || auth == AuthSignedOut {
		if h.Status == runner.StatusOperational {
			h.Status = runner.StatusDegraded
		}
		h.LastErrorKind = runner.KindSignIn
		if h.LastError == "" {
			h.LastError = authMessage
		}
	}
	h.Healthy = h.Status == runner.StatusOperational ||
		(h.Status == runner.StatusBypassed && h.ConsecutiveFailures == 0 && h.LastErrorKind != runner.KindSignIn)
	return h
}

// same reports whether h and o show the same thing (timestamps aside): the one test of whether
// the health changed, which decides whether the loop publishes.
func (h Health) same(o Health) bool {
	return h.Healthy == o.Healthy && h.Status == o.Status && h.Breaker == o.Breaker &&
		h.ConsecutiveFailures == o.ConsecutiveFailures && h.LastError == o.LastError &&
		h.LastErrorKind == o.LastErrorKind && h.Stale == o.Stale &&
		sameTime(h.RetryAt, o.RetryAt) && sameTime(h.LastSuccess, o.LastSuccess)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// isStale is the staleness rule: the data is stale when the last sync failed, when this run has
// not synced yet (a cached agenda is unconfirmed), or once it is older than two intervals
// (staleAt; zero means never synced).
func isStale(failed, synced bool, staleAt, now time.Time) bool {
	return failed || !synced || staleAt.IsZero() || !now.Before(staleAt)
}

// Classify is the runner's classifier for calendar syncs. A sign-in error is permanent, since
// no retry can fix it and it says nothing about Graph's health (so it never opens the breaker),
// and of kind signin; no keyring is of kind keyring; an answer the source could not read is of
// kind unreadable. Everything else is as runner.DefaultClassify says.
func Classify(err error) (runner.Class, runner.Kind) {
	switch {
	case SignInNeeded(err):
		return runner.ClassPermanent, runner.KindSignIn
	case errors.Is(err, ErrNoKeyring):
		return runner.ClassPermanent, runner.KindKeyring
	}
	class, kind := runner.DefaultClassify(err)
	if errors.Is(err, ErrUnreadable) {
		kind = runner.KindUnreadable
	}
	return class, kind
}
