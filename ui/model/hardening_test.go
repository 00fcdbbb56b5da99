package model

import (
	"strings"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
)

// TestHealthLineWaitingForGraph: a sync running for SlowSync or more says what it waits for;
// the model decides from its own now (a fixed clock here).
func TestHealthLineWaitingForGraph(t *testing.T) {
	start := at(10, 44)
	tests := []struct {
		name string
		snap func(s *calsync.Snapshot)
		now  time.Time
		want string
	}{
		{"sync just started", func(s *calsync.Snapshot) { s.Syncing, s.SyncStarted = true, start }, start.Add(calsync.SlowSync - time.Millisecond), "Synced 10:42"},
		{"sync slow", func(s *calsync.Snapshot) { s.Syncing, s.SyncStarted = true, start }, start.Add(calsync.SlowSync), "Synced 10:42 — waiting for Microsoft Graph…"},
		{"first sync slow", func(s *calsync.Snapshot) {
			s.LastSync, s.Syncing, s.SyncStarted = time.Time{}, true, start
		}, start.Add(time.Minute), "Syncing — waiting for Microsoft Graph…"},
		{"slow and failing before", func(s *calsync.Snapshot) {
			s.Syncing, s.SyncStarted = true, start
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 2}
		}, start.Add(10 * time.Second), "Sync failing — waiting for Microsoft Graph…"},
		{"not syncing", func(s *calsync.Snapshot) {}, start.Add(time.Hour), "Synced 10:42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			tt.snap(&s)
			if got := HealthLine(s, tt.now, berlin); got != tt.want {
				t.Errorf("HealthLine = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSkippedMeetingsInHealthPanel: events the last sync could not read are counted.
func TestSkippedMeetingsInHealthPanel(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, ""}, {1, "1 meeting could not be read"}, {2, "2 meetings could not be read"}} {
		s := ok()
		s.Skipped = tt.n
		p := HealthPanel(s, at(10, 50), berlin, 30*time.Second)
		if p.Unreadable != tt.want {
			t.Errorf("Skipped %d: Unreadable = %q, want %q", tt.n, p.Unreadable, tt.want)
		}
		if has := strings.Contains(p.Status, "could not be read"); has != (tt.n > 0) || (tt.n > 0 && !strings.HasSuffix(p.Status, "; "+tt.want)) {
			t.Errorf("Skipped %d: Status = %q", tt.n, p.Status)
		}
	}
}

// TestFarTimesCarryTheirDate: a time not today carries its date in the health line, the
// health panel and the menu header, around midnight and far away.
func TestFarTimesCarryTheirDate(t *testing.T) {
	now := time.Date(2026, 11, 27, 23, 59, 0, 0, berlin)
	tomorrow := time.Date(2026, 11, 28, 0, 51, 0, 0, berlin)
	yesterday := time.Date(2026, 11, 26, 23, 58, 0, 0, berlin)
	s := ok()
	s.LastSync = yesterday
	s.Health = calsync.Health{Status: runner.StatusDown, Breaker: "open", ConsecutiveFailures: 5,
		LastSuccess: tp(yesterday), RetryAt: tp(tomorrow)}
	s.Recent = []calsync.SyncRecord{{At: yesterday, Duration: time.Second, Kind: calsync.SyncDelta}, {At: now, Duration: time.Second, Err: "HTTP 503"}}
	if got, want := HealthLine(s, now, berlin), "Offline — next try Sat 28 Nov 00:51"; got != want {
		t.Errorf("HealthLine = %q, want %q", got, want)
	}
	p := HealthPanel(s, now, berlin, 30*time.Second)
	if want := "Sat 28 Nov 00:51"; p.NextRetry != want {
		t.Errorf("NextRetry = %q, want %q", p.NextRetry, want)
	}
	if want := "Thu 26 Nov 23:58 (24 h ago)"; p.LastSuccess != want {
		t.Errorf("LastSuccess = %q, want %q", p.LastSuccess, want)
	}
	if want := "Thu 26 Nov 23:58: 1.0 s, delta"; p.Bars[0].Label != want {
		t.Errorf("bar 0 = %q, want %q", p.Bars[0].Label, want)
	}
	if !strings.HasPrefix(p.Bars[1].Label, "23:59: failed") {
		t.Errorf("bar 1 = %q, want today's time only", p.Bars[1].Label)
	}
	s.Health = calsync.Health{Status: runner.StatusOperational, Breaker: "closed"}
	if got, want := HealthLine(s, now, berlin), "Synced Thu 26 Nov 23:58 (out of date)"; got != want && !strings.HasPrefix(got, "Synced Thu 26 Nov 23:58") {
		t.Errorf("HealthLine = %q, want %q", got, want)
	}
	far := time.Date(2027, 3, 1, 9, 0, 0, 0, berlin)
	s.Health.RetryAt, s.Health.Status = tp(far), runner.StatusDown
	if got, want := HealthLine(s, now, berlin), "Offline — next try Mon 1 Mar 2027 09:00"; got != want {
		t.Errorf("HealthLine = %q, want %q", got, want)
	}
	// The menu header: a meeting under way that ends on another day.
	long := meeting("m", "Offsite", now.Add(-time.Hour), 26*time.Hour)
	s = ok(long)
	if got := Header(s, now, berlin); !strings.Contains(got, "ends Sun 29 Nov 00:59") {
		t.Errorf("Header = %q, want the end's date", got)
	}
}
