package graph

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/runner"
	"caltray/runner/fakeclock"
	calsync "caltray/sync"
	"caltray/sync/fakegraph"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// now is the fixed "now" of the integration tests; the fake lays its calendar out around it.
var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// startFake starts the simulated Graph (over TLS, as the real one) with a source pointed at it.
func startFake(t testing.TB, opts fakegraph.Options, pageSize int, clock Clock) (*fakegraph.Server, *Source) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	srv, err := fakegraph.NewTLS(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	auth, err := StaticToken(srv.Token(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{BaseURL: srv.URL(), Auth: auth, PageSize: pageSize, Transport: srv.Client().Transport, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return srv, s
}

// graphRequests are the recorded requests to Graph itself.
func graphRequests(srv *fakegraph.Server) []fakegraph.Request {
	var out []fakegraph.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet && len(r.Path) > 5 && r.Path[:5] == "/v1.0" {
			out = append(out, r)
		}
	}
	return out
}

// newRunner returns a runner on a fake clock that a goroutine moves to each pending timer, so
// Retry-After and backoff waits take no real time while their virtual length stays checkable.
func newRunner(t testing.TB, fc *fakeclock.Clock, attemptTimeout time.Duration) *runner.Runner {
	t.Helper()
	cfg := runner.DefaultConfig()
	cfg.Clock, cfg.Rand = fc, func() float64 { return 0.5 }
	cfg.AttemptTimeout = attemptTimeout
	cfg.FailureThreshold = 100
	r, err := runner.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for fc.WaitForTimers(1, done) {
			if d, ok := fc.NextDeadline(); ok {
				fc.Set(d)
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return r
}

func checkSorted(t *testing.T, got []calsync.Appointment) {
	t.Helper()
	seen := make(map[string]bool, len(got))
	for i, a := range got {
		if seen[a.ID] {
			t.Fatalf("duplicate %s", a.ID)
		}
		seen[a.ID] = true
		if i > 0 && a.Start.Before(got[i-1].Start) {
			t.Fatalf("out of order at %d: %v before %v", i, a.Start, got[i-1].Start)
		}
	}
}

func TestFakeThousandEventsThroughRunner(t *testing.T) {
	from, to := now, now.Add(14*24*time.Hour)
	events := fakegraph.Spread(1050, from, to)
	srv, s := startFake(t, fakegraph.Options{Events: events}, 100, nil)
	fc := fakeclock.New(now)
	r := newRunner(t, fc, 10*time.Second)

	got, err := runner.Do(context.Background(), r, "list", func(ctx context.Context) ([]calsync.Appointment, error) {
		return s.List(ctx, from, to)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(events) {
		t.Fatalf("got %d appointments, want %d", len(got), len(events))
	}
	checkSorted(t, got)
	want := make(map[string]fakegraph.Event, len(events))
	for _, e := range srv.Events() {
		want[e.ID] = e
	}
	for _, a := range got {
		e, ok := want[a.ID]
		if !ok || !a.Start.Equal(e.Start) || !a.End.Equal(e.End) || a.Subject != e.Subject || a.JoinURL != e.JoinURL {
			t.Fatalf("appointment %+v does not match the stored event %+v", a, e)
		}
	}
	reqs := graphRequests(srv)
	if len(reqs) != 11 {
		t.Fatalf("%d page requests, want 11 (1,050 events / 100)", len(reqs))
	}
	for i, req := range reqs {
		p := req.Preferences()
		if p["outlook.timezone"] != "UTC" || p["odata.maxpagesize"] != "100" || !req.Authorized {
			t.Errorf("page %d: Prefer %v, authorized %v", i+1, p, req.Authorized)
		}
	}
	if m := r.Metrics()["list"]; m.Attempts != 1 || m.Successes != 1 {
		t.Fatalf("runner metrics %+v", m)
	}
}

// TestFakeFaults sends each of the fake's faults once and checks how the runner classifies the
// source's error and that it retries (or not) accordingly, with one HTTP request per attempt.
func TestFakeFaults(t *testing.T) {
	tests := []struct {
		kind      fakegraph.FaultKind
		class     runner.Class
		errKind   runner.Kind // what calsync.Classify names it: the health's last_error_kind
		status    int         // the *Error's status; 0 for transport and payload errors
		retryWait time.Duration
	}{
		{fakegraph.Throttled, runner.ClassThrottled, runner.KindThrottled, 429, 3 * time.Second},
		{fakegraph.ThrottledDate, runner.ClassThrottled, runner.KindThrottled, 429, 3 * time.Second},
		{fakegraph.InternalError, runner.ClassRetryable, runner.KindServer, 500, 0},
		{fakegraph.BadGateway, runner.ClassRetryable, runner.KindServer, 502, 0},
		{fakegraph.Unavailable, runner.ClassRetryable, runner.KindServer, 503, 3 * time.Second},
		{fakegraph.UnavailableBare, runner.ClassRetryable, runner.KindServer, 503, 0},
		{fakegraph.GatewayTimeout, runner.ClassRetryable, runner.KindServer, 504, 0},
		{fakegraph.Slow, runner.ClassRetryable, runner.KindTimeout, 0, 0},
		{fakegraph.Dropped, runner.ClassRetryable, runner.KindNetwork, 0, 0},
		// A fresh source's first request is on a new connection, which net/http never replays.
		{fakegraph.Reset, runner.ClassRetryable, runner.KindNetwork, 0, 0},
		{fakegraph.Truncated, runner.ClassRetryable, runner.KindUnreadable, 0, 0},
		{fakegraph.NotJSON, runner.ClassRetryable, runner.KindUnreadable, 0, 0},
		{fakegraph.WrongType, runner.ClassRetryable, runner.KindUnreadable, 0, 0},
		{fakegraph.ExpiredToken, runner.ClassPermanent, runner.KindRefused, 410, 0},
	}
	covered := map[fakegraph.FaultKind]bool{}
	for _, tt := range tests {
		covered[tt.kind] = true
		t.Run(string(tt.kind), func(t *testing.T) {
			fc := fakeclock.New(now)
			srv, s := startFake(t, fakegraph.Options{Now: fc.Now}, 100, fc)
			if err := srv.Fail(fakegraph.Fault{Kind: tt.kind, RetryAfter: 3 * time.Second}); err != nil {
				t.Fatal(err)
			}
			r := newRunner(t, fc, 300*time.Millisecond)
			var errs []error
			var starts []time.Time
			got, err := runner.Do(context.Background(), r, "list", func(ctx context.Context) ([]calsync.Appointment, error) {
				starts = append(starts, fc.Now())
				v, err := s.List(ctx, now, now.Add(7*24*time.Hour))
				if err != nil {
					errs = append(errs, err)
				}
				return v, err
			})
			if len(errs) == 0 {
				t.Fatal("the fault produced no error")
			}
			if c, k := calsync.Classify(errs[0]); c != tt.class || k != tt.errKind {
				t.Fatalf("class %s, kind %q; want %s, %q for %v", c, k, tt.class, tt.errKind, errs[0])
			}
			var ge *Error
			if tt.status != 0 && (!errors.As(errs[0], &ge) || ge.Status != tt.status || ge.Wait != tt.retryWait) {
				t.Fatalf("error %v, want *Error status %d wait %v", errs[0], tt.status, tt.retryWait)
			}
			attempts := r.Metrics()["list"].Attempts
			if n := len(graphRequests(srv)); int64(n) != attempts {
				t.Fatalf("%d HTTP requests but %d runner attempts: a hidden retry layer", n, attempts)
			}
			if tt.class == runner.ClassPermanent {
				if err == nil || attempts != 1 {
					t.Fatalf("permanent fault: err %v after %d attempts, want an error after 1", err, attempts)
				}
				return
			}
			if err != nil || attempts != 2 || len(got) == 0 {
				t.Fatalf("transient fault: %d appointments, err %v after %d attempts; want success on the 2nd", len(got), err, attempts)
			}
			if tt.retryWait > 0 && starts[1].Sub(starts[0]) < tt.retryWait {
				t.Fatalf("retried after %v, before the server's Retry-After %v", starts[1].Sub(starts[0]), tt.retryWait)
			}
		})
	}
	for _, k := range fakegraph.Kinds() {
		if !covered[k] {
			t.Errorf("fault kind %s is not tested", k)
		}
	}
}

func TestRetryAfterTwoSecondsExactlyOneRetry(t *testing.T) {
	fc := fakeclock.New(now)
	srv, s := startFake(t, fakegraph.Options{Now: fc.Now}, 100, fc)
	if err := srv.Fail(fakegraph.Fault{Kind: fakegraph.Throttled, RetryAfter: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, fc, 10*time.Second)
	if _, err := runner.Do(context.Background(), r, "list", func(ctx context.Context) ([]calsync.Appointment, error) {
		return s.List(ctx, now, now.Add(24*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	reqs := graphRequests(srv)
	if len(reqs) != 2 || r.Metrics()["list"].Attempts != 2 {
		t.Fatalf("%d requests, %d attempts; want exactly one retry", len(reqs), r.Metrics()["list"].Attempts)
	}
	if reqs[0].Status != 429 || reqs[0].ResponseHeader.Get("Retry-After") != "2" {
		t.Fatalf("first answer %d, Retry-After %q", reqs[0].Status, reqs[0].ResponseHeader.Get("Retry-After"))
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 2*time.Second {
		t.Fatalf("retry %v after the 429, want at least 2s (virtual)", gap)
	}
}

func TestFakeDeltaEqualsFullSync(t *testing.T) {
	from, to := now.Add(-24*time.Hour), now.Add(14*24*time.Hour)
	srv, s := startFake(t, fakegraph.Options{}, 50, nil)
	ctx := context.Background()

	check := func(step string, d calsync.Delta, kind calsync.SyncKind) {
		t.Helper()
		full, err := s.List(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind != kind || d.Link == "" || !d.From.Equal(from) || !d.To.Equal(to) || d.Bytes <= 0 {
			t.Fatalf("%s: kind %s (want %s), link %q, bytes %d", step, d.Kind, kind, d.Link, d.Bytes)
		}
		checkSorted(t, d.Appointments)
		if !slices.Equal(d.Appointments, full) {
			t.Fatalf("%s: delta state (%d) differs from a full sync (%d)", step, len(d.Appointments), len(full))
		}
	}

	d, err := s.Sync(ctx, from, to, calsync.Delta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Appointments) < 10 {
		t.Fatalf("the generated calendar has only %d events in the window", len(d.Appointments))
	}
	check("initial", d, calsync.SyncFull)
	initialBytes := d.Bytes

	// No change: a delta round that reads almost nothing.
	if d, err = s.Sync(ctx, from, to, d); err != nil {
		t.Fatal(err)
	}
	check("no change", d, calsync.SyncDelta)
	if d.Bytes*50 > initialBytes {
		t.Errorf("no-change delta read %d bytes, full %d: want < 2%%", d.Bytes, initialBytes)
	}

	// Changes: add, edit, move out of the window, remove.
	evs := d.Appointments
	added, err := srv.Add(fakegraph.Event{Subject: "Added by delta test", Start: now.Add(3 * time.Hour), End: now.Add(4 * time.Hour), TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Update(evs[0].ID, func(e *fakegraph.Event) { e.Subject = "Renamed ✓" }); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Update(evs[1].ID, func(e *fakegraph.Event) {
		e.Start, e.End = to.Add(48*time.Hour), to.Add(49*time.Hour) // moved out of the window
	}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Remove(evs[2].ID); err != nil {
		t.Fatal(err)
	}
	if d, err = s.Sync(ctx, from, to, d); err != nil {
		t.Fatal(err)
	}
	check("changes", d, calsync.SyncDelta)
	ids := map[string]string{}
	for _, a := range d.Appointments {
		ids[a.ID] = a.Subject
	}
	if ids[added.ID] != "Added by delta test" || ids[evs[0].ID] != "Renamed ✓" {
		t.Fatalf("delta missed the addition or the edit")
	}
	if _, ok := ids[evs[1].ID]; ok {
		t.Fatalf("event moved out of the window is still there")
	}
	if _, ok := ids[evs[2].ID]; ok {
		t.Fatalf("removed event is still there")
	}

	// The server forgets the round: 410, then a full sync.
	srv.ExpireDeltaTokens()
	if d, err = s.Sync(ctx, from, to, d); err != nil {
		t.Fatal(err)
	}
	check("after 410", d, calsync.SyncFull)

	// Another window starts a new round.
	to2 := to.Add(24 * time.Hour)
	d2, err := s.Sync(ctx, from, to2, d)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Kind != calsync.SyncFull || !d2.To.Equal(to2) {
		t.Fatalf("changed window: kind %s", d2.Kind)
	}

	// A link to another Graph URL (the user changed --graph-url) starts a new round too.
	d.Link = "https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=abc"
	if d, err = s.Sync(ctx, from, to, d); err != nil || d.Kind != calsync.SyncFull {
		t.Fatalf("foreign link: kind %s, err %v", d.Kind, err)
	}
}

func TestFakeDeltaRequests(t *testing.T) {
	from, to := now, now.Add(7*24*time.Hour)
	srv, s := startFake(t, fakegraph.Options{Events: fakegraph.Spread(120, from, to)}, 50, nil)
	if _, err := s.Sync(context.Background(), from, to, calsync.Delta{}); err != nil {
		t.Fatal(err)
	}
	reqs := graphRequests(srv)
	if len(reqs) != 3 {
		t.Fatalf("%d delta requests for 120 events at 50 a page, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.Path != "/v1.0/me/calendarView/delta" || r.Preferences()["odata.maxpagesize"] != "50" || r.Preferences()["outlook.timezone"] != "UTC" {
			t.Errorf("request %d: %s %v", i, r.Path, r.Preferences())
		}
		if r.Query.Has("$select") || r.Query.Has("$orderby") {
			t.Errorf("request %d sends query options delta does not support: %v", i, r.Query)
		}
	}
}

func TestFakeDeltaNonExpiryErrorIsReturned(t *testing.T) {
	from, to := now, now.Add(7*24*time.Hour)
	srv, s := startFake(t, fakegraph.Options{}, 100, nil)
	d, err := s.Sync(context.Background(), from, to, calsync.Delta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Fail(fakegraph.Fault{Kind: fakegraph.InternalError}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Sync(context.Background(), from, to, d)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 500 {
		t.Fatalf("err = %v, want the 500 (not a silent full sync)", err)
	}
	if n := len(graphRequests(srv)); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestFakeRejectsWrongToken(t *testing.T) {
	srv, _ := startFake(t, fakegraph.Options{}, 100, nil)
	auth, _ := StaticToken("not-the-token", srv.URL())
	s, err := New(Options{BaseURL: srv.URL(), Auth: auth, Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.List(context.Background(), now, now.Add(time.Hour))
	var ge *Error
	if class, kind := calsync.Classify(err); !errors.As(err, &ge) || ge.Status != 401 || class != runner.ClassPermanent || kind != runner.KindSignIn {
		t.Fatalf("err = %v, want a permanent 401", err)
	}
	if strings.Contains(err.Error(), "not-the-token") {
		t.Fatalf("error %q shows the token", err)
	}
}
