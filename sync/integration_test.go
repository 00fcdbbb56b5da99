package sync_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"caltray/runner"
	"caltray/runner/fakeclock"
	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/graph"
	"caltray/sync/internal/tempdir"
)

// newGraph starts the simulated Graph on clock's time and returns it with a Graph source for it.
// A nil events is the fake's realistic generated calendar.
func newGraph(t testing.TB, clock *fakeclock.Clock, tls bool, events []fakegraph.Event) (*fakegraph.Server, *graph.Source) {
	t.Helper()
	start := fakegraph.New
	if tls {
		start = fakegraph.NewTLS
	}
	fake, err := start(fakegraph.Options{Now: clock.Now, Seed: 7, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	auth, err := graph.StaticToken(fake.Token(), fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	src, err := graph.New(graph.Options{BaseURL: fake.URL(), Auth: auth, Transport: fake.Client().Transport, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return fake, src
}

// graphRequests counts the requests that reached Graph's endpoints.
func graphRequests(fake *fakegraph.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/v1.0/") {
			n++
		}
	}
	return n
}

// wantAgenda is what a clean full sync of the fake reads for the window, cut like the loop does.
func wantAgenda(t testing.TB, src *graph.Source, from, to time.Time) []calsync.Appointment {
	t.Helper()
	apps, err := src.List(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	return calsync.DefaultSettings().Agenda(apps, from, to, time.UTC)
}

func TestLoopAgainstFakeGraph(t *testing.T) {
	clock := fakeclock.New(calsync.T0)
	fake, src := newGraph(t, clock, true, nil)
	cache, err := calsync.NewCache(tempdir.New(t), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	h := calsync.NewHarness(t, src, calsync.HarnessOptions{FakeClock: clock, Loop: func(c *calsync.LoopConfig) { c.Cache = cache }})
	h.Start()
	s := h.Latest()
	if s.Health.Stale || len(s.Appointments) == 0 || s.Recent[0].Kind != calsync.SyncFull {
		t.Fatalf("first sync: stale %v, %d appointments, kind %q", s.Health.Stale, len(s.Appointments), s.Recent[0].Kind)
	}
	if want := wantAgenda(t, src, s.From, s.To); !slices.Equal(s.Appointments, want) {
		t.Fatalf("agenda differs from a full read of the fake:\n got %v\nwant %v", s.Appointments, want)
	}
	// A change on the server arrives with the next tick, by delta.
	added, err := fake.Add(fakegraph.Event{Subject: "Added later", Start: calsync.T0.Add(2 * time.Hour), End: calsync.T0.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	h.Advance(5 * time.Minute)
	s = h.Latest()
	if last := s.Recent[len(s.Recent)-1]; last.Kind != calsync.SyncDelta || last.Err != "" {
		t.Fatalf("second sync: %+v, want a good delta sync", last)
	}
	if !slices.ContainsFunc(s.Appointments, func(a calsync.Appointment) bool { return a.ID == added.ID && a.Subject == "Added later" }) {
		t.Fatalf("the added event is missing")
	}
	if want := wantAgenda(t, src, s.From, s.To); !slices.Equal(s.Appointments, want) {
		t.Fatalf("agenda after delta differs from a full read")
	}
	e, err := cache.Load()
	if err != nil || e.Delta.Link == "" || len(e.Delta.Appointments) == 0 {
		t.Fatalf("cache: %v, link %q, %d appointments", err, e.Delta.Link, len(e.Delta.Appointments))
	}
}

func TestLoopSendsNothingWhileBreakerIsOpen(t *testing.T) {
	clock := fakeclock.New(calsync.T0)
	fake, src := newGraph(t, clock, false, nil)
	h := calsync.NewHarness(t, src, calsync.HarnessOptions{FakeClock: clock, Runner: func(c *runner.Config) {
		c.FailureThreshold = 3
		c.OpenTimeout = 30 * time.Minute
	}})
	h.Start()
	good := h.Latest().Appointments
	if err := fake.SetOutage(fakegraph.Fault{Kind: fakegraph.InternalError}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		h.Advance(5 * time.Minute)
	}
	s := h.Latest()
	if s.Health.Breaker != "open" || !s.Health.Stale || !slices.Equal(s.Appointments, good) {
		t.Fatalf("after 3 failures: breaker %s stale %v, %d appointments; want open, stale, the last good agenda",
			s.Health.Breaker, s.Health.Stale, len(s.Appointments))
	}
	retryAt := *s.Health.RetryAt
	fake.ResetRequests()
	for clock.Now().Add(5 * time.Minute).Before(retryAt) {
		h.Do(h.Loop.Refresh)
		h.Advance(5 * time.Minute)
	}
	if n := graphRequests(fake); n != 0 {
		t.Fatalf("%d requests reached Graph while the breaker was open", n)
	}
	if err := fake.SetOutage(fakegraph.Fault{}); err != nil {
		t.Fatal(err)
	}
	h.Advance(retryAt.Sub(clock.Now()))
	if n := graphRequests(fake); n != 1 {
		t.Fatalf("%d requests at the retry time, want the one probe", n)
	}
	if s := h.Latest(); s.Health.Breaker != "closed" || s.Health.Stale {
		t.Fatalf("after the probe: breaker %s stale %v", s.Health.Breaker, s.Health.Stale)
	}
}
