package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"caltray/runner"
	"caltray/runner/fakeclock"
	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/internal/tempdir"
)

// The soak's shape. SOAK_CYCLES overrides the cycle count for a longer local run.
const (
	soakCycles    = 10000
	soakFaultRate = 0.30
	soakSeed      = 20261127
	soakThreshold = 3               // breaker: consecutive counted failures that open it
	soakOpen      = 5 * time.Minute // breaker: how long it stays open
)

// outcome is what one sync cycle implies for the breaker.
type outcome int

const (
	success  outcome = iota
	counted          // a failure that counts against the breaker (5xx, timeouts, broken bodies)
	excluded         // a failure that does not: throttling (429), a permanent 4xx
)

// implied returns the outcome a fault kind implies for the request that got it.
func implied(k fakegraph.FaultKind) outcome {
	switch k {
	case fakegraph.None:
		return success
	case fakegraph.Throttled, fakegraph.ThrottledDate, fakegraph.ExpiredToken:
		// 429 is throttling; 410 on a full sync is a permanent client error. (410 on a delta
		// request makes the source start over with a full sync: a later request decides.)
		return excluded
	}
	return counted
}

// breakerModel is the circuit breaker as the fault sequence implies it, computed independently
// of the runner: threshold consecutive counted failures open it; the next call after the open
// period is a probe that closes it on success, reopens it on a counted failure, and leaves it
// half-open on an excluded one.
type breakerModel struct {
	state    string
	failures int
	openings int
}

func (m *breakerModel) apply(o outcome) {
	// While open, the loop sends nothing until the open period ends: the next call is the probe.
	probe := m.state == "open" || m.state == "half-open"
	switch {
	case o == success:
		m.state, m.failures = "closed", 0
	case o == counted && probe:
		m.state = "open"
		m.openings++
	case o == counted:
		m.failures++
		if m.failures >= soakThreshold {
			m.state, m.failures = "open", 0
			m.openings++
		}
	case o == excluded && probe:
		m.state = "half-open" // the probe's answer said nothing about the service: probe again
	}
}

// slowCutter plays the client that gives up on a hanging request: on a cycle whose fault is
// Slow (the fake hangs until the client leaves), it cancels the sync once the fake has the
// request. An attempt timeout would do the same after real time, and would either cost the soak
// seconds or, if short, fire before a request reached the fake on a busy machine.
type slowCutter struct {
	calsync.DeltaSource
	fake *fakegraph.Server
	cut  atomic.Bool
}

func (s *slowCutter) Sync(ctx context.Context, from, to time.Time, prev calsync.Delta) (calsync.Delta, error) {
	if !s.cut.Load() {
		return s.DeltaSource.Sync(ctx, from, to, prev)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			if slices.ContainsFunc(s.fake.Requests(), func(r fakegraph.Request) bool { return r.Fault == fakegraph.Slow }) {
				cancel()
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	defer func() {
		close(stop)
		<-done
		cancel()
	}()
	return s.DeltaSource.Sync(ctx, from, to, prev)
}

// soakDir is the soak's cache directory: in RAM (/dev/shm) where there is one, since the soak
// checks the loop and the cache's format under faults, not the disk's flush latency, which on a
// shared build machine costs up to 20 ms a write and would dominate the run.
func soakDir(t *testing.T) string {
	if dir, err := os.MkdirTemp("/dev/shm", "caltray-soak-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return tempdir.New(t)
}

// heapAfterGC returns the live heap. It first closes the pooled keep-alive connections (client
// and server live in this process, and how many sit idle depends on which faults broke which
// connections) and gives their goroutines a moment to end, so the figure is the loop's own.
func heapAfterGC(fake *fakegraph.Server) uint64 {
	fake.Client().CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	cycles := soakCycles
	if v := os.Getenv("SOAK_CYCLES"); v != "" {
		fmt.Sscan(v, &cycles)
	}
	began := time.Now()
	baseline := runtime.NumGoroutine()
	clock := fakeclock.New(calsync.T0)
	// A year of mailbox, two meetings a day, evenly: the window holds as much data on the last
	// day as on the first, so the heap comparison measures leaks, not a busier week.
	year := fakegraph.Spread(2*365, calsync.T0.AddDate(0, 0, -30), calsync.T0.AddDate(0, 0, 365-30))
	fake, gsrc := newGraph(t, clock, false, year)
	src := &slowCutter{DeltaSource: gsrc, fake: fake}
	dir := soakDir(t)
	cache, err := calsync.NewCache(dir, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := calsync.NewCache(dir, clock.Now) // a second handle, as another process would read
	if err != nil {
		t.Fatal(err)
	}
	settings := calsync.DefaultSettings()
	settings.Interval = calsync.MinInterval // one cycle per virtual minute: fewer clock steps
	h := calsync.NewHarness(t, src, calsync.HarnessOptions{
		FakeClock: clock,
		Quiet:     true,
		Runner: func(c *runner.Config) {
			// One attempt per call, so each cycle's fault decides its sync; the runner's
			// retries have their own tests.
			c.MaxAttempts = 1
			c.AttemptTimeout = 10 * time.Second
			c.FailureThreshold, c.OpenTimeout = soakThreshold, soakOpen
		},
		Loop: func(c *calsync.LoopConfig) {
			c.Cache, c.Settings = cache, settings
			// No jitter: each cycle is one step of the fake clock (jitter has its own tests).
			c.Rand = func() float64 { return 0.5 }
		},
	})

	rng := rand.New(rand.NewPCG(soakSeed, 2))
	allKinds := fakegraph.Kinds()
	faults := map[fakegraph.FaultKind]int{}
	var model breakerModel
	var heap100, heapEnd uint64
	var transitions, failures int
	prevBreaker := "closed"
	h.Start()
	for c := range cycles {
		kind := fakegraph.None
		if c > 0 && rng.Float64() < soakFaultRate { // cycle 0 ran at Start, before any plan
			kind = allKinds[rng.IntN(len(allKinds))]
			if err := fake.Fail(fakegraph.Fault{Kind: kind}); err != nil {
				t.Fatal(err)
			}
			faults[kind]++
		}
		src.cut.Store(kind == fakegraph.Slow)
		if c > 0 {
			before := h.Latest().Syncs
			for h.Latest().Syncs == before {
				next, ok := clock.NextDeadline()
				if !ok {
					t.Fatalf("cycle %d: the loop waits for nothing", c)
				}
				n := h.IdleCount()
				clock.Set(next)
				h.WaitIdle(n)
			}
		}
		s := h.Latest()

		// What the requests of this cycle imply: the last one decides (net/http replays a GET
		// whose reused connection was dropped; a 410 on a delta link starts a full sync).
		reqs := fake.Requests()
		if len(reqs) == 0 {
			t.Fatalf("cycle %d (fault %q): no request reached Graph; sync %+v, health %+v", c, kind, s.Recent[len(s.Recent)-1], s.Health)
		}
		want := implied(reqs[len(reqs)-1].Fault)
		last := s.Recent[len(s.Recent)-1]
		if got := last.Err == ""; got != (want == success) {
			t.Fatalf("cycle %d (fault %q, requests %d): sync ok = %v, the fault implies %v; err %q",
				c, kind, len(reqs), got, want == success, last.Err)
		}
		if want != success {
			failures++
		}
		model.apply(want)
		if s.Health.Breaker != model.state {
			t.Fatalf("cycle %d (fault %q): breaker %s, the fault sequence implies %s", c, kind, s.Health.Breaker, model.state)
		}
		if s.Health.Breaker != prevBreaker {
			transitions++
			prevBreaker = s.Health.Breaker
		}
		if s.Health.Stale != (want != success) {
			t.Fatalf("cycle %d: stale %v after a sync that %s", c, s.Health.Stale, map[bool]string{true: "succeeded", false: "failed"}[want == success])
		}
		// The cache must parse after every cycle; every 100th, it must also load whole and
		// hold the snapshot's data (a full decode each cycle would double the soak's time).
		data, err := os.ReadFile(cache.Path())
		if err != nil || !json.Valid(data) || !bytes.HasPrefix(data, fmt.Appendf(nil, `{"version":%d,`, calsync.CacheVersion)) {
			t.Fatalf("cycle %d: the cache file does not parse (%v): %.200q", c, err, data)
		}
		if c%100 == 0 {
			e, err := reader.Load()
			if err != nil || !e.LastSync.Equal(s.LastSync) {
				t.Fatalf("cycle %d: the cache does not load (%v) or is not the last good sync (%v, want %v)", c, err, e.LastSync, s.LastSync)
			}
		}
		fake.ResetRequests() // the request log would grow without bound
		if c == 99 {
			heap100 = heapAfterGC(fake)
		}
		if testing.Verbose() && (c+1)%1000 == 0 {
			t.Logf("soak: %d cycles after %s", c+1, time.Since(began).Round(time.Millisecond))
		}
	}
	if model.openings == 0 || len(faults) != len(allKinds) {
		t.Fatalf("the soak did not exercise enough: %d openings, %d of %d fault kinds", model.openings, len(faults), len(allKinds))
	}

	// One clean sync, then the agenda must equal a fresh full sync of the same window.
	for h.Latest().Health.Breaker != "closed" || h.Latest().Health.Stale {
		n := h.IdleCount()
		next, _ := clock.NextDeadline()
		clock.Set(next)
		h.WaitIdle(n)
	}
	h.Do(h.Loop.Refresh)
	s := h.Latest()
	if want := wantAgenda(t, gsrc, s.From, s.To); !slices.Equal(s.Appointments, want) {
		t.Fatalf("agenda after the soak (%d events) differs from a clean full sync (%d events)", len(s.Appointments), len(want))
	}
	heapEnd = heapAfterGC(fake)
	m := h.Runner.Metrics()["calendar sync"]
	h.Loop.Stop()
	fake.Close()
	var goroutines int
	calsync.WaitFor(t, "goroutines back to the baseline", func() bool {
		goroutines = runtime.NumGoroutine()
		return goroutines <= baseline
	})
	growth := float64(heapEnd)/float64(heap100) - 1
	if growth > 0.10 {
		t.Errorf("heap grew %.1f%%: %d bytes after 100 cycles, %d at the end", growth*100, heap100, heapEnd)
	}

	kinds := make([]string, 0, len(faults))
	total := 0
	for k, n := range faults {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		total += n
	}
	sort.Strings(kinds)
	t.Logf("soak: %d cycles in %s wall (%s virtual), race detector %v", cycles, time.Since(began).Round(time.Millisecond),
		clock.Now().Sub(calsync.T0).Round(time.Minute), raceEnabled)
	t.Logf("soak: %d faults injected (%.1f%%): %s", total, 100*float64(total)/float64(cycles), strings.Join(kinds, " "))
	t.Logf("soak: %d failed syncs, %d breaker openings, %d breaker state changes; runner: %d calls, %d successes",
		failures, model.openings, transitions, m.Calls, m.Successes)
	t.Logf("soak: heap %d bytes after 100 cycles, %d after the last (%+.1f%%); goroutines %d at start, %d at the end",
		heap100, heapEnd, growth*100, baseline, goroutines)
}
