package sync

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"caltray/runner"
)

// state is the loop's data, owned by one goroutine (run, or the caller of Once).
type state struct {
	l        *Loop
	settings Settings

	delta    Delta     // the last good sync's result, unfiltered; never modified in place
	lastSync time.Time // when it succeeded; zero if never (the cache's counts)
	agenda   []Appointment
	from, to time.Time // the window agenda was cut to

	synced      bool // a sync of this run has succeeded
	failed      bool // the last sync failed
	auth        AuthState
	authMessage string
	paused      bool // a sign-in error stopped the polling until Refresh

	syncing     bool
	syncStarted time.Time // when the running sync began
	slowShown   bool      // a snapshot was published since the running sync became slow
	skipped     int       // events the last good sync left out
	pending     bool      // a Refresh arrived during the running sync
	next        time.Time // when the next periodic sync is due
	retryAt     time.Time // no sync before this: the breaker is open, or the service said so
	failures    int       // failed syncs in a row that a sooner retry follows (retryDelay)

	pace        *Pace         // the schedule Hurry set; nil: the settings' interval
	paceSince   time.Time     // when Hurry set it: only a sync started since ends it
	openTimeout time.Duration // the runner's own open period, restored when the pace ends

	recent     []SyncRecord // never appended in place: published snapshots share it
	syncs      uint64
	generation uint64
	published  Health // the health in the last snapshot, to republish on a change
}

func (l *Loop) newState() *state {
	return &state{l: l, settings: l.cfg.Settings, auth: AuthOK}
}

func (st *state) now() time.Time { return st.l.cfg.Clock.Now() }

// maxSkipsLogged caps the skipped events one log line names; the count is always whole.
const maxSkipsLogged = 20

// startSync marks a sync as running from now.
func (st *state) startSync(now time.Time) {
	st.syncing, st.syncStarted, st.slowShown = true, now, false
}

// slowAt is when the running sync becomes slow, zero once that has been published.
func (st *state) slowAt() time.Time {
	if !st.syncing || st.slowShown {
		return time.Time{}
	}
	return st.syncStarted.Add(SlowSync)
}

func (st *state) window(now time.Time) (from, to time.Time) {
	return st.settings.Window(now, st.l.cfg.Location)
}

// loadCache starts from the cached agenda, if a usable one exists, and publishes it (stale:
// it has not been confirmed by this run). A damaged cache is logged, never fatal.
func (st *state) loadCache() {
	c := st.l.cfg.Cache
	if c == nil {
		st.publish()
		return
	}
	e, err := c.Load()
	switch {
	case errors.Is(err, ErrNoCache):
		st.l.log.Debug("no cached agenda yet", "path", c.Path())
	case err != nil:
		st.l.log.Error("cached agenda unusable; starting without it", "err", err)
	default:
		st.delta, st.lastSync = e.Delta, e.LastSync
		st.l.log.Debug("loaded cached agenda", "path", c.Path(), "appointments", len(e.Delta.Appointments),
			"last_sync", e.LastSync.Format(time.RFC3339))
	}
	st.recut(st.now())
	st.publish()
}

// recut cuts the agenda from the last good data for the window of now and the settings.
func (st *state) recut(now time.Time) {
	st.from, st.to = st.window(now)
	st.agenda = st.settings.Agenda(st.delta.Appointments, st.from, st.to, st.l.cfg.Location)
}

// due reports whether a sync should start now.
func (st *state) due(now time.Time) bool {
	if now.Before(st.retryAt) {
		return false
	}
	return st.pending || (!st.paused && !now.Before(st.next))
}

// wait returns how long the owner may sleep before something is due: the next sync (not
// before the retry time), the moment the data turns stale, or a retry time passing (to
// republish the health); never more than wakeCheck, so a wake from sleep is seen.
func (st *state) wait(now time.Time) time.Duration {
	d := wakeCheck
	consider := func(t time.Time) {
		if t.After(now) && t.Sub(now) < d {
			d = t.Sub(now)
		}
	}
	if !st.paused || st.pending {
		consider(later(st.next, st.retryAt))
	}
	consider(st.staleAt())
	consider(st.retryAt)
	if d <= 0 {
		d = time.Nanosecond // something is due now: loop once more without sleeping long
	}
	return d
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// staleAt is when the data turns stale without another successful sync.
func (st *state) staleAt() time.Time {
	if st.lastSync.IsZero() {
		return time.Time{}
	}
	return st.lastSync.Add(2 * st.settings.Interval)
}

// onTimer runs when the owner's timer fires. The timer was armed at armed for wait; if the
// wall clock moved on by more than an interval beyond that, the machine slept (timers do not
// count sleep), so the sync is due at once.
func (st *state) onTimer(armed time.Time, wait time.Duration) {
	now := st.now()
	// Round(0) drops the monotonic reading: only the wall clock sees the time spent asleep.
	jump := now.Round(0).Sub(armed.Round(0).Add(wait))
	if jump > st.settings.Interval {
		st.l.log.Info("wall clock jumped (wake from sleep?); syncing now", "jump", jump.Round(time.Second).String())
		st.next = now
	}
	if slow := st.slowAt(); !slow.IsZero() && !now.Before(slow) {
		st.slowShown = true // republish, so the UI can say the sync is waiting for Graph
		st.publish()
		return
	}
	if h := st.health(now); !h.same(st.published) {
		st.publish()
	}
}

// onRefresh handles Refresh: a sync now, or one more after the running one.
func (st *state) onRefresh(now time.Time) {
	if st.paused {
		st.l.log.Info("sync resumed by refresh after a sign-in error")
		st.paused = false
	}
	if st.syncing {
		st.pending = true
		return
	}
	st.next = now
	if now.Before(st.retryAt) {
		st.l.log.Info("refresh deferred: waiting for the retry time", "retry_at", st.retryAt.Format(time.RFC3339))
	}
}

// onSettings applies new settings.
func (st *state) onSettings(now time.Time, s Settings) {
	old := st.settings
	st.settings = s
	if s.Interval != old.Interval {
		st.next = now.Add(st.jittered())
	}
	from, to := st.window(now)
	if s.WindowDays != old.WindowDays && (from != st.delta.From || to != st.delta.To) {
		// The data does not cover the new window: sync it now.
		if st.syncing {
			st.pending = true
		} else {
			st.next = now
		}
	}
	st.l.log.Info("settings changed", "window_days", s.WindowDays, "interval", s.Interval.String(),
		"hide_declined", s.HideDeclined, "hide_cancelled", s.HideCancelled, "hide_all_day", s.HideAllDay)
	st.recut(now)
	st.publish()
}

// interval is the time between periodic syncs: the settings', or the pace's while Hurry holds.
func (st *state) interval() time.Duration {
	if st.pace != nil {
		return st.pace.Interval
	}
	return st.settings.Interval
}

// jittered is the interval spread by ±10%.
func (st *state) jittered() time.Duration {
	return st.spread(st.interval())
}

// spread spreads d by ±10%, so that many clients never poll in step.
func (st *state) spread(d time.Duration) time.Duration {
	f := 1 + jitter*(2*st.l.cfg.Rand()-1)
	return time.Duration(float64(d) * f)
}

// retryDelay is the wait before the sooner retry after st.failures failed syncs in a row:
// FirstRetry, doubled for each failure after the first, never more than the interval.
func (st *state) retryDelay() time.Duration {
	d := st.interval()
	if st.failures < 1 {
		return st.spread(d)
	}
	if shift := st.failures - 1; shift < 16 { // 15 s << 16 is beyond any interval
		d = min(d, FirstRetry<<shift)
	}
	return st.spread(d)
}

// nextSync is when the next sync is due as far as the loop knows now: the schedule, not before
// a retry time; zero while a sync runs or polling waits for a sign-in.
func (st *state) nextSync() time.Time {
	if st.syncing || (st.paused && !st.pending) {
		return time.Time{}
	}
	return later(st.next, st.retryAt)
}

// onHurry puts the loop on pace p (Loop.Hurry): the runner's open period and the interval are
// the pace's until a sync started from now on succeeds.
func (st *state) onHurry(now time.Time, p Pace) {
	prev, err := st.l.cfg.Runner.SetOpenTimeout(p.OpenTimeout)
	if err != nil { // Hurry validated p: cannot happen
		st.l.log.Error("pace not applied", "err", err)
		return
	}
	if st.pace == nil {
		st.openTimeout = prev
	}
	st.pace, st.paceSince = &p, now
	if next := now.Add(p.Interval); st.next.After(next) {
		st.next = next
	}
	st.l.log.Info("sync on a compressed schedule until the next good sync", "interval", p.Interval.String(),
		"breaker_open", p.OpenTimeout.String())
	st.publish()
}

// endPace ends Hurry's pace after a good sync that started while it held, and reports whether
// it did.
func (st *state) endPace(start time.Time) bool {
	if st.pace == nil || start.Before(st.paceSince) {
		return false
	}
	if _, err := st.l.cfg.Runner.SetOpenTimeout(st.openTimeout); err != nil {
		st.l.log.Error("could not restore the breaker's open period", "err", err)
	}
	st.pace = nil
	st.l.log.Info("sync back on its normal schedule", "interval", st.settings.Interval.String())
	return true
}

// finish applies a sync's result: new data on success; on failure the last good data stays and
// only health, staleness and the schedule change.
func (st *state) finish(r result) {
	st.syncing, st.syncStarted = false, time.Time{}
	st.syncs++
	rec := SyncRecord{At: r.end, Duration: r.end.Sub(r.start)}
	now := r.end
	st.next = r.start.Add(st.jittered())
	st.retryAt = time.Time{}
	log := st.l.log
	switch {
	case r.err == nil:
		rec.Kind = r.delta.Kind
		if st.failed {
			log.Info("sync recovered", "duration", rec.Duration.String())
		}
		st.delta, st.lastSync, st.failed, st.synced = r.delta, r.end, false, true
		st.failures = 0
		if st.endPace(r.start) {
			st.next = r.start.Add(st.jittered()) // the settings' interval again
		}
		st.skipped = len(r.delta.Skipped)
		st.auth, st.authMessage = st.credential(AuthOK, "")
		if st.skipped > 0 {
			// By id and reason only: a subject is the user's private text (and the source
			// made both inert).
			why := make([]string, 0, min(st.skipped, maxSkipsLogged))
			for _, sk := range r.delta.Skipped[:min(st.skipped, maxSkipsLogged)] {
				why = append(why, sk.ID+": "+sk.Reason)
			}
			log.Warn("some meetings could not be read and were left out", "count", st.skipped, "events", why)
		}
		log.Debug("sync done", "kind", string(r.delta.Kind), "appointments", len(r.delta.Appointments),
			"bytes", r.delta.Bytes, "duration", rec.Duration.String())
		if r.cacheErr != nil {
			log.Error("could not save the agenda in the cache", "err", r.cacheErr)
		}
	case SignInNeeded(r.err):
		rec.Err, rec.ErrKind = r.err.Error(), runner.KindSignIn
		st.failed, st.paused = true, true
		st.auth, st.authMessage = st.credential(AuthSignInNeeded, "Sign in again to see your meetings ("+r.err.Error()+").")
		log.Error("sync needs a sign-in; polling stopped until refresh", "err", r.err)
	default:
		rec.Err, rec.ErrKind = r.err.Error(), errorKind(r.err)
		st.failed = true
		var re *runner.Error
		if errors.As(r.err, &re) && re.RetryAt.After(now) {
			st.retryAt = re.RetryAt
		}
		if rs := st.l.cfg.Runner.State(); rs.RetryAt.After(st.retryAt) {
			st.retryAt = rs.RetryAt
		}
		if errors.As(r.err, &re) && (re.Class == runner.ClassRetryable || re.Class == runner.ClassThrottled) {
			// A failure the service may get over: try again sooner than the interval, backing
			// off (the retry time above still comes first). A permanent one waits the interval.
			st.failures++
			if soon := now.Add(st.retryDelay()); soon.Before(st.next) {
				st.next = soon
			}
		}
		args := []any{"err", r.err, "duration", rec.Duration.String(), "next_try", later(st.next, st.retryAt).Format(time.RFC3339)}
		if !st.retryAt.IsZero() {
			args = append(args, "retry_at", st.retryAt.Format(time.RFC3339))
		}
		log.Warn("sync failed; keeping the last good agenda", args...)
	}
	if st.pending {
		st.pending = false
		st.next = now
	}
	recent := make([]SyncRecord, 0, recentSyncs)
	recent = append(recent, st.recent[max(0, len(st.recent)-(recentSyncs-1)):]...)
	st.recent = append(recent, rec)
	st.recut(now)
	st.publish()
}

// health is the health now (newHealth), with the timestamp left out: onTimer compares it with
// the last published one, publish sets the time.
func (st *state) health(now time.Time) Health {
	h := newHealth(st.l.cfg.Runner.State(), st.lastSync, st.stale(now), st.auth, st.authMessage)
	h.Timestamp = time.Time{}
	return h
}

// stale applies the staleness rule (isStale) to the loop's state.
func (st *state) stale(now time.Time) bool {
	return isStale(st.failed, st.synced, st.staleAt(), now)
}

// publish builds a snapshot of the state and hands it to the loop's subscribers.
func (st *state) publish() {
	now := st.now()
	h := st.health(now)
	st.published = h
	h.Timestamp = now
	st.generation++
	s := Snapshot{
		Appointments: st.agenda,
		From:         st.from,
		To:           st.to,
		Health:       h,
		LastSync:     st.lastSync,
		Syncing:      st.syncing,
		StaleAt:      st.staleAt(),
		Auth:         st.auth,
		AuthMessage:  st.authMessage,
		Recent:       st.recent,
		Generation:   st.generation,
		Syncs:        st.syncs,
		Settings:     st.settings,
		Skipped:      st.skipped,
		SyncStarted:  st.syncStarted,
		NextSync:     st.nextSync(),
	}
	st.l.publish(s)
	if st.l.log.Enabled(context.Background(), slog.LevelDebug) {
		st.l.log.Debug("snapshot published", "generation", s.Generation, "appointments", len(s.Appointments),
			"stale", h.Stale, "syncing", s.Syncing, "status", string(h.Status))
	}
}

// SignInNeeded reports whether err means the credential is no good and only a new one helps:
// it matches ErrSignInNeeded, or it carries HTTP status 401 (Graph rejected the token, e.g. an
// expired CALTRAY_ACCESS_TOKEN). Retrying such an error would only repeat the rejection.
func SignInNeeded(err error) bool {
	if errors.Is(err, ErrSignInNeeded) {
		return true
	}
	var hs interface{ HTTPStatus() int }
	return errors.As(err, &hs) && hs.HTTPStatus() == 401
}

// credential refines the auth state a sync implied with what the credential itself says:
// nobody signed in at all, rather than a sign-in gone stale; or tokens that work but live in
// memory only, for want of a keyring.
func (st *state) credential(implied AuthState, msg string) (AuthState, string) {
	if st.l.cfg.Auth == nil {
		return implied, msg
	}
	a, m := st.l.cfg.Auth()
	if (implied == AuthOK && a == AuthNoKeyring) || (implied == AuthSignInNeeded && a == AuthSignedOut) {
		return a, m
	}
	return implied, msg
}

// errorKind is the kind the runner gave a failed sync's error (KindOther if it gave none: an
// error from outside the runner).
func errorKind(err error) runner.Kind {
	var re *runner.Error
	if errors.As(err, &re) && re.Kind != runner.KindNone {
		return re.Kind
	}
	_, kind := Classify(err)
	return kind
}
