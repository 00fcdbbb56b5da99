package model

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"caltray/assets"
	"caltray/runner"
	calsync "caltray/sync"
)

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns 27 Nov 2026 hh:mm in Berlin.
func at(hh, mm int) time.Time { return time.Date(2026, 11, 27, hh, mm, 0, 0, berlin) }

func tp(t time.Time) *time.Time { return &t }

func meeting(id, subject string, start time.Time, d time.Duration) calsync.Appointment {
	return calsync.Appointment{ID: id, Subject: subject, Start: start.UTC(), End: start.Add(d).UTC(),
		Response: calsync.ResponseAccepted, ShowAs: calsync.ShowAsBusy}
}

func withJoin(a calsync.Appointment, url string) calsync.Appointment { a.JoinURL = url; return a }

func ok(apps ...calsync.Appointment) calsync.Snapshot {
	return calsync.Snapshot{
		Appointments: apps,
		Health:       calsync.Health{Healthy: true, Status: runner.StatusOperational, Breaker: "closed", LastSuccess: tp(at(10, 42))},
		LastSync:     at(10, 42),
		Auth:         calsync.AuthOK,
	}
}

func TestHeader(t *testing.T) {
	standup := meeting("1", "Standup", at(11, 0), 15*time.Minute)
	review := meeting("2", "Design review", at(10, 30), time.Hour)
	declined := meeting("3", "Skipped", at(10, 50), time.Hour)
	declined.Response = calsync.ResponseDeclined
	cancelled := meeting("4", "Gone", at(10, 50), time.Hour)
	cancelled.Cancelled = true
	allDay := calsync.Appointment{ID: "5", Subject: "Holiday", AllDay: true,
		Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}
	tomorrow := meeting("6", "Planning", at(9, 0).AddDate(0, 0, 1), time.Hour)
	late := meeting("7", "Late call", at(16, 0), time.Hour)
	signedOut := ok(standup)
	signedOut.Auth = calsync.AuthSignedOut
	needSignIn := ok(standup)
	needSignIn.Auth = calsync.AuthSignInNeeded

	tests := []struct {
		name string
		snap calsync.Snapshot
		now  time.Time
		want string
	}{
		{"next in 12 min", ok(standup), at(10, 48), "Standup in 12 min"},
		{"partial minute rounds up", ok(standup), at(10, 48).Add(30 * time.Second), "Standup in 12 min"},
		{"under a minute", ok(standup), at(10, 59).Add(50 * time.Second), "Standup in 1 min"},
		{"under way", ok(review), at(10, 45), "Now: Design review · ends 11:30"},
		{"under way, next soon", ok(review, standup), at(10, 56), "Standup in 4 min (now: Design review)"},
		{"under way, next later", ok(review, standup), at(10, 40), "Now: Design review · ends 11:30"},
		{"an hour ahead: the countdown", ok(late), at(15, 0), "Late call in 1 h"},
		{"later today: free until then", ok(late), at(10, 0), "Free until 16:00"},
		{"later today, a minute past the hour", ok(late), at(14, 59), "Free until 16:00"},
		{"nothing left today", ok(tomorrow), at(18, 0), "No more meetings today"},
		{"ended", ok(standup), at(11, 20), "No more meetings today"},
		{"declined, cancelled and all-day do not count", ok(allDay, declined, cancelled), at(10, 45), "No more meetings today"},
		{"signed out", signedOut, at(10, 0), "caltray: sign in to see your meetings"},
		{"sign-in needed", needSignIn, at(10, 0), "caltray: sign in again to update your meetings"},
		{"first sync", calsync.Snapshot{Auth: calsync.AuthOK, Syncing: true}, at(10, 0), "caltray: loading your calendar…"},
		{"first sync failed", calsync.Snapshot{Auth: calsync.AuthOK, Health: calsync.Health{Status: runner.StatusDegraded, ConsecutiveFailures: 1,
			LastError: "context deadline exceeded"}}, at(10, 0), "caltray: could not load your calendar yet"},
		{"first sync failed, retry running", calsync.Snapshot{Auth: calsync.AuthOK, Syncing: true, Health: calsync.Health{Status: runner.StatusDegraded,
			ConsecutiveFailures: 1, LastError: "context deadline exceeded"}}, at(10, 0), "caltray: loading your calendar…"},
		{"no title", ok(meeting("8", "", at(11, 0), time.Hour)), at(10, 50), "(no title) in 10 min"},
		{"long title", ok(meeting("9", strings.Repeat("x", 60), at(11, 0), time.Hour)), at(10, 50), strings.Repeat("x", 39) + "… in 10 min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Header(tt.snap, tt.now, berlin); got != tt.want {
				t.Errorf("Header = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHealthLineAndIcon(t *testing.T) {
	base := ok()
	mod := func(f func(*calsync.Snapshot)) calsync.Snapshot {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name string
		snap calsync.Snapshot
		line string
		icon assets.State
	}{
		{"synced", base, "Synced 10:42", assets.Operational},
		{"stale", mod(func(s *calsync.Snapshot) { s.Health.Stale = true }), "Synced 10:42 (out of date)", assets.Degraded},
		{"offline", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDown, Breaker: "open", ConsecutiveFailures: 5, RetryAt: tp(at(10, 47))}
		}), "Offline — next try 10:47", assets.Down},
		{"offline, no retry time", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDown, Breaker: "open"}
		}), "Offline — trying again…", assets.Down},
		{"throttled", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", LastErrorKind: runner.KindThrottled, RetryAt: tp(at(10, 45))}
		}), "Throttled by Microsoft — next try 10:45", assets.Degraded},
		{"failing", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 2, RetryAt: tp(at(10, 44))}
		}), "Sync failing — next try 10:44", assets.Degraded},
		{"offline, retry time passed", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDown, Breaker: "open", ConsecutiveFailures: 5, RetryAt: tp(at(10, 40))}
		}), "Offline — trying again…", assets.Down},
		{"failing, the loop's next sync", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 1}
			s.NextSync = at(10, 44)
		}), "Sync failing — next try 10:44", assets.Degraded},
		{"the loop's next sync is after the retry time", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDown, Breaker: "open", ConsecutiveFailures: 5, RetryAt: tp(at(10, 45))}
			s.NextSync = at(10, 47)
		}), "Offline — next try 10:47", assets.Down},
		{"failing, the retry under way", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 1, RetryAt: tp(at(10, 45))}
			s.Syncing = true
		}), "Sync failing — trying again…", assets.Degraded},
		{"failing, the next sync due now", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 1}
			s.NextSync = at(10, 43)
		}), "Sync failing — trying again…", assets.Degraded},
		{"half-open", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "half-open"}
		}), "Reconnecting…", assets.Degraded},
		{"bypassed and fine", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusBypassed, Breaker: "closed"}
		}), "Synced 10:42", assets.Operational},
		{"bypassed and failing", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusBypassed, Breaker: "closed", ConsecutiveFailures: 1}
		}), "Sync failing — trying again…", assets.Degraded},
		{"sign-in needed", mod(func(s *calsync.Snapshot) { s.Auth = calsync.AuthSignInNeeded }), "Sign-in needed", assets.SignInNeeded},
		{"signed out", mod(func(s *calsync.Snapshot) { s.Auth = calsync.AuthSignedOut }), "Signed out", assets.SignedOut},
		{"first sync running", calsync.Snapshot{Auth: calsync.AuthOK, Syncing: true, Health: calsync.Health{Status: runner.StatusOperational}}, "Syncing…", assets.Operational},
		{"never synced", calsync.Snapshot{Auth: calsync.AuthOK, Health: calsync.Health{Status: runner.StatusOperational}}, "Not synced yet", assets.Operational},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HealthLine(tt.snap, at(10, 43), berlin); got != tt.line {
				t.Errorf("HealthLine = %q, want %q", got, tt.line)
			}
			if got := IconState(tt.snap); got != tt.icon {
				t.Errorf("IconState = %v, want %v", got, tt.icon)
			}
		})
	}
}

func labels(items []Item) []string {
	var out []string
	for _, it := range items {
		switch {
		case it.Separator:
			out = append(out, "---")
		case it.Disabled:
			out = append(out, "("+it.Label+")")
		default:
			out = append(out, it.Label)
		}
	}
	return out
}

func TestMenu(t *testing.T) {
	standup := withJoin(meeting("1", "Standup", at(11, 0), 15*time.Minute), "https://teams.example/standup")
	review := meeting("2", "Design review", at(14, 0), time.Hour)
	review.WebLink = "https://outlook.example/review"
	noLink := meeting("3", "Lunch", at(12, 0), time.Hour)
	tomorrow := withJoin(meeting("4", "Planning", at(9, 0).AddDate(0, 0, 1), time.Hour), "https://teams.example/planning")
	syncing := ok(standup)
	syncing.Syncing = true
	signedOut := ok(standup)
	signedOut.Auth = calsync.AuthSignedOut

	tests := []struct {
		name string
		snap calsync.Snapshot
		now  time.Time
		opts MenuOptions
		want []string
	}{
		{"join shown within 15 min", ok(standup, noLink, review, tomorrow), at(10, 46), MenuOptions{}, []string{
			"(Standup in 14 min)", "Join Standup", "---",
			"11:00  Standup", "(12:00  Lunch)", "14:00  Design review", "Sat 09:00  Planning", "---",
			"(Synced 10:42)", "Refresh now", "Open agenda…", "Preferences…", "Sign out"}},
		{"no join 16 min ahead", ok(standup), at(10, 44), MenuOptions{}, []string{
			"(Standup in 16 min)", "---", "11:00  Standup", "---",
			"(Synced 10:42)", "Refresh now", "Open agenda…", "Preferences…", "Sign out"}},
		{"join while under way", ok(standup), at(11, 10), MenuOptions{}, []string{
			"(Now: Standup · ends 11:15)", "Join Standup", "---", "11:00  Standup", "---",
			"(Synced 10:42)", "Refresh now", "Open agenda…", "Preferences…", "Sign out"}},
		{"limit of upcoming", ok(standup, noLink, review, tomorrow), at(10, 0), MenuOptions{Upcoming: 2}, []string{
			"(Standup in 1 h)", "---", "11:00  Standup", "(12:00  Lunch)", "---",
			"(Synced 10:42)", "Refresh now", "Open agenda…", "Preferences…", "Sign out"}},
		{"syncing", syncing, at(10, 0), MenuOptions{}, []string{
			"(Standup in 1 h)", "---", "11:00  Standup", "---",
			"(Synced 10:42)", "(Refreshing…)", "Open agenda…", "Preferences…", "Sign out"}},
		{"signed out", signedOut, at(10, 0), MenuOptions{}, []string{
			"(caltray: sign in to see your meetings)", "---",
			"(Signed out)", "(Refresh now)", "Open agenda…", "Preferences…", "Sign in…"}},
		{"demo", ok(), at(10, 0), MenuOptions{Demo: true, Outage: true, NoAccount: true}, []string{
			"(No more meetings today)", "---",
			"(Synced 10:42)", "Refresh now", "Open agenda…", "Preferences…", "---", "Simulate outage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Location = berlin
			items := Menu(tt.snap, tt.now, tt.opts)
			got := labels(items)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("menu:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, it := range items {
				if it.Label == "Quit" {
					t.Error("the menu must not add its own Quit: Fyne appends one")
				}
			}
		})
	}

	t.Run("actions", func(t *testing.T) {
		items := Menu(ok(standup, review), at(10, 50), MenuOptions{Location: berlin, Demo: true, Outage: true})
		want := map[string]Item{
			"Join Standup":         {Action: ActionJoin, URL: standup.JoinURL},
			"11:00  Standup":       {Action: ActionOpen, URL: standup.JoinURL},
			"14:00  Design review": {Action: ActionOpen, URL: review.WebLink},
			"Refresh now":          {Action: ActionRefresh},
			"Open agenda…":         {Action: ActionAgenda},
			"Preferences…":         {Action: ActionPreferences},
			"Sign out":             {Action: ActionSignOut},
			"Simulate outage":      {Action: ActionOutage, Checked: true},
		}
		for _, it := range items {
			w, ok := want[it.Label]
			if !ok {
				continue
			}
			delete(want, it.Label)
			if it.Action != w.Action || it.URL != w.URL || it.Checked != w.Checked {
				t.Errorf("%q: action %v url %q checked %v, want %v %q %v", it.Label, it.Action, it.URL, it.Checked, w.Action, w.URL, w.Checked)
			}
		}
		for l := range want {
			t.Errorf("no item %q", l)
		}
	})
}

func TestJoinTargetPrefersTheNextMeeting(t *testing.T) {
	cur := withJoin(meeting("1", "Current", at(10, 0), time.Hour), "https://j/1")
	next := withJoin(meeting("2", "Next", at(11, 0), time.Hour), "https://j/2")
	// Two meetings inside the 15 minutes: the earlier is the one to join, whatever the order.
	soon := withJoin(meeting("3", "Soon", at(13, 5), 30*time.Minute), "https://j/3")
	after := withJoin(meeting("4", "After", at(13, 10), 30*time.Minute), "https://j/4")
	noLink := meeting("5", "No link", at(13, 0), 10*time.Minute)
	tests := []struct {
		now  time.Time
		want string
		ok   bool
	}{
		{at(10, 30), "Current", true},
		{at(10, 50), "Next", true},
		{at(11, 59), "Next", true},
		{at(12, 0).Add(time.Hour), "Soon", true},
		{at(13, 6), "After", true},
		{at(13, 41), "", false},
		{at(9, 44), "", false},
		{at(9, 45), "Current", true},
	}
	for _, tt := range tests {
		a, ok := JoinTarget([]calsync.Appointment{cur, next, noLink, after, soon}, tt.now, DefaultJoinAhead)
		if ok != tt.ok || a.Subject != tt.want {
			t.Errorf("at %s: JoinTarget = %q, %v; want %q, %v", tt.now.Format("15:04"), a.Subject, ok, tt.want, tt.ok)
		}
	}
}

// The words come from the kind alone: the same text under another kind reads differently, and
// a reworded error of a known kind reads the same.
func TestErrorText(t *testing.T) {
	tests := []struct {
		kind     runner.Kind
		in, want string
	}{
		{runner.KindNone, "", "None"},
		{runner.KindTimeout, "calendarView: attempt 3: context deadline exceeded", "Microsoft Graph did not answer in 30 s"},
		{runner.KindServer, "graph: calendarView page 1: HTTP 503 Service Unavailable", "Microsoft Graph had a server error"},
		{runner.KindServer, "reworded: the backend fell over", "Microsoft Graph had a server error"},
		{runner.KindThrottled, "graph: calendarView: HTTP 429 Too Many Requests", "Microsoft Graph asked caltray to slow down (throttled)"},
		{runner.KindBreakerOpen, "circuit breaker open until 10:47:00", "Paused calls to Microsoft Graph after repeated failures"},
		{runner.KindNetwork, "dial tcp 127.0.0.1:1: connect: connection refused", "Could not reach Microsoft Graph, or the connection broke off: check the network"},
		{runner.KindSignIn, "graph: HTTP 401 Unauthorized", "Your sign-in expired or was refused: sign in again"},
		{runner.KindKeyring, "no OS keyring", "No keyring to keep your sign-in in: it lasts until caltray quits"},
		{runner.KindUnreadable, "the response is too large to read", "Microsoft Graph sent an answer caltray could not read (malformed, or more than it can hold)"},
		{runner.KindRefused, "graph: HTTP 403 Forbidden", "Microsoft Graph refused the request (or redirected it elsewhere)"},
		{runner.KindOther, "HTTP 503 but of kind other", "HTTP 503 but of kind other"},
		{runner.KindOther, strings.Repeat("long ", 40), strings.TrimSpace(strings.Repeat("long ", 24)) + "…"},
	}
	for _, tt := range tests {
		if got := ErrorText(tt.kind, tt.in, 30*time.Second); got != tt.want {
			t.Errorf("ErrorText(%q, %q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestHealthPanel(t *testing.T) {
	now := at(10, 50)
	var recent []calsync.SyncRecord
	for i := range 25 {
		r := calsync.SyncRecord{At: at(10, 0).Add(time.Duration(i) * time.Minute), Duration: time.Duration(i+1) * 100 * time.Millisecond, Kind: calsync.SyncDelta}
		if i%5 == 4 {
			r.Err, r.ErrKind, r.Kind = "context deadline exceeded", runner.KindTimeout, ""
		}
		recent = append(recent, r)
	}
	tests := []struct {
		name string
		h    calsync.Health
		want Panel
	}{
		{"down", calsync.Health{Status: runner.StatusDown, Breaker: "open", ConsecutiveFailures: 5,
			LastSuccess: tp(at(10, 42)), LastError: "context deadline exceeded", LastErrorKind: runner.KindTimeout, RetryAt: tp(at(10, 55))},
			Panel{Status: "Down: calls to Microsoft Graph are paused", Breaker: "Open (calls paused)", Failures: "5 in a row",
				LastSuccess: "10:42 (8 min ago)", LastError: "Microsoft Graph did not answer in 30 s", NextRetry: "10:55"}},
		{"operational", calsync.Health{Status: runner.StatusOperational, Breaker: "closed", LastSuccess: tp(at(10, 50))},
			Panel{Status: "Operational", Breaker: "Closed", Failures: "None", LastSuccess: "10:50 (just now)", LastError: "None", NextRetry: "—"}},
		{"half-open, retry passed", calsync.Health{Status: runner.StatusDegraded, Breaker: "half-open", ConsecutiveFailures: 1, RetryAt: tp(at(10, 49))},
			Panel{Status: "Degraded: testing the connection again", Breaker: "Half-open (testing the connection)", Failures: "1",
				LastSuccess: "10:42 (8 min ago, from the cache)", LastError: "None", NextRetry: "—"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			s.Health, s.Recent = tt.h, recent
			got := HealthPanel(s, now, berlin, 30*time.Second)
			if len(got.Bars) != MaxBars {
				t.Fatalf("%d bars, want %d", len(got.Bars), MaxBars)
			}
			// The last 20 of 25 syncs: the first shown is the 6th (600 ms), the 5th shown failed.
			if got.Bars[0].Duration != 600*time.Millisecond || got.Bars[0].Failed || !got.Bars[4].Failed {
				t.Errorf("bars start %+v, fifth %+v", got.Bars[0], got.Bars[4])
			}
			if want := "10:09: failed after 1.0 s: Microsoft Graph did not answer in 30 s"; got.Bars[4].Label != want {
				t.Errorf("failed bar label %q, want %q", got.Bars[4].Label, want)
			}
			got.Bars = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("panel\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestAgenda(t *testing.T) {
	tokyo := mustZone("Asia/Tokyo")
	standup := withJoin(meeting("1", "Standup", at(9, 0), 15*time.Minute), "https://j/1")
	standup.Location = "Room 4"
	tentative := meeting("2", "Maybe", at(11, 0), time.Hour)
	tentative.Response = calsync.ResponseTentative
	declined := meeting("3", "No", at(12, 0), time.Hour)
	declined.Response = calsync.ResponseDeclined
	cancelled := meeting("4", "Off", at(13, 0), time.Hour)
	cancelled.Cancelled = true
	// 23:30 Berlin on the 27th is 07:30 on the 28th in Tokyo.
	lateNight := meeting("5", "Late", at(23, 30), time.Hour)
	trip := calsync.Appointment{ID: "6", Subject: "Trip", AllDay: true,
		Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	far := meeting("7", "Far", at(10, 0).AddDate(0, 0, 3), time.Hour)
	snap := ok(trip, standup, tentative, declined, cancelled, lateNight, far)

	type row struct{ day, time, title, badge string }
	flatten := func(days []Day) []row {
		var out []row
		for _, d := range days {
			for _, r := range d.Rows {
				out = append(out, row{d.Title, r.Time, r.Title, r.Badge})
			}
		}
		return out
	}
	tests := []struct {
		name string
		loc  *time.Location
		now  time.Time
		want []row
	}{
		{"berlin", berlin, at(10, 0), []row{
			{"Today", "All day", "Trip", ""},
			{"Today", "09:00 – 09:15", "Standup", ""},
			{"Today", "11:00 – 12:00", "Maybe", "Tentative"},
			{"Today", "12:00 – 13:00", "No", "Declined"},
			{"Today", "13:00 – 14:00", "Off", "Cancelled"},
			{"Today", "23:30 – 00:30 (Sat)", "Late", ""},
			{"Tomorrow", "All day", "Trip", ""},
			{"Sunday 29 November", "All day", "Trip", ""},
			{"Monday 30 November", "10:00 – 11:00", "Far", ""},
		}},
		{"tokyo: the late meeting moves to tomorrow, all-day stays on its dates", tokyo, at(10, 0), []row{
			{"Today", "All day", "Trip", ""},
			{"Today", "17:00 – 17:15", "Standup", ""},
			{"Today", "19:00 – 20:00", "Maybe", "Tentative"},
			{"Today", "20:00 – 21:00", "No", "Declined"},
			{"Today", "21:00 – 22:00", "Off", "Cancelled"},
			{"Tomorrow", "All day", "Trip", ""},
			{"Tomorrow", "07:30 – 08:30", "Late", ""},
			{"Sunday 29 November", "All day", "Trip", ""},
			{"Monday 30 November", "18:00 – 19:00", "Far", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := flatten(Agenda(snap, tt.now, tt.loc))
			if len(got) != len(tt.want) {
				t.Fatalf("rows:\n%v\nwant:\n%v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}

	t.Run("past, now and links", func(t *testing.T) {
		days := Agenda(ok(standup, tentative), at(9, 10), berlin)
		r := days[0].Rows
		if !r[0].Now || r[0].Past || r[0].JoinURL != "https://j/1" || r[0].Location != "Room 4" {
			t.Errorf("standup row %+v", r[0])
		}
		if r[1].Now || r[1].Past {
			t.Errorf("later row %+v", r[1])
		}
		days = Agenda(ok(standup), at(9, 30), berlin)
		if !days[0].Rows[0].Past {
			t.Errorf("ended meeting not marked past: %+v", days[0].Rows[0])
		}
	})
	t.Run("empty", func(t *testing.T) {
		if days := Agenda(ok(), at(9, 0), berlin); len(days) != 0 {
			t.Errorf("Agenda of nothing = %v", days)
		}
	})
}

func TestForm(t *testing.T) {
	base := calsync.DefaultSettings()
	tests := []struct {
		name    string
		form    Form
		want    calsync.Settings
		wantErr []string
	}{
		{"defaults round-trip", FormOf(base), base, nil},
		{"changed", Form{DaysAhead: " 14 ", IntervalMinutes: "10", ReminderMinutes: "0", HideDeclined: true, HideAllDay: true},
			calsync.Settings{WindowDays: 14, Interval: 10 * time.Minute, ReminderMinutes: 0, HideDeclined: true, HideAllDay: true}, nil},
		{"reminder mode", Form{DaysAhead: "7", IntervalMinutes: "5", Reminders: calsync.RemindersFixed, ReminderMinutes: "3", RemindAllDay: true, StartWindow: true},
			calsync.Settings{WindowDays: 7, Interval: 5 * time.Minute, Reminders: calsync.RemindersFixed, ReminderMinutes: 3, RemindAllDay: true, StartWindow: true}, nil},
		{"empty", Form{DaysAhead: "", IntervalMinutes: "5", ReminderMinutes: "5"}, base, []string{"Days ahead is empty"}},
		{"not a number", Form{DaysAhead: "7", IntervalMinutes: "five", ReminderMinutes: "5"}, base, []string{`Refresh every: "five" is not a whole number`}},
		{"all out of range", Form{DaysAhead: "61", IntervalMinutes: "0", ReminderMinutes: "-1"}, base,
			[]string{"Days ahead: 61 is out of range; type a number from 0 to 60", "Refresh every: 0 is out of range", "Remind before: -1 is out of range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.form.Settings(base)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got != tt.want {
					t.Errorf("settings %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, settings %+v", got)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got != base {
				t.Errorf("invalid form changed the settings: %+v", got)
			}
		})
	}
	if err := ValidateReminder("abc"); err == nil || !strings.Contains(err.Error(), "0 reminds at the start") {
		t.Errorf("ValidateReminder(abc) = %v", err)
	}
	if err := ValidateDaysAhead("3"); err != nil {
		t.Errorf("ValidateDaysAhead(3) = %v", err)
	}
}

// The agenda window's one line while all is well, and whether the full panel is due.
func TestSummaryLineAndTroubled(t *testing.T) {
	base := ok()
	mod := func(f func(*calsync.Snapshot)) calsync.Snapshot {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name     string
		snap     calsync.Snapshot
		line     string
		troubled bool
	}{
		{"all well", base, "Up to date · synced 10:42", false},
		{"all well, syncing", mod(func(s *calsync.Snapshot) { s.Syncing = true }), "Up to date · synced 10:42", false},
		{"all well, a slow sync", mod(func(s *calsync.Snapshot) { s.Syncing, s.SyncStarted = true, at(10, 42) }),
			"Up to date · synced 10:42 — waiting for Microsoft Graph…", false},
		{"stale", mod(func(s *calsync.Snapshot) { s.Health.Stale = true }), "Synced 10:42 (out of date)", true},
		{"failing", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 1, Stale: true}
			s.NextSync = at(10, 44)
		}), "Sync failing — next try 10:44", true},
		{"down", mod(func(s *calsync.Snapshot) {
			s.Health = calsync.Health{Status: runner.StatusDown, Breaker: "open", ConsecutiveFailures: 5, RetryAt: tp(at(10, 47))}
		}), "Offline — next try 10:47", true},
		{"signed out: nothing failed, the window offers Sign in…", mod(func(s *calsync.Snapshot) { s.Auth = calsync.AuthSignedOut }), "Signed out", false},
		{"never synced", calsync.Snapshot{Auth: calsync.AuthOK, Syncing: true, Health: calsync.Health{Status: runner.StatusOperational}}, "Syncing…", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SummaryLine(tt.snap, at(10, 43), berlin); got != tt.line {
				t.Errorf("SummaryLine = %q, want %q", got, tt.line)
			}
			if got := Troubled(tt.snap); got != tt.troubled {
				t.Errorf("Troubled = %v, want %v", got, tt.troubled)
			}
		})
	}
}

// The panel's "Next retry" is the loop's next attempt while something is wrong, and "—" while
// all is well (the next periodic sync is no retry).
func TestHealthPanelNextRetry(t *testing.T) {
	failing := ok()
	failing.Health = calsync.Health{Status: runner.StatusDegraded, Breaker: "closed", ConsecutiveFailures: 1, Stale: true}
	failing.NextSync = at(10, 44)
	fine := ok()
	fine.NextSync = at(10, 47)
	running := failing
	running.Syncing = true
	tests := []struct {
		name string
		snap calsync.Snapshot
		want string
	}{
		{"failing", failing, "10:44"},
		{"all well", fine, "—"},
		{"the retry under way", running, "—"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HealthPanel(tt.snap, at(10, 43), berlin, 30*time.Second).NextRetry; got != tt.want {
				t.Errorf("NextRetry = %q, want %q", got, tt.want)
			}
		})
	}
}
