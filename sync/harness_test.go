package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/runner"
	"caltray/runner/fakeclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// T0 is the tests' virtual start: a Friday morning, UTC.
var T0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// stubSource is a Source whose answers the test scripts.
type stubSource struct {
	mu      gosync.Mutex
	apps    []Appointment
	errs    []error // one per call, in order; a nil entry (or none left) succeeds
	calls   int
	windows [][2]time.Time
	gate    chan struct{} // non-nil: each call waits for a value (or its context's end)
	entered chan int      // non-nil: gets the call number when a call starts
}

func (s *stubSource) List(ctx context.Context, from, to time.Time) ([]Appointment, error) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.windows = append(s.windows, [2]time.Time{from, to})
	var err error
	if len(s.errs) > 0 {
		err, s.errs = s.errs[0], s.errs[1:]
	}
	apps := append([]Appointment(nil), s.apps...)
	gate, entered := s.gate, s.entered
	s.mu.Unlock()
	if entered != nil {
		entered <- n
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return apps, nil
}

func (s *stubSource) set(apps []Appointment, errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps, s.errs = apps, errs
}

func (s *stubSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// httpError is an error carrying an HTTP status and Retry-After, like graph.Error.
type httpError struct {
	status int
	wait   time.Duration
}

func (e *httpError) Error() string             { return fmt.Sprintf("HTTP %d", e.status) }
func (e *httpError) HTTPStatus() int           { return e.status }
func (e *httpError) RetryAfter() time.Duration { return e.wait }

var errFlaky = errors.New("connection reset by peer")

// LogBuffer collects log output for assertions.
type LogBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor polls cond for up to 10 s of real time, for effects of goroutines the test cannot
// otherwise wait on (a log line written by the runner's monitor).
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Harness runs a Loop on a fake clock and knows when the loop has settled. It is exported
// for the integration tests in package sync_test (this file is compiled only for tests).
type Harness struct {
	t      *testing.T
	Clock  *fakeclock.Clock
	Runner *runner.Runner
	Loop   *Loop
	Logs   *LogBuffer

	mu      gosync.Mutex
	idles   int
	syncing bool
	changed chan struct{}
}

// HarnessOptions tweak a Harness's configuration before the loop is made.
type HarnessOptions struct {
	Runner func(*runner.Config)
	Loop   func(*LoopConfig)
	Clock  func(*fakeclock.Clock) runner.Clock // wraps the fake clock for the configs
	// FakeClock is the clock to use instead of a new one at T0 (to share it with a fake server).
	FakeClock *fakeclock.Clock
	// Quiet drops the log instead of keeping it in Logs (long runs).
	Quiet bool
}

// NewHarness makes a loop for src on a fake clock at T0: a runner of one attempt per call, no
// jitter, UTC, the health check out of the way. Stop runs at the test's end.
func NewHarness(t *testing.T, src Source, o HarnessOptions) *Harness {
	t.Helper()
	h := &Harness{t: t, Clock: o.FakeClock, Logs: &LogBuffer{}, changed: make(chan struct{})}
	if h.Clock == nil {
		h.Clock = fakeclock.New(T0)
	}
	var clock runner.Clock = h.Clock
	if o.Clock != nil {
		clock = o.Clock(h.Clock)
	}
	log := slog.New(slog.NewTextHandler(h.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.Quiet {
		log = slog.New(slog.DiscardHandler)
	}
	rc := runner.DefaultConfig()
	rc.Clock, rc.Logger = clock, log
	rc.MaxAttempts = 1 // each sync is one call: the tests count calls
	rc.BaseDelay = 0
	rc.Rand = func() float64 { return 0 }
	if o.Runner != nil {
		o.Runner(&rc)
	}
	r, err := runner.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := LoopConfig{
		Source:      src,
		Runner:      r,
		Clock:       clock,
		Location:    time.UTC,
		Rand:        func() float64 { return 0.5 }, // no jitter: ticks exactly every interval
		Logger:      log,
		HealthCheck: 1000 * time.Hour, // out of the way; TestLoopRunsHealthCheck sets its own
	}
	if o.Loop != nil {
		o.Loop(&cfg)
	}
	l, err := NewLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.idleHook = h.onIdle
	h.Runner, h.Loop = r, l
	t.Cleanup(l.Stop)
	return h
}

func (h *Harness) onIdle(syncing bool) {
	h.mu.Lock()
	h.idles++
	h.syncing = syncing
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

func (h *Harness) IdleCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.idles
}

// WaitIdle waits until the loop has gone idle (no sync running) more than after times.
func (h *Harness) WaitIdle(after int) {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		done, changed := h.idles > after && !h.syncing, h.changed
		h.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			h.t.Fatalf("loop did not settle; log:\n%s", h.Logs.String())
		}
	}
}

// Start starts the loop and waits for the first sync to end.
func (h *Harness) Start() {
	h.t.Helper()
	n := h.IdleCount()
	h.Loop.Start()
	h.WaitIdle(n)
}

// Advance moves the fake clock forward by d, stopping at each of the loop's timers and
// waiting for the loop to settle there, as real time would.
func (h *Harness) Advance(d time.Duration) {
	h.t.Helper()
	target := h.Clock.Now().Add(d)
	for {
		next, ok := h.Clock.NextDeadline()
		if !ok || next.After(target) {
			h.Clock.Set(target)
			return
		}
		n := h.IdleCount()
		h.Clock.Set(next)
		h.WaitIdle(n)
	}
}

// AdvanceToNext moves the fake clock to the next sync the latest snapshot names (NextSync)
// and waits for that sync to end.
func (h *Harness) AdvanceToNext() {
	h.t.Helper()
	next := h.Latest().NextSync
	if next.IsZero() {
		h.t.Fatal("the latest snapshot names no next sync")
	}
	h.Advance(next.Sub(h.Clock.Now()))
}

// Do runs f (a Refresh, a SetSettings) and waits for the loop to handle it and settle.
func (h *Harness) Do(f func()) {
	h.t.Helper()
	n := h.IdleCount()
	f()
	h.WaitIdle(n)
}

func (h *Harness) Latest() Snapshot {
	h.t.Helper()
	s, ok := h.Loop.Latest()
	if !ok {
		h.t.Fatal("no snapshot published")
	}
	return s
}

// appt makes a timed appointment starting at T0+offset.
func appt(id string, offset, length time.Duration) Appointment {
	return Appointment{ID: id, Subject: "Meeting " + id, Start: T0.Add(offset), End: T0.Add(offset + length),
		Response: ResponseAccepted, ShowAs: ShowAsBusy}
}

func ids(apps []Appointment) string {
	var s []string
	for _, a := range apps {
		s = append(s, a.ID)
	}
	return strings.Join(s, ",")
}
