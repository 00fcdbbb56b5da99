package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"time"

	"caltray/runner"
)

// Defaults of the loop's timing that Settings do not cover.
const (
	// DefaultHealthCheck is how often the runner's periodic health check logs an outage.
	DefaultHealthCheck = 5 * time.Minute
	// wakeCheck is the longest the loop waits without looking at the wall clock, so a wake
	// from sleep is noticed within it (timers do not count the time a machine sleeps).
	wakeCheck = time.Minute
	// recentSyncs is how many finished syncs Snapshot.Recent keeps.
	recentSyncs = 20
	// jitter spreads the periodic syncs by ±10% so that many clients never poll in step.
	jitter = 0.10
	// FirstRetry is how soon a failed sync is tried again; each further failure in a row doubles
	// the wait, up to the interval (15 s, 30 s, 1 min, 2 min, 4 min, then 5 min). A network blip
	// heals in seconds, not at the next periodic sync, and an outage is not hammered. The
	// breaker's open period and a Retry-After still come first: no sync starts before them.
	FirstRetry = 15 * time.Second
)

// A Pace is a compressed schedule the loop runs on for a while (Loop.Hurry): the demo's
// simulated outage, so that degraded, down (breaker open), half-open and operational play out
// in about a minute instead of half an hour. The real defaults are untouched.
type Pace struct {
	Interval    time.Duration // between syncs, and the cap of the sooner retries after a failure
	OpenTimeout time.Duration // how long the breaker stays open (runner.Runner.SetOpenTimeout)
}

// DemoPace is the demo's pace during a simulated outage. With the runner's defaults (3
// attempts, the simulated 503's Retry-After of 1 s) a failed sync takes about 2 s and the next
// starts 5 s after the last began, so the status turns degraded 2 s in, the fifth failure opens
// the breaker about 22 s in, and a half-open probe follows every 10 s until the outage ends
// (measured against the simulated Graph, real time: 2.0 s, 21.8 s, 31.9 s, 41.9 s, …).
var DemoPace = Pace{Interval: 5 * time.Second, OpenTimeout: 10 * time.Second}

func (p Pace) validate() error {
	if p.Interval <= 0 || p.OpenTimeout <= 0 {
		return fmt.Errorf("sync: pace %v between syncs, %v open breaker: both must be positive", p.Interval, p.OpenTimeout)
	}
	return nil
}

// syncOp is the runner operation name of a sync, which keys the runner's metrics.
const syncOp = "calendar sync"

// LoopConfig is what a Loop is made of. Source and Runner are required.
type LoopConfig struct {
	Source   Source         // a DeltaSource syncs incrementally
	Runner   *runner.Runner // every sync goes through it
	Settings Settings       // the zero value means DefaultSettings
	Cache    *Cache         // nil: no cache on disk
	// Clock must be the runner's clock; nil means runner.SystemClock.
	Clock runner.Clock
	// Location is the user's time zone: the window starts at its midnight and all-day events
	// are read as its dates. Nil means time.Local.
	Location *time.Location
	// Rand draws the interval's jitter, in [0, 1). Nil means math/rand/v2.
	Rand func() float64
	// Logger receives the loop's log; nil means slog.Default().
	Logger *slog.Logger
	// HealthCheck is the period of the runner's health check (Runner.Monitor); 0 means
	// DefaultHealthCheck.
	HealthCheck time.Duration
	// Auth tells the credential's own view after each sync: signed out rather than merely
	// needing a sign-in, or signed in for this run only (no keyring). Nil: a sync's outcome
	// says all (a bearer token, the demo).
	Auth func() (AuthState, string)
}

// A Loop keeps the agenda up to date: it syncs at start, every interval, on Refresh and after a
// wake from sleep, through the runner, and publishes Snapshots. One goroutine owns all of its
// state; the methods only send it requests, so they are safe to call from any goroutine.
type Loop struct {
	cfg LoopConfig
	log *slog.Logger

	idleHook func(syncing bool) // tests: called each time the owner is about to wait

	refresh  chan struct{} // capacity 1: requests made while one is pending coalesce
	settings chan struct{} // capacity 1: tells the owner that newSettings changed
	hurry    chan struct{} // capacity 1: tells the owner that newPace changed

	mu          gosync.Mutex
	newSettings *Settings // latest from SetSettings, not yet taken by the owner
	newPace     *Pace     // latest from Hurry, not yet taken by the owner
	latest      *Snapshot
	subs        map[chan Snapshot]struct{}

	startOnce, stopOnce gosync.Once
	cancel              context.CancelFunc
	done                chan struct{}
}

// NewLoop checks cfg and returns a Loop that does nothing until Start (or Once).
func NewLoop(cfg LoopConfig) (*Loop, error) {
	if cfg.Source == nil {
		return nil, errors.New("sync: LoopConfig.Source is nil")
	}
	if cfg.Runner == nil {
		return nil, errors.New("sync: LoopConfig.Runner is nil")
	}
	if cfg.Settings == (Settings{}) {
		cfg.Settings = DefaultSettings()
	}
	if err := cfg.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = runner.SystemClock
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HealthCheck <= 0 {
		cfg.HealthCheck = DefaultHealthCheck
	}
	return &Loop{
		cfg:      cfg,
		log:      cfg.Logger,
		refresh:  make(chan struct{}, 1),
		settings: make(chan struct{}, 1),
		hurry:    make(chan struct{}, 1),
		subs:     make(map[chan Snapshot]struct{}),
		done:     make(chan struct{}),
	}, nil
}

// Start starts the loop's goroutines: the sync loop and the runner's health check. Calls after
// the first do nothing.
func (l *Loop) Start() {
	l.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel = cancel
		go l.run(ctx)
	})
}

// Stop ends everything Start started, cancelling a running sync, and waits for it. The last
// snapshot stays readable. Stop is safe to call more than once, and before Start.
func (l *Loop) Stop() {
	l.stopOnce.Do(func() {
		l.startOnce.Do(func() { close(l.done) }) // never started: nothing to wait for
		if l.cancel != nil {
			l.cancel()
		}
	})
	<-l.done
}

// Refresh asks for a sync now. Calls while a sync runs coalesce into one more sync after it.
// It also resumes syncing after a sign-in error: the UI calls it once the user has signed in.
// A sync still waits for a retry time the service or the circuit breaker set.
func (l *Loop) Refresh() {
	select {
	case l.refresh <- struct{}{}:
	default: // one is pending already
	}
}

// SetSettings hands the loop new settings. A new window syncs at once, a new interval applies
// from now, new filters republish the agenda without a sync.
func (l *Loop) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	l.newSettings = &s
	l.mu.Unlock()
	select {
	case l.settings <- struct{}{}:
	default:
	}
	return nil
}

// Hurry runs the loop on pace p until a sync that starts after this call succeeds; then the
// settings' interval and the runner's own open period are back. The demo calls it when the user
// simulates an outage: the outage stops every sync from succeeding, so the pace lasts until it
// has been switched off and a sync has got through (the recovery is shown at pace too).
func (l *Loop) Hurry(p Pace) error {
	if err := p.validate(); err != nil {
		return err
	}
	l.mu.Lock()
	l.newPace = &p
	l.mu.Unlock()
	select {
	case l.hurry <- struct{}{}:
	default:
	}
	return nil
}

// Subscribe returns a channel that receives every snapshot the loop publishes, starting with
// the latest one if there is one. It holds only the newest: a slow reader misses intermediate
// snapshots, never the current one, and never blocks the loop. cancel ends the subscription.
func (l *Loop) Subscribe() (snapshots <-chan Snapshot, cancel func()) {
	ch := make(chan Snapshot, 1)
	l.mu.Lock()
	if l.latest != nil {
		ch <- *l.latest
	}
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs, ch)
		l.mu.Unlock()
	}
}

// Latest returns the last published snapshot, and false before the first one.
func (l *Loop) Latest() (Snapshot, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.latest == nil {
		return Snapshot{}, false
	}
	return *l.latest, true
}

// Health returns the health now: the latest snapshot's, with the runner's state and the
// staleness rule read again at this moment. It is what GET /health/async serves.
func (l *Loop) Health() Health {
	rs := l.cfg.Runner.State()
	s, ok := l.Latest()
	if !ok {
		return newHealth(rs, time.Time{}, true, "", "")
	}
	// The snapshot's verdict holds what only the loop knows (the last sync failed, none yet
	// this run); the data's age is read again now.
	stale := isStale(s.Health.Stale, true, s.StaleAt, rs.Timestamp)
	return newHealth(rs, s.LastSync, stale, s.Auth, s.AuthMessage)
}

// publish makes s the latest snapshot and hands it to every subscriber, replacing a snapshot
// the subscriber has not read yet.
func (l *Loop) publish(s Snapshot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.latest = &s
	for ch := range l.subs {
		select {
		case <-ch:
		default:
		}
		ch <- s // cannot block: the channel is empty and only publish sends, under l.mu
	}
}

// takeSettings returns settings from SetSettings not yet applied.
func (l *Loop) takeSettings() (Settings, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.newSettings == nil {
		return Settings{}, false
	}
	s := *l.newSettings
	l.newSettings = nil
	return s, true
}

// A result is what a sync worker reports to the owner.
type result struct {
	delta      Delta
	err        error
	start, end time.Time
	cacheErr   error
}

// Once loads the cache and runs one sync on the calling goroutine, for the headless agenda
// command. It returns the snapshot after the sync (the cached agenda, marked stale, if the sync
// failed) and the sync's error. It must not be used on a started loop.
func (l *Loop) Once(ctx context.Context) (Snapshot, error) {
	st := l.newState()
	st.loadCache()
	st.startSync(st.now())
	from, to := st.window(st.now())
	r := l.sync(ctx, from, to, st.delta)
	st.finish(r)
	s, _ := l.Latest()
	return s, r.err
}

// run is the owner goroutine.
func (l *Loop) run(ctx context.Context) {
	defer close(l.done)
	var wg gosync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { l.cfg.Runner.Monitor(ctx, l.cfg.HealthCheck) })

	st := l.newState()
	st.loadCache()
	st.next = st.now() // sync at start
	results := make(chan result, 1)
	for {
		now := st.now()
		if !st.syncing && st.due(now) {
			st.startSync(now)
			select {
			case <-l.refresh: // a refresh asked before this sync began is answered by it
			default:
			}
			st.publish()
			from, to := st.window(now)
			prev := st.delta
			prev.Appointments = slices.Clone(prev.Appointments) // the worker's own copy
			wg.Go(func() { results <- l.sync(ctx, from, to, prev) })
		}

		// While a sync runs the loop waits for its result, requests, Stop and the data turning
		// stale; otherwise also for the next moment something is due.
		var timerC <-chan time.Time
		var timer runner.Timer
		var armed time.Time
		var wait time.Duration
		switch {
		case !st.syncing:
			wait = st.wait(now)
		default:
			if slow := st.slowAt(); !slow.IsZero() && !now.Before(slow) {
				st.slowShown = true // became slow without a timer of ours firing (a refresh woke us)
				st.publish()
			}
			// A hanging sync must not hide that the data aged, nor that it is slow.
			for _, t := range []time.Time{st.staleAt(), st.slowAt()} {
				if t.After(now) && (wait == 0 || t.Sub(now) < wait) {
					wait = t.Sub(now)
				}
			}
		}
		if wait > 0 {
			timer, armed = l.cfg.Clock.NewTimer(wait), now
			timerC = timer.C()
		}
		if l.idleHook != nil {
			l.idleHook(st.syncing)
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			if st.syncing {
				<-results // the worker ends promptly: its context is cancelled
			}
			return
		case <-l.refresh:
			st.onRefresh(now)
		case <-l.settings:
			if s, ok := l.takeSettings(); ok {
				st.onSettings(now, s)
			}
		case <-l.hurry:
			l.mu.Lock()
			p := l.newPace
			l.newPace = nil
			l.mu.Unlock()
			if p != nil {
				st.onHurry(now, *p)
			}
		case r := <-results:
			st.finish(r)
		case <-timerC:
			timer = nil
			st.onTimer(armed, wait)
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// sync runs one sync of window through the runner and, if it succeeds, saves it in the cache.
func (l *Loop) sync(ctx context.Context, from, to time.Time, prev Delta) result {
	r := result{start: l.cfg.Clock.Now()}
	r.delta, r.err = runner.Do(ctx, l.cfg.Runner, syncOp, func(ctx context.Context) (Delta, error) {
		if ds, ok := l.cfg.Source.(DeltaSource); ok {
			return ds.Sync(ctx, from, to, prev)
		}
		apps, err := l.cfg.Source.List(ctx, from, to)
		return Delta{From: from, To: to, Appointments: apps, Kind: SyncFull}, err
	})
	r.end = l.cfg.Clock.Now()
	if r.err == nil && l.cfg.Cache != nil {
		r.cacheErr = l.cfg.Cache.Save(CacheEntry{LastSync: r.end, Delta: r.delta})
	}
	return r
}
