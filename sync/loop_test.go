package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"caltray/runner"
	"caltray/runner/fakeclock"
	"caltray/sync/internal/tempdir"
)

func TestNewRejectsBadConfig(t *testing.T) {
	r, err := runner.New(runner.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	bad := DefaultSettings()
	bad.Interval = time.Second
	tests := []struct {
		name string
		cfg  LoopConfig
		want string
	}{
		{"no source", LoopConfig{Runner: r}, "Source is nil"},
		{"no runner", LoopConfig{Source: &stubSource{}}, "Runner is nil"},
		{"bad settings", LoopConfig{Source: &stubSource{}, Runner: r, Settings: bad}, "interval is 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLoop(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLoopSyncsAtStartAndEveryInterval(t *testing.T) {
	// The jitter draw r gives an interval of 5m × (0.9 + 0.2 r).
	tests := []struct {
		rand float64
		want time.Duration
	}{
		{0, 4*time.Minute + 30*time.Second},
		{0.5, 5 * time.Minute},
		{0.75, 5*time.Minute + 15*time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.rand), func(t *testing.T) {
			src := &stubSource{apps: []Appointment{appt("a", time.Hour, time.Hour)}}
			h := NewHarness(t, src, HarnessOptions{Loop: func(c *LoopConfig) { c.Rand = func() float64 { return tt.rand } }})
			h.Start()
			if got := src.count(); got != 1 {
				t.Fatalf("syncs after start = %d, want 1", got)
			}
			for i := 2; i <= 4; i++ {
				h.Advance(tt.want - time.Millisecond)
				if got := src.count(); got != i-1 {
					t.Fatalf("syncs 1ms before tick %d = %d, want %d", i, got, i-1)
				}
				h.Advance(time.Millisecond)
				if got := src.count(); got != i {
					t.Fatalf("syncs at tick %d = %d, want %d", i, got, i)
				}
			}
			// The window is today (UTC here) through 7 days ahead.
			from, to := src.windows[0][0], src.windows[0][1]
			if want := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC); !from.Equal(want) || !to.Equal(want.AddDate(0, 0, 8)) {
				t.Errorf("window = [%v, %v), want [%v, %v)", from, to, want, want.AddDate(0, 0, 8))
			}
			s := h.Latest()
			if s.Health.Stale || s.Syncing || s.Syncs != 4 || ids(s.Appointments) != "a" || len(s.Recent) != 4 {
				t.Errorf("snapshot = stale %v syncing %v syncs %d apps %q recent %d; want fresh, idle, 4 syncs, a, 4",
					s.Health.Stale, s.Syncing, s.Syncs, ids(s.Appointments), len(s.Recent))
			}
		})
	}
}

func TestLoopCoalescesRefreshes(t *testing.T) {
	src := &stubSource{gate: make(chan struct{}), entered: make(chan int, 10)}
	h := NewHarness(t, src, HarnessOptions{})
	h.Loop.Start()
	<-src.entered // the start sync is running and held
	for range 50 {
		h.Loop.Refresh()
	}
	n := h.IdleCount()
	src.gate <- struct{}{} // end the first sync: one more must follow, for all 50 refreshes
	if got := <-src.entered; got != 2 {
		t.Fatalf("second sync is call %d", got)
	}
	for range 50 {
		h.Loop.Refresh() // during the second sync: one more again
	}
	src.gate <- struct{}{}
	<-src.entered
	src.gate <- struct{}{}
	h.WaitIdle(n)
	// Nothing else is due: time stands still, and no refresh is pending.
	h.Advance(4 * time.Minute)
	if got := src.count(); got != 3 {
		t.Fatalf("syncs = %d, want 3 (start, one for the first 50 refreshes, one for the next 50)", got)
	}
}

func TestLoopRefreshSyncsAtOnceWhenIdle(t *testing.T) {
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	h.Advance(time.Minute)
	h.Do(h.Loop.Refresh)
	if got := src.count(); got != 2 {
		t.Fatalf("syncs = %d, want 2", got)
	}
	// The interval restarts from the refresh's sync.
	h.Advance(5*time.Minute - time.Millisecond)
	if got := src.count(); got != 2 {
		t.Fatalf("syncs before the next tick = %d, want 2", got)
	}
	h.Advance(time.Millisecond)
	if got := src.count(); got != 3 {
		t.Fatalf("syncs at the next tick = %d, want 3", got)
	}
}

// jumpClock is a fake clock whose wall time can jump while its timers stand still, as after a
// machine's sleep: Go's timers run on the monotonic clock, which does not count suspension.
type jumpClock struct {
	*fakeclock.Clock
	mu     gosync.Mutex
	offset time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Clock.Now().Add(c.offset)
}

func (c *jumpClock) jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func TestLoopSyncsAfterWake(t *testing.T) {
	tests := []struct {
		name string
		jump time.Duration
		sync bool
	}{
		{"no jump", 0, false},
		{"jump shorter than the interval", 3 * time.Minute, false},
		{"sleep of two hours", 2 * time.Hour, true},
		{"clock set back", -3 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &stubSource{}
			var jc *jumpClock
			h := NewHarness(t, src, HarnessOptions{Clock: func(c *fakeclock.Clock) runner.Clock {
				jc = &jumpClock{Clock: c}
				return jc
			}})
			h.Start()
			h.Advance(30 * time.Second) // into the first wake-check period
			jc.jump(tt.jump)
			// The loop's timer fires after its wakeCheck period, long before the 5-minute tick.
			h.Advance(30 * time.Second)
			want := 1
			if tt.sync {
				want = 2
			}
			if got := src.count(); got != want {
				t.Fatalf("syncs = %d, want %d", got, want)
			}
			if tt.sync && !strings.Contains(h.Logs.String(), "wake from sleep") {
				t.Errorf("no wake logged:\n%s", h.Logs.String())
			}
		})
	}
}

func TestLoopSyncsAfterWallClockJumpOnFakeClock(t *testing.T) {
	// fakeclock.Set moves the wall clock and fires due timers: a jump past the tick syncs once.
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	n := h.IdleCount()
	h.Clock.Set(T0.Add(3 * time.Hour))
	h.WaitIdle(n)
	if got := src.count(); got != 2 {
		t.Fatalf("syncs = %d, want 2", got)
	}
}

func TestLoopWaitsOutOpenBreaker(t *testing.T) {
	src := &stubSource{apps: []Appointment{appt("a", time.Hour, time.Hour)}}
	h := NewHarness(t, src, HarnessOptions{Runner: func(c *runner.Config) {
		c.FailureThreshold = 2
		c.OpenTimeout = 30 * time.Minute // longer than the interval: ticks must not poll
	}})
	h.Start()
	src.set(nil, errFlaky, errFlaky)
	h.Advance(5 * time.Minute) // failure 1
	h.AdvanceToNext()          // failure 2, the sooner retry 15 s later: the breaker opens until T0+35m15s
	s := h.Latest()
	if s.Health.Breaker != "open" || s.Health.RetryAt == nil || !s.Health.RetryAt.Equal(T0.Add(35*time.Minute+15*time.Second)) {
		t.Fatalf("health = %+v, want the breaker open until T0+35m15s", s.Health)
	}
	if !s.NextSync.Equal(*s.Health.RetryAt) {
		t.Fatalf("next sync %v, want the breaker's retry time %v", s.NextSync, *s.Health.RetryAt)
	}
	if ids(s.Appointments) != "a" || !s.Health.Stale {
		t.Fatalf("during the outage: apps %q stale %v; want the last good agenda, stale", ids(s.Appointments), s.Health.Stale)
	}
	calls := src.count()
	for range 5 {
		h.Do(h.Loop.Refresh) // deferred, not sent
		h.Advance(5*time.Minute + 59*time.Second)
	}
	if got := src.count(); got != calls {
		t.Fatalf("calls while the breaker was open = %d, want 0", got-calls)
	}
	if !strings.Contains(h.Logs.String(), "refresh deferred") {
		t.Errorf("deferred refresh not logged")
	}
	h.Advance(T0.Add(35*time.Minute + 15*time.Second).Sub(h.Clock.Now())) // the retry time: one probe
	if got := src.count(); got != calls+1 {
		t.Fatalf("calls at the retry time = %d, want 1", got-calls)
	}
	s = h.Latest()
	if s.Health.Breaker != "closed" || s.Health.Stale || s.Health.Status != runner.StatusOperational {
		t.Fatalf("after the probe: %+v stale %v, want closed, operational, fresh", s.Health, s.Health.Stale)
	}
}

func TestLoopHonoursRetryAfter(t *testing.T) {
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	src.set(nil, &httpError{status: 429, wait: 12 * time.Minute})
	h.Start() // throttled until T0+12m
	if s := h.Latest(); !(s.Health.LastErrorKind == runner.KindThrottled) || !s.Health.Stale {
		t.Fatalf("after a 429: throttled %v stale %v", (s.Health.LastErrorKind == runner.KindThrottled), s.Health.Stale)
	}
	h.Do(h.Loop.Refresh)
	h.Advance(12*time.Minute - time.Millisecond)
	if got := src.count(); got != 1 {
		t.Fatalf("syncs before Retry-After passed = %d, want 1", got)
	}
	h.Advance(time.Millisecond)
	if got := src.count(); got != 2 {
		t.Fatalf("syncs when Retry-After passed = %d, want 2", got)
	}
}

func TestLoopKeepsLastGoodAgendaAndTracksStale(t *testing.T) {
	src := &stubSource{apps: []Appointment{appt("a", time.Hour, time.Hour), appt("b", 2*time.Hour, time.Hour)}}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	steps := []struct {
		name   string
		errs   []error
		apps   []Appointment
		wantID string
		stale  bool
		status runner.Status
	}{
		{"fail", []error{errFlaky}, nil, "a,b", true, runner.StatusDegraded},
		{"fail again", []error{&httpError{status: 503}}, nil, "a,b", true, runner.StatusDegraded},
		{"permanent failure", []error{&httpError{status: 400}}, nil, "a,b", true, runner.StatusDegraded},
		{"recover with new data", nil, []Appointment{appt("c", 3*time.Hour, time.Hour)}, "c", false, runner.StatusOperational},
	}
	for _, st := range steps {
		src.set(st.apps, st.errs...)
		h.AdvanceToNext()
		s := h.Latest()
		if ids(s.Appointments) != st.wantID || s.Health.Stale != st.stale || h.Loop.Health().Stale != st.stale || s.Health.Status != st.status {
			t.Errorf("%s: apps %q stale %v/%v status %s; want %q stale %v status %s", st.name,
				ids(s.Appointments), s.Health.Stale, h.Loop.Health().Stale, s.Health.Status, st.wantID, st.stale, st.status)
		}
		if last := s.Recent[len(s.Recent)-1]; (last.Err != "") != (st.errs != nil) {
			t.Errorf("%s: last record %+v", st.name, last)
		}
	}
}

func TestLoopStaleByAge(t *testing.T) {
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	if h.Loop.Health().Stale {
		t.Fatal("stale right after a good sync")
	}
	src.mu.Lock()
	src.gate, src.entered = make(chan struct{}), make(chan int, 1)
	src.mu.Unlock()
	h.Clock.Set(T0.Add(5 * time.Minute)) // the tick: its sync hangs
	<-src.entered
	h.Clock.WaitForTimers(2, nil) // the health check's and the loop's stale timer
	h.Clock.Set(T0.Add(10*time.Minute - time.Nanosecond))
	if h.Loop.Health().Stale {
		t.Fatal("stale before two intervals passed")
	}
	h.Clock.Set(T0.Add(10 * time.Minute))
	if !h.Loop.Health().Stale {
		t.Fatal("not stale two intervals after the last good sync")
	}
	if s := h.Latest(); !s.Syncing || !s.StaleAt.Equal(T0.Add(10*time.Minute)) {
		t.Errorf("snapshot syncing %v staleAt %v", s.Syncing, s.StaleAt)
	}
	// The loop republishes at the stale time, even with the sync still running.
	WaitFor(t, "a stale snapshot during the sync", func() bool { s := h.Latest(); return s.Health.Stale && s.Syncing })
	n := h.IdleCount()
	src.mu.Lock()
	gate := src.gate
	src.gate = nil
	src.mu.Unlock()
	gate <- struct{}{}
	h.WaitIdle(n)
	if h.Loop.Health().Stale || h.Latest().Health.Stale {
		t.Fatal("stale after a good sync")
	}
}

func TestLoopStopsPollingUntilSignIn(t *testing.T) {
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	src.set(nil, fmt.Errorf("token cache: %w", ErrSignInNeeded))
	h.Start()
	s := h.Latest()
	if s.Auth != AuthSignInNeeded || !strings.Contains(s.AuthMessage, "Sign in") || !s.Health.Stale {
		t.Fatalf("auth %q message %q stale %v", s.Auth, s.AuthMessage, s.Health.Stale)
	}
	h.Advance(3 * time.Hour)
	if got := src.count(); got != 1 {
		t.Fatalf("syncs while sign-in is needed = %d, want 1", got)
	}
	h.Do(h.Loop.Refresh) // the user signed in
	if got := src.count(); got != 2 {
		t.Fatalf("syncs after refresh = %d, want 2", got)
	}
	if s := h.Latest(); s.Auth != AuthOK || s.Health.Stale {
		t.Fatalf("after sign-in: auth %q stale %v", s.Auth, s.Health.Stale)
	}
	// A rejected token (HTTP 401) counts as sign-in needed too.
	src.set(nil, &httpError{status: 401})
	h.Advance(5 * time.Minute)
	h.Advance(time.Hour)
	if got, s := src.count(), h.Latest(); got != 3 || s.Auth != AuthSignInNeeded {
		t.Fatalf("after a 401: syncs %d auth %q; want 3 and sign-in needed", got, s.Auth)
	}
}

func TestLoopPublishesCacheBeforeFirstSync(t *testing.T) {
	dir := tempdir.New(t)
	c, err := NewCache(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cached := Delta{From: T0.Add(-9 * time.Hour), To: T0.Add(24 * 8 * time.Hour), Link: "https://graph.example/delta?$deltatoken=x",
		Appointments: []Appointment{appt("cached", time.Hour, time.Hour)}}
	lastSync := T0.Add(-time.Minute)
	if err := c.Save(CacheEntry{LastSync: lastSync, Delta: cached}); err != nil {
		t.Fatal(err)
	}
	src := &stubSource{gate: make(chan struct{}), entered: make(chan int, 1), errs: []error{errFlaky}}
	h := NewHarness(t, src, HarnessOptions{Loop: func(cfg *LoopConfig) { cfg.Cache = c }})
	snaps, cancel := h.Loop.Subscribe()
	defer cancel()
	h.Loop.Start()
	first := <-snaps
	if ids(first.Appointments) != "cached" || !first.Health.Stale || !first.LastSync.Equal(lastSync) {
		t.Fatalf("first snapshot: apps %q stale %v last sync %v; want the cache, stale", ids(first.Appointments), first.Health.Stale, first.LastSync)
	}
	<-src.entered
	n := h.IdleCount()
	src.gate <- struct{}{} // the first sync fails
	h.WaitIdle(n)
	if s := h.Latest(); ids(s.Appointments) != "cached" || !s.Health.Stale {
		t.Fatalf("after a failed sync: apps %q stale %v; want the cache, stale", ids(s.Appointments), s.Health.Stale)
	}
	src.mu.Lock()
	src.apps, src.gate = []Appointment{appt("fresh", time.Hour, time.Hour)}, nil
	src.mu.Unlock()
	h.Do(h.Loop.Refresh)
	<-src.entered
	if s := h.Latest(); ids(s.Appointments) != "fresh" || s.Health.Stale {
		t.Fatalf("after a good sync: apps %q stale %v", ids(s.Appointments), s.Health.Stale)
	}
	e, err := c.Load()
	if err != nil || ids(e.Delta.Appointments) != "fresh" || !e.LastSync.Equal(h.Clock.Now()) {
		t.Fatalf("cache after the sync: %v %+v", err, e)
	}
}

func TestLoopSnapshotsInOrderAndSlowSubscriberNeverBlocks(t *testing.T) {
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	slow, cancelSlow := h.Loop.Subscribe() // never read until the end
	defer cancelSlow()
	snaps, cancel := h.Loop.Subscribe()
	defer cancel()
	var got []Snapshot
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range snaps {
			got = append(got, s)
			if s.Syncs == 5 && !s.Syncing {
				return
			}
		}
	}()
	h.Start()
	for range 4 {
		h.Advance(5 * time.Minute)
	}
	<-done
	for i := 1; i < len(got); i++ {
		if got[i].Generation <= got[i-1].Generation || got[i].Syncs < got[i-1].Syncs {
			t.Fatalf("snapshot %d (gen %d, syncs %d) after gen %d, syncs %d", i, got[i].Generation, got[i].Syncs,
				got[i-1].Generation, got[i-1].Syncs)
		}
	}
	last := <-slow
	if latest := h.Latest(); last.Generation != latest.Generation {
		t.Fatalf("slow subscriber got generation %d, want the latest %d", last.Generation, latest.Generation)
	}
}

func TestLoopSettings(t *testing.T) {
	declined := appt("declined", time.Hour, time.Hour)
	declined.Response = ResponseDeclined
	cancelled := appt("cancelled", 2*time.Hour, time.Hour)
	cancelled.Cancelled = true
	allDay := Appointment{ID: "allday", Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
		End: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), AllDay: true}
	src := &stubSource{apps: []Appointment{declined, cancelled, allDay, appt("plain", 3*time.Hour, time.Hour)}}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	if got := ids(h.Latest().Appointments); got != "allday,declined,cancelled,plain" {
		t.Fatalf("agenda = %q", got)
	}
	s := DefaultSettings()
	s.HideDeclined, s.HideCancelled, s.HideAllDay = true, true, true
	h.Do(func() {
		if err := h.Loop.SetSettings(s); err != nil {
			t.Fatal(err)
		}
	})
	if got := ids(h.Latest().Appointments); got != "plain" || src.count() != 1 {
		t.Fatalf("with filters: agenda %q after %d syncs; want plain without a sync", got, src.count())
	}
	s.WindowDays = 1
	h.Do(func() { h.Loop.SetSettings(s) })
	if got := src.count(); got != 2 {
		t.Fatalf("syncs after a window change = %d, want 2", got)
	}
	if w := src.windows[1]; !w[1].Equal(time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("new window ends %v", w[1])
	}
	s.Interval = time.Hour
	h.Do(func() { h.Loop.SetSettings(s) })
	h.Advance(59 * time.Minute)
	if got := src.count(); got != 2 {
		t.Fatalf("syncs within the new interval = %d, want 2", got)
	}
	h.Advance(time.Minute)
	if got := src.count(); got != 3 {
		t.Fatalf("syncs after the new interval = %d, want 3", got)
	}
	bad := s
	bad.WindowDays = -1
	if err := h.Loop.SetSettings(bad); err == nil || !strings.Contains(err.Error(), "window_days is -1") {
		t.Fatalf("SetSettings(bad) = %v", err)
	}
}

func TestLoopStopCancelsRunningSync(t *testing.T) {
	src := &stubSource{gate: make(chan struct{}), entered: make(chan int, 1)}
	h := NewHarness(t, src, HarnessOptions{})
	h.Loop.Start()
	<-src.entered
	// Stop returns only when the held sync (its context cancelled) and the monitor have ended;
	// goleak checks that nothing is left.
	h.Loop.Stop()
	h.Loop.Stop()
	if got := src.count(); got != 1 {
		t.Errorf("syncs = %d, want 1", got)
	}
}

func TestLoopStopBeforeStart(t *testing.T) {
	h := NewHarness(t, &stubSource{}, HarnessOptions{})
	h.Loop.Stop()
	h.Loop.Start() // after Stop: nothing runs
	if _, ok := h.Loop.Latest(); ok {
		t.Fatal("a stopped loop published")
	}
}

func TestLoopRunsHealthCheck(t *testing.T) {
	src := &stubSource{errs: []error{errFlaky, errFlaky, errFlaky}}
	h := NewHarness(t, src, HarnessOptions{Loop: func(c *LoopConfig) { c.HealthCheck = 5 * time.Minute }})
	h.Start()
	// The loop's timer and the health check's are both set: the check runs at T0+5m.
	if !h.Clock.WaitForTimers(2, nil) {
		t.Fatal("no health check timer")
	}
	h.Clock.Set(T0.Add(5*time.Minute + time.Second))
	WaitFor(t, "the health check's error line", func() bool {
		return strings.Contains(h.Logs.String(), "health check: not operational")
	})
}

func TestOnceReturnsCachedAgendaOnFailure(t *testing.T) {
	c, err := NewCache(tempdir.New(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &stubSource{apps: []Appointment{appt("a", time.Hour, time.Hour)}}
	h := NewHarness(t, src, HarnessOptions{Loop: func(cfg *LoopConfig) { cfg.Cache = c }})
	s, err := h.Loop.Once(context.Background())
	if err != nil || ids(s.Appointments) != "a" || s.Health.Stale {
		t.Fatalf("Once: %v, apps %q stale %v", err, ids(s.Appointments), s.Health.Stale)
	}
	src.set(nil, &httpError{status: 503})
	h2 := NewHarness(t, src, HarnessOptions{Loop: func(cfg *LoopConfig) { cfg.Cache = c }})
	s, err = h2.Loop.Once(context.Background())
	var re *runner.Error
	if !errors.As(err, &re) || ids(s.Appointments) != "a" || !s.Health.Stale {
		t.Fatalf("Once after failure: %v, apps %q stale %v; want the cached a, stale", err, ids(s.Appointments), s.Health.Stale)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		class runner.Class
		kind  runner.Kind
	}{
		{"sign-in needed", fmt.Errorf("get token: %w", ErrSignInNeeded), runner.ClassPermanent, runner.KindSignIn},
		{"token rejected", &httpError{status: 401}, runner.ClassPermanent, runner.KindSignIn},
		{"no keyring", fmt.Errorf("save the sign-in: %w", ErrNoKeyring), runner.ClassPermanent, runner.KindKeyring},
		{"unreadable", fmt.Errorf("page 2: %w", ErrUnreadable), runner.ClassRetryable, runner.KindUnreadable},
		{"unreadable and permanent", runner.Permanent(fmt.Errorf("too large: %w", ErrUnreadable)), runner.ClassPermanent, runner.KindUnreadable},
		{"throttled", &httpError{status: 429}, runner.ClassThrottled, runner.KindThrottled},
		{"unavailable", &httpError{status: 503}, runner.ClassRetryable, runner.KindServer},
		{"forbidden", &httpError{status: 403}, runner.ClassPermanent, runner.KindRefused},
		{"unnamed", errors.New("connection reset by peer"), runner.ClassRetryable, runner.KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if class, kind := Classify(tt.err); class != tt.class || kind != tt.kind {
				t.Fatalf("Classify(%v) = %v, %q; want %v, %q", tt.err, class, kind, tt.class, tt.kind)
			}
		})
	}
}

// newHealth is the one place health is decided: a sign-in needed is not healthy, last_success
// is the last good sync (the cache's too), and the kill switch is healthy only without failures.
func TestNewHealth(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	ok := runner.State{Status: runner.StatusOperational, Breaker: "closed", Timestamp: at}
	tests := []struct {
		name        string
		rs          runner.State
		lastSync    time.Time
		auth        AuthState
		healthy     bool
		status      runner.Status
		kind        runner.Kind
		lastSuccess bool
	}{
		{"fine", ok, at.Add(-time.Minute), AuthOK, true, runner.StatusOperational, "", true},
		{"never synced", ok, time.Time{}, AuthOK, true, runner.StatusOperational, "", false},
		{"sign-in needed", ok, at.Add(-time.Hour), AuthSignInNeeded, false, runner.StatusDegraded, runner.KindSignIn, true},
		{"signed out", ok, time.Time{}, AuthSignedOut, false, runner.StatusDegraded, runner.KindSignIn, false},
		{"down stays down", runner.State{Status: runner.StatusDown, Breaker: "open", LastErrorKind: runner.KindServer},
			at, AuthSignInNeeded, false, runner.StatusDown, runner.KindSignIn, true},
		{"bypassed, fine", runner.State{Status: runner.StatusBypassed, Breaker: "closed"}, at, AuthOK, true, runner.StatusBypassed, "", true},
		{"bypassed, failing", runner.State{Status: runner.StatusBypassed, ConsecutiveFailures: 1, LastErrorKind: runner.KindNetwork},
			at, AuthOK, false, runner.StatusBypassed, runner.KindNetwork, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHealth(tt.rs, tt.lastSync, false, tt.auth, "Sign in again")
			if h.Healthy != tt.healthy || h.Status != tt.status || h.LastErrorKind != tt.kind || (h.LastSuccess != nil) != tt.lastSuccess {
				t.Fatalf("newHealth = %+v; want healthy %v, %s, kind %q, last success %v", h, tt.healthy, tt.status, tt.kind, tt.lastSuccess)
			}
			if tt.lastSuccess && !h.LastSuccess.Equal(tt.lastSync) {
				t.Fatalf("last_success %v, want %v", h.LastSuccess, tt.lastSync)
			}
		})
	}
}

func TestLoopAsksTheCredential(t *testing.T) {
	src := &stubSource{}
	state, msg := AuthSignedOut, "Nobody is signed in."
	h := NewHarness(t, src, HarnessOptions{Loop: func(cfg *LoopConfig) {
		cfg.Auth = func() (AuthState, string) { return state, msg }
	}})
	src.set(nil, fmt.Errorf("get token: %w", ErrSignInNeeded))
	h.Start()
	if s := h.Latest(); s.Auth != AuthSignedOut || s.AuthMessage != msg {
		t.Fatalf("nobody signed in: auth %q message %q", s.Auth, s.AuthMessage)
	}
	// Signed in, but the keyring could not keep it: the sync works, and the UI must say so.
	state, msg = AuthNoKeyring, "Signed in for this run only."
	src.set(nil, nil)
	h.Do(h.Loop.Refresh)
	if s := h.Latest(); s.Auth != AuthNoKeyring || s.AuthMessage != msg {
		t.Fatalf("no keyring: auth %q message %q", s.Auth, s.AuthMessage)
	}
	// The credential cannot overrule what a sync showed: a stale sign-in is not "signed out"
	// just because the credential's record says so, and a good sync is not "sign-in needed".
	state = AuthSignInNeeded
	h.Do(h.Loop.Refresh)
	if s := h.Latest(); s.Auth != AuthOK {
		t.Fatalf("good sync, credential says sign-in needed: auth %q", s.Auth)
	}
}

// skippingSource is a DeltaSource whose syncs report skipped events.
type skippingSource struct {
	stubSource
	mu    gosync.Mutex
	skips [][]Skip // one per call, in order
}

func (s *skippingSource) Sync(ctx context.Context, from, to time.Time, _ Delta) (Delta, error) {
	apps, err := s.List(ctx, from, to)
	if err != nil {
		return Delta{}, err
	}
	s.mu.Lock()
	var skips []Skip
	if len(s.skips) > 0 {
		skips, s.skips = s.skips[0], s.skips[1:]
	}
	s.mu.Unlock()
	return Delta{From: from, To: to, Appointments: apps, Kind: SyncFull, Skipped: skips}, nil
}

// TestLoopReportsSkippedEvents: the events a sync skipped are counted in the snapshot (for the
// health panel) and logged by id and reason, never by subject.
func TestLoopReportsSkippedEvents(t *testing.T) {
	src := &skippingSource{skips: [][]Skip{
		{{ID: "AAMk1", Reason: "calendarView/delta page 1 value[3]: event AAMk1: end is before start"},
			{ID: "", Reason: "calendarView/delta page 1 value[5]: the event is null"}},
		nil,
	}}
	src.apps = []Appointment{appt("a", time.Hour, time.Hour)}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	if s := h.Latest(); s.Skipped != 2 || ids(s.Appointments) != "a" {
		t.Fatalf("Skipped = %d, apps %q; want 2, a", s.Skipped, ids(s.Appointments))
	}
	logs := h.Logs.String()
	for _, want := range []string{"count=2", "AAMk1", "end is before start", "value[5]: the event is null"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	h.Do(h.Loop.Refresh)
	if s := h.Latest(); s.Skipped != 0 {
		t.Fatalf("Skipped = %d after a clean sync, want 0", s.Skipped)
	}
}

// TestLoopPublishesWhenASyncIsSlow: a running sync's start is in the snapshot, and the loop
// publishes again once it has run for SlowSync, so the tray can say it is waiting.
func TestLoopPublishesWhenASyncIsSlow(t *testing.T) {
	src := &stubSource{gate: make(chan struct{}), entered: make(chan int, 1)}
	h := NewHarness(t, src, HarnessOptions{})
	h.Loop.Start()
	<-src.entered
	WaitFor(t, "the syncing snapshot", func() bool { s, ok := h.Loop.Latest(); return ok && s.Syncing })
	s := h.Latest()
	if !s.SyncStarted.Equal(T0) {
		t.Fatalf("SyncStarted = %v, want %v", s.SyncStarted, T0)
	}
	gen := s.Generation
	h.Clock.Set(T0.Add(SlowSync))
	WaitFor(t, "a snapshot once the sync is slow", func() bool { s, _ := h.Loop.Latest(); return s.Generation > gen })
	if s := h.Latest(); !s.Syncing || !s.SyncStarted.Equal(T0) {
		t.Fatalf("slow snapshot: syncing %v, started %v", s.Syncing, s.SyncStarted)
	}
	n := h.IdleCount()
	src.gate <- struct{}{}
	h.WaitIdle(n)
	if s := h.Latest(); s.Syncing || !s.SyncStarted.IsZero() {
		t.Fatalf("after the sync: syncing %v, started %v; want idle, zero", s.Syncing, s.SyncStarted)
	}
}
