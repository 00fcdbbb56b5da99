package model

import (
	"strings"
	"testing"
	"time"

	"caltray/runner/fakeclock"
	calsync "caltray/sync"
)

func TestReminderPolicyLead(t *testing.T) {
	own := meeting("1", "Own", at(11, 0), time.Hour)
	own.Reminder = calsync.RemindBefore(10)
	none := meeting("2", "None", at(11, 0), time.Hour)
	declined := own
	declined.Response = calsync.ResponseDeclined
	cancelled := own
	cancelled.Cancelled = true
	allDay := calsync.Appointment{ID: "4", Subject: "Holiday", AllDay: true, Reminder: calsync.RemindBefore(18 * 60),
		Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}

	outlook := ReminderPolicy{Mode: calsync.RemindersOutlook, Minutes: 5}
	fixed := ReminderPolicy{Mode: calsync.RemindersFixed, Minutes: 5}
	tests := []struct {
		name    string
		p       ReminderPolicy
		a       calsync.Appointment
		lead    time.Duration
		reminds bool
	}{
		{"outlook: the meeting's own", outlook, own, 10 * time.Minute, true},
		{"outlook: none of its own", outlook, none, 0, false},
		{"the default mode is outlook's", ReminderPolicy{}, own, 10 * time.Minute, true},
		{"fixed: every meeting", fixed, none, 5 * time.Minute, true},
		{"fixed: over the meeting's own", fixed, own, 5 * time.Minute, true},
		{"fixed at the start", ReminderPolicy{Mode: calsync.RemindersFixed}, none, 0, true},
		{"off", ReminderPolicy{Mode: calsync.RemindersOff}, own, 0, false},
		{"declined never", fixed, declined, 0, false},
		{"cancelled never", outlook, cancelled, 0, false},
		{"all-day left out", outlook, allDay, 0, false},
		{"all-day when asked", ReminderPolicy{AllDay: true}, allDay, 18 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lead, ok := tt.p.Lead(tt.a)
			if lead != tt.lead || ok != tt.reminds {
				t.Errorf("Lead = %v, %v; want %v, %v", lead, ok, tt.lead, tt.reminds)
			}
		})
	}
	s := calsync.DefaultSettings()
	s.Reminders, s.ReminderMinutes, s.RemindAllDay = calsync.RemindersFixed, 7, true
	if p := PolicyOf(s); p != (ReminderPolicy{Mode: calsync.RemindersFixed, Minutes: 7, AllDay: true}) {
		t.Errorf("PolicyOf = %+v", p)
	}
}

// sim runs Reminders as the tray does: Due at every whole minute on a fake clock (and at once
// after a wake), recording "15:04 title" for each reminder.
type sim struct {
	t     *testing.T
	clock *fakeclock.Clock
	r     *Reminders
	apps  []calsync.Appointment
	p     ReminderPolicy
	loc   *time.Location
	got   []string
	last  []Reminder
}

func (s *sim) check() {
	now := s.clock.Now()
	if next := s.r.Next(s.apps, now, s.p, s.loc); !next.IsZero() && next.Before(now) {
		s.t.Errorf("at %s: Next = %v, in the past", now.In(s.loc).Format("15:04"), next)
	}
	s.last = s.r.Due(s.apps, now, s.p, s.loc)
	for _, rem := range s.last {
		s.got = append(s.got, now.In(s.loc).Format("15:04")+" "+rem.Title)
	}
}

// until checks every minute up to and including t.
func (s *sim) until(t time.Time) {
	for s.clock.Now().Before(t) {
		s.clock.Advance(time.Minute)
		s.check()
	}
}

// sleep suspends the computer until t: no check runs meanwhile, one runs at the wake.
func (s *sim) sleep(t time.Time) {
	s.clock.Set(t)
	s.check()
}

func (s *sim) find(title string) Reminder {
	s.t.Helper()
	for _, r := range s.last {
		if strings.Contains(r.Title, title) {
			return r
		}
	}
	s.t.Fatalf("no reminder %q at %s among %v", title, s.clock.Now().In(s.loc).Format("15:04"), s.last)
	return Reminder{}
}

func remind(a calsync.Appointment, m int) calsync.Appointment {
	a.Reminder = calsync.RemindBefore(m)
	return a
}

func TestRemindersSchedule(t *testing.T) {
	standup := remind(meeting("1", "Standup", at(11, 0), 15*time.Minute), 15)
	review := remind(meeting("2", "Review", at(11, 0), time.Hour), 5)
	quiet := meeting("3", "No reminder", at(11, 0), time.Hour)
	declined := remind(meeting("4", "Declined", at(11, 0), time.Hour), 15)
	declined.Response = calsync.ResponseDeclined
	cancelled := remind(meeting("5", "Cancelled", at(11, 0), time.Hour), 15)
	cancelled.Cancelled = true
	outlook := ReminderPolicy{Mode: calsync.RemindersOutlook, Minutes: 10}

	tests := []struct {
		name   string
		start  time.Time
		p      ReminderPolicy
		apps   []calsync.Appointment
		script func(s *sim)
		want   []string
	}{
		{"each meeting's own minutes", at(10, 30), outlook, []calsync.Appointment{standup, review, quiet},
			func(s *sim) { s.until(at(12, 30)) },
			[]string{"10:45 Standup in 15 min", "10:55 Review in 5 min"}},
		{"the same minutes before every meeting", at(10, 30), ReminderPolicy{Mode: calsync.RemindersFixed, Minutes: 10},
			[]calsync.Appointment{standup, review, quiet},
			func(s *sim) { s.until(at(12, 30)) },
			[]string{"10:50 Standup in 10 min", "10:50 Review in 10 min", "10:50 No reminder in 10 min"}},
		{"fixed at the start", at(10, 30), ReminderPolicy{Mode: calsync.RemindersFixed}, []calsync.Appointment{quiet},
			func(s *sim) { s.until(at(12, 30)) },
			[]string{"11:00 No reminder is starting now"}},
		{"off", at(10, 30), ReminderPolicy{Mode: calsync.RemindersOff}, []calsync.Appointment{standup, review},
			func(s *sim) { s.until(at(12, 30)) }, nil},
		{"declined and cancelled never remind", at(10, 30), ReminderPolicy{Mode: calsync.RemindersFixed, Minutes: 10},
			[]calsync.Appointment{declined, cancelled},
			func(s *sim) { s.until(at(12, 30)) }, nil},
		{"caltray starts during a meeting", at(11, 8), outlook, []calsync.Appointment{
			remind(meeting("0", "Early", at(9, 0), time.Hour), 15), review},
			func(s *sim) { s.check(); s.until(at(12, 30)) },
			// The one under way is announced; the one over before caltray ran is no news.
			[]string{"11:08 Started 8 min ago: Review"}},
		{"suspend across reminders (the clock jumps 40 minutes)", at(10, 30), outlook, []calsync.Appointment{
			remind(meeting("a", "Ahead", at(11, 30), 30*time.Minute), 15),       // reminder 11:15 slept through; not started
			remind(meeting("b", "Under way", at(10, 55), time.Hour), 5),         // reminder 10:50 slept through; started
			remind(meeting("c", "Short one", at(10, 45), 15*time.Minute), 2),    // over during the sleep
			remind(meeting("d", "Another", at(10, 50), 20*time.Minute), 0),      // over during the sleep
			remind(meeting("e", "Before sleep", at(10, 35), 5*time.Minute), 0)}, // reminded before the sleep
			func(s *sim) {
				s.until(at(10, 40))
				s.sleep(at(11, 20))
				s.until(at(12, 30))
			},
			[]string{"10:35 Before sleep is starting now",
				"11:20 Ahead in 10 min", "11:20 Started 25 min ago: Under way", "11:20 While you were away: 2 meetings"}},
		{"a zero-length event reminding at its start, the user present", at(9, 30),
			ReminderPolicy{Mode: calsync.RemindersFixed}, []calsync.Appointment{meeting("z", "Deadline", at(10, 0), 0)},
			func(s *sim) { s.until(at(11, 0)) },
			[]string{"10:00 Deadline is starting now"}},
		{"a zero-length event with an Outlook reminder at its start, the user present", at(9, 30), outlook,
			[]calsync.Appointment{remind(meeting("z", "Deadline", at(10, 0), 0), 0)},
			func(s *sim) { s.until(at(11, 0)) },
			[]string{"10:00 Deadline is starting now"}},
		{"a zero-length event reminding at its start, slept through", at(9, 30),
			ReminderPolicy{Mode: calsync.RemindersFixed}, []calsync.Appointment{meeting("z", "Deadline", at(10, 0), 0)},
			func(s *sim) {
				s.until(at(9, 50))
				s.sleep(at(10, 30))
				s.until(at(11, 0))
			},
			[]string{"10:30 While you were away: 1 meeting"}},
		{"a meeting moved after its reminder was scheduled", at(10, 30), outlook, []calsync.Appointment{standup},
			func(s *sim) {
				s.until(at(10, 40))
				moved := standup
				moved.Start, moved.End = at(12, 0).UTC(), at(12, 15).UTC()
				s.apps = []calsync.Appointment{moved}
				s.until(at(12, 30))
			},
			[]string{"11:45 Standup in 15 min"}},
		{"a meeting extended after its reminder was shown", at(9, 30), outlook, []calsync.Appointment{
			remind(meeting("r", "Review", at(10, 0), 30*time.Minute), 15)},
			func(s *sim) {
				s.until(at(9, 50))
				longer := s.apps[0]
				longer.End = at(11, 0).UTC() // the organiser extends it to 11:00
				s.apps = []calsync.Appointment{longer}
				s.until(at(12, 0))
			},
			[]string{"09:45 Review in 15 min"}},
		{"a meeting cancelled after its reminder was scheduled", at(10, 30), outlook, []calsync.Appointment{standup},
			func(s *sim) {
				s.until(at(10, 40))
				off := standup
				off.Cancelled = true
				s.apps = []calsync.Appointment{off}
				s.until(at(12, 30))
			}, nil},
		{"snooze 5 minutes, then dismiss", at(10, 40), outlook, []calsync.Appointment{standup},
			func(s *sim) {
				s.until(at(10, 45))
				s.r.Snooze(s.find("Standup").Key, s.clock.Now().Add(5*time.Minute))
				s.until(at(10, 50))
				s.r.Dismiss(s.find("Standup").Key)
				s.until(at(12, 30))
			},
			[]string{"10:45 Standup in 15 min", "10:50 Standup in 10 min"}},
		{"snooze until the start", at(10, 40), outlook, []calsync.Appointment{standup},
			func(s *sim) {
				s.until(at(10, 45))
				r := s.find("Standup")
				if !r.SnoozeToStart(s.clock.Now()) {
					t.Error("no snooze to the start 15 minutes ahead")
				}
				s.r.Snooze(r.Key, r.Start)
				s.until(at(12, 30))
			},
			[]string{"10:45 Standup in 15 min", "11:00 Standup is starting now"}},
		{"a snoozed meeting cancelled meanwhile", at(10, 40), outlook, []calsync.Appointment{standup},
			func(s *sim) {
				s.until(at(10, 45))
				s.r.Snooze(s.find("Standup").Key, s.clock.Now().Add(5*time.Minute))
				off := standup
				off.Cancelled = true
				s.apps = []calsync.Appointment{off}
				s.until(at(12, 30))
			},
			[]string{"10:45 Standup in 15 min"}},
		{"a snooze past the end is forgotten", at(10, 40), outlook, []calsync.Appointment{standup},
			func(s *sim) {
				s.until(at(10, 45))
				s.r.Snooze(s.find("Standup").Key, at(11, 30))
				s.until(at(12, 30))
				if len(s.r.snoozed) != 0 || len(s.r.sent) != 0 {
					t.Errorf("still remembers %d snoozes, %d sent", len(s.r.snoozed), len(s.r.sent))
				}
			},
			[]string{"10:45 Standup in 15 min"}},
		{"all-day events remind only when asked", at(5, 0), ReminderPolicy{AllDay: true}, []calsync.Appointment{
			{ID: "h", Subject: "Holiday", AllDay: true, Reminder: calsync.RemindBefore(18 * 60),
				Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}},
			func(s *sim) { s.until(at(7, 0)) },
			[]string{"06:00 Holiday in 18 h"}},
		{"an all-day event under way at the start is no news", at(10, 0), ReminderPolicy{AllDay: true}, []calsync.Appointment{
			{ID: "h", Subject: "Holiday", AllDay: true, Reminder: calsync.RemindBefore(18 * 60),
				Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}},
			func(s *sim) { s.check(); s.until(at(12, 0)) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sim{t: t, clock: fakeclock.New(tt.start), r: NewReminders(), apps: tt.apps, p: tt.p, loc: berlin}
			tt.script(s)
			if strings.Join(s.got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("reminders:\n%s\nwant:\n%s", strings.Join(s.got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// Reminders are instants before the start: a change of daylight saving time between the
// reminder and the meeting moves neither.
func TestRemindersAcrossDST(t *testing.T) {
	tests := []struct {
		name     string
		start    time.Time // the meeting
		lead     int       // minutes
		wantAt   time.Time // when the reminder comes
		wantBody string
	}{
		// Berlin springs forward on 29 March 2026 at 02:00 CET to 03:00 CEST.
		{"spring forward", time.Date(2026, 3, 29, 3, 30, 0, 0, berlin), 120,
			time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), "03:30 – 04:00"},
		// Berlin falls back on 25 October 2026 at 03:00 CEST to 02:00 CET: 02:30 happens twice.
		{"fall back, the second 02:30", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), 60,
			time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "02:30 – 03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := remind(meeting("x", "Night shift", tt.start, 30*time.Minute), tt.lead)
			s := &sim{t: t, clock: fakeclock.New(tt.wantAt.Add(-30 * time.Minute)), r: NewReminders(),
				apps: []calsync.Appointment{a}, loc: berlin}
			if next := s.r.Next(s.apps, s.clock.Now(), s.p, berlin); !next.Equal(tt.wantAt) {
				t.Errorf("Next = %v, want %v", next.In(berlin), tt.wantAt.In(berlin))
			}
			s.until(tt.wantAt.Add(-time.Minute))
			if len(s.got) != 0 {
				t.Fatalf("early: %v", s.got)
			}
			s.until(tt.wantAt)
			if len(s.last) != 1 || s.last[0].Body != tt.wantBody {
				t.Fatalf("at %v: %+v, want one reminder with body %q", tt.wantAt.In(berlin), s.last, tt.wantBody)
			}
		})
	}
}

func TestReminderWording(t *testing.T) {
	a := remind(withJoin(meeting("1", "Standup", at(11, 0), 15*time.Minute), "https://teams.example/j"), 5)
	a.Location = "Room 4"
	tests := []struct {
		now     time.Time
		kind    ReminderKind
		title   string
		toStart bool
	}{
		{at(10, 55), ReminderAhead, "Standup in 5 min", true},
		{at(10, 59), ReminderAhead, "Standup in 1 min", false},
		{at(11, 0), ReminderStarted, "Standup is starting now", false},
		{at(11, 8), ReminderStarted, "Started 8 min ago: Standup", false},
	}
	for _, tt := range tests {
		r := newReminder(a, tt.now, berlin)
		if r.Kind != tt.kind || r.Title != tt.title || r.SnoozeToStart(tt.now) != tt.toStart {
			t.Errorf("at %s: %v %q snooze-to-start %v; want %v %q %v", tt.now.Format("15:04"), r.Kind, r.Title,
				r.SnoozeToStart(tt.now), tt.kind, tt.title, tt.toStart)
		}
		if r.Body != "11:00 – 11:15, Room 4" || r.JoinURL != "https://teams.example/j" || r.ID != "1" {
			t.Errorf("reminder %+v", r)
		}
	}
	var many []calsync.Appointment
	for i := range 5 {
		many = append(many, meeting(string(rune('a'+i)), "M"+string(rune('1'+i)), at(9, i*10), 5*time.Minute))
	}
	sum := missedSummary(many, berlin)
	if sum.Title != "While you were away: 5 meetings" || sum.Body != "09:00 M1, 09:10 M2, 09:20 M3, and 2 more" {
		t.Errorf("summary %q / %q", sum.Title, sum.Body)
	}
	if one := missedSummary(many[:1], berlin); one.Title != "While you were away: 1 meeting" {
		t.Errorf("summary of one: %q", one.Title)
	}
}

func TestReminderChoices(t *testing.T) {
	for _, c := range ReminderChoices {
		if got := ReminderModeOf(ReminderLabel(c.Mode)); got != c.Mode {
			t.Errorf("%q round-trips to %q", c.Mode, got)
		}
	}
	if ReminderLabel("") != "As set in Outlook" || ReminderModeOf("nonsense") != calsync.RemindersOutlook {
		t.Error("the default is not Outlook's")
	}
	if !strings.Contains(ReminderHelp, "only reads your calendar") {
		t.Errorf("help %q does not say Snooze and Dismiss stay in caltray", ReminderHelp)
	}
}

// Reminders keep and return wall-clock times only. time.Now() carries a monotonic reading as
// well, and two times that both carry one are compared on it; Linux's monotonic clock stops
// during a suspend, so a snooze kept with one would come back late by the length of the
// sleep, and the time since the last check would not show the sleep (golang/go#35012).
func TestRemindersWallClockOnly(t *testing.T) {
	now := time.Now() // with a monotonic reading ("m=+0.01" in its String)
	if !hasMonotonic(now) {
		t.Skip("time.Now() has no monotonic reading on this platform")
	}
	a := remind(meeting("1", "Standup", now.Add(10*time.Minute), 15*time.Minute), 15)
	apps := []calsync.Appointment{a}
	tests := []struct {
		name string
		kept func(r *Reminders) time.Time
	}{
		{"a snooze of five minutes", func(r *Reminders) time.Time {
			r.Snooze(occurrence(a), now.Add(5*time.Minute))
			return r.snoozed[occurrence(a)]
		}},
		{"the last check's time", func(r *Reminders) time.Time {
			r.Due(apps, now, ReminderPolicy{}, berlin)
			return r.checked
		}},
		{"Next when a reminder is due", func(r *Reminders) time.Time {
			return r.Next(apps, now, ReminderPolicy{}, berlin)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kept(NewReminders()); got.IsZero() || hasMonotonic(got) {
				t.Errorf("kept %v: zero, or with a monotonic reading", got)
			}
		})
	}
}

// hasMonotonic reports whether t carries a monotonic clock reading.
func hasMonotonic(t time.Time) bool { return strings.Contains(t.String(), " m=") }
