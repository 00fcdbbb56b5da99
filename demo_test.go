package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/fakegraph"
)

// The demo's "Simulate outage", as the tray wires it, against the simulated Graph and the real
// loop: on, Graph answers 503 and the failed sync's next try comes at the demo's pace (5 s), not
// the normal sooner retry (15 s); off, Graph answers again. The whole cycle on a fake clock is
// TestLoopHurryPlaysTheOutageInAMinute (package sync).
func TestDemoOutageRunsAtPace(t *testing.T) {
	fake, err := fakegraph.New(fakegraph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	rc := runner.DefaultConfig()
	rc.MaxAttempts = 1 // one request per sync: the test waits for no backoff
	loop, closeLoop, err := newLoop(loopOptions{Runner: rc, Days: -1, Demo: true, Fake: fake,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLoop()
	snaps, cancel := loop.Subscribe()
	defer cancel()
	loop.Start()
	defer loop.Stop()
	wait := func(what string, cond func(calsync.Snapshot) bool) calsync.Snapshot {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case s := <-snaps:
				if cond(s) {
					return s
				}
			case <-timeout:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	good := wait("the first sync", func(s calsync.Snapshot) bool { return !s.LastSync.IsZero() && !s.Syncing })
	if d := good.NextSync.Sub(good.LastSync); d < 4*time.Minute {
		t.Fatalf("without an outage the demo syncs %v apart, want its normal interval", d)
	}

	outage := demoOutage(fake, loop)
	if err := outage(true); err != nil {
		t.Fatal(err)
	}
	loop.Refresh() // what the menu does after the switch
	failed := wait("a failed sync", func(s calsync.Snapshot) bool { return s.Health.ConsecutiveFailures > 0 && !s.Syncing })
	last := failed.Recent[len(failed.Recent)-1]
	if d := failed.NextSync.Sub(last.At); d > calsync.DemoPace.Interval*11/10 || d <= 0 {
		t.Errorf("during the outage the next try is %v after the failure, want the demo's pace (%v)", d, calsync.DemoPace.Interval)
	}
	if last.ErrKind != runner.KindServer {
		t.Errorf("the outage failed the sync with kind %q, want server (503)", last.ErrKind)
	}
	if err := outage(false); err != nil {
		t.Fatal(err)
	}
	loop.Refresh()
	wait("the recovery", func(s calsync.Snapshot) bool {
		return s.Health.Status == runner.StatusOperational && !s.Syncing && s.Syncs > failed.Syncs
	})
}
