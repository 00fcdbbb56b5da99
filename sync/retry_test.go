package sync

import (
	"fmt"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"caltray/runner"
)

// After a failed sync the next one comes sooner than the interval and backs off, up to the
// interval; a Retry-After or the open breaker still comes first, a permanent failure waits the
// interval, and a good sync puts the interval back. Snapshot.NextSync names each next attempt.
func TestLoopRetriesSoonerAfterFailure(t *testing.T) {
	throttled := &httpError{status: 429, wait: 2 * time.Minute}
	cases := []struct {
		name      string
		threshold int     // the breaker's; 0: out of the way
		errs      []error // one per sync after the first good one; nil succeeds
		wantNext  []time.Duration
	}{
		{"backs off up to the interval", 0,
			[]error{errFlaky, errFlaky, errFlaky, errFlaky, errFlaky, errFlaky, errFlaky, nil},
			[]time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
				5 * time.Minute, 5 * time.Minute, 5 * time.Minute}},
		{"a Retry-After longer than the backoff wins", 0,
			[]error{throttled, errFlaky, nil},
			[]time.Duration{2 * time.Minute, 30 * time.Second, 5 * time.Minute}},
		{"the open breaker wins", 2,
			[]error{errFlaky, errFlaky, errFlaky},
			[]time.Duration{15 * time.Second, time.Minute, 1 * time.Minute}},
		{"a permanent failure waits the interval", 0,
			[]error{&httpError{status: 400}, errFlaky},
			[]time.Duration{5 * time.Minute, 15 * time.Second}},
		{"a good sync resets the backoff", 0,
			[]error{errFlaky, errFlaky, nil, errFlaky},
			[]time.Duration{15 * time.Second, 30 * time.Second, 5 * time.Minute, 15 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &stubSource{}
			h := NewHarness(t, src, HarnessOptions{Runner: func(c *runner.Config) {
				c.FailureThreshold = 1000
				if tc.threshold > 0 {
					c.FailureThreshold = tc.threshold
				}
			}})
			h.Start()
			if got := h.Latest().NextSync.Sub(h.Clock.Now()); got != 5*time.Minute {
				t.Fatalf("after a good sync the next is in %v, want the interval", got)
			}
			src.set(nil, tc.errs...)
			var got []time.Duration
			for range tc.errs {
				h.AdvanceToNext()
				s := h.Latest()
				got = append(got, s.NextSync.Sub(h.Clock.Now()))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantNext) {
				t.Fatalf("next sync after each = %v, want %v", got, tc.wantNext)
			}
			if n := src.count(); n != len(tc.errs)+1 {
				t.Fatalf("syncs = %d, want %d", n, len(tc.errs)+1)
			}
		})
	}
}

// The demo's pace plays the whole story on a fake clock in about a minute: degraded, down
// (breaker open), half-open (the probe), and once the outage ends, operational; then the
// interval and the breaker's open period are the real defaults again.
func TestLoopHurryPlaysTheOutageInAMinute(t *testing.T) {
	src := &stubSource{gate: make(chan struct{}), entered: make(chan int)}
	h := NewHarness(t, src, HarnessOptions{Loop: func(c *LoopConfig) { c.Settings = DefaultSettings() }})

	// The state at each moment that matters: when a sync starts (the snapshot it published
	// then; the stub waits until it is read), and after each step of the clock.
	var mu gosync.Mutex
	var seen []string
	note := func(s Snapshot) {
		mu.Lock()
		defer mu.Unlock()
		v := string(s.Health.Status)
		if s.Health.Breaker != "closed" {
			v += " (" + s.Health.Breaker + ")"
		}
		if len(seen) == 0 || seen[len(seen)-1] != v {
			seen = append(seen, v)
		}
	}
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-src.entered:
				s, _ := h.Loop.Latest()
				note(s)
				src.gate <- struct{}{}
			case <-stopped:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stopped); <-done })

	h.Start()
	unavailable := &httpError{status: 503, wait: time.Second} // what the demo's simulated outage sends
	outage := make([]error, 100)
	for i := range outage {
		outage[i] = unavailable
	}
	src.set([]Appointment{appt("a", time.Hour, time.Hour)}, outage...)
	start := h.Clock.Now()
	if err := h.Loop.Hurry(DemoPace); err != nil {
		t.Fatal(err)
	}
	h.Do(h.Loop.Refresh) // what the menu does with the outage switched on

	down := time.Duration(0)
	for h.Clock.Now().Sub(start) < 45*time.Second {
		h.Advance(time.Second)
		s := h.Latest()
		note(s)
		if s.Health.Status == runner.StatusDown && down == 0 {
			down = h.Clock.Now().Sub(start)
		}
	}
	if down == 0 || down > 40*time.Second {
		t.Fatalf("breaker open %v after the outage began, want within 40 s", down)
	}
	src.set([]Appointment{appt("a", time.Hour, time.Hour)}) // the outage is switched off
	h.Do(h.Loop.Refresh)
	for h.Latest().Health.Status != runner.StatusOperational {
		if h.Clock.Now().Sub(start) > 70*time.Second {
			t.Fatalf("not operational 70 s after the outage began: %+v", h.Latest().Health)
		}
		h.Advance(time.Second)
		note(h.Latest())
	}
	mu.Lock()
	got := strings.Join(seen, " → ")
	mu.Unlock()
	// Each probe (half-open) during the outage fails and the breaker opens again; the first
	// after the outage closes it.
	want := regexp.MustCompile(`^operational → degraded → (down \(open\) → degraded \(half-open\) → ){2,}operational$`)
	if !want.MatchString(got) {
		t.Fatalf("transitions:\n got %s\nwant %s", got, want)
	}

	// Back on the real schedule: the next sync an interval away, the breaker's own period.
	s := h.Latest()
	if d := s.NextSync.Sub(s.LastSync); d != DefaultSettings().Interval {
		t.Errorf("after recovery the next sync is %v after the last, want the interval %v", d, DefaultSettings().Interval)
	}
	prev, err := h.Runner.SetOpenTimeout(time.Hour)
	if err != nil || prev != runner.DefaultConfig().OpenTimeout {
		t.Errorf("after recovery the breaker's open period is %v (%v), want the default %v", prev, err, runner.DefaultConfig().OpenTimeout)
	}
}

// Without Hurry nothing changes: the demo with no outage keeps its quiet interval, and the
// real defaults are the ones DESIGN.md names.
func TestLoopDefaultsWithoutHurry(t *testing.T) {
	if got := DefaultSettings().Interval; got != 5*time.Minute {
		t.Errorf("default interval %v, want 5m", got)
	}
	if rc := runner.DefaultConfig(); rc.OpenTimeout != time.Minute || rc.FailureThreshold != 5 {
		t.Errorf("runner defaults: open %v, threshold %d; want 1m, 5", rc.OpenTimeout, rc.FailureThreshold)
	}
	src := &stubSource{}
	h := NewHarness(t, src, HarnessOptions{})
	h.Start()
	for range 3 {
		before := h.Clock.Now()
		h.AdvanceToNext()
		if d := h.Clock.Now().Sub(before); d != 5*time.Minute {
			t.Fatalf("sync %v after the last, want the interval", d)
		}
	}
	if err := h.Loop.Hurry(Pace{Interval: 0, OpenTimeout: time.Second}); err == nil {
		t.Error("Hurry accepted a zero interval")
	}
}
