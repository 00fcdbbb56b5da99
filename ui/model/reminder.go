package model

import (
	"fmt"
	"slices"
	"strings"
	"time"

	calsync "caltray/sync"
)

// A ReminderPolicy says which meetings remind, and how long before their start: the user's
// reminder preferences (see PolicyOf).
type ReminderPolicy struct {
	Mode    calsync.ReminderMode // "" means calsync.RemindersOutlook
	Minutes int                  // the lead of every meeting in calsync.RemindersFixed mode
	AllDay  bool                 // all-day events remind too
}

// PolicyOf returns the reminder policy the settings choose.
func PolicyOf(s calsync.Settings) ReminderPolicy {
	return ReminderPolicy{Mode: s.Reminders, Minutes: s.ReminderMinutes, AllDay: s.RemindAllDay}
}

// Lead returns how long before a's start it reminds, and false when it does not remind at
// all: reminders are off, a has no reminder of its own (Outlook mode), it is declined or
// cancelled, or it is an all-day event and the policy leaves those out.
func (p ReminderPolicy) Lead(a calsync.Appointment) (time.Duration, bool) {
	if a.Cancelled || a.Response == calsync.ResponseDeclined || a.AllDay && !p.AllDay {
		return 0, false
	}
	switch p.Mode {
	case calsync.RemindersOff:
		return 0, false
	case calsync.RemindersFixed:
		return time.Duration(p.Minutes) * time.Minute, true
	}
	if !a.Reminder.On {
		return 0, false
	}
	return time.Duration(a.Reminder.Minutes) * time.Minute, true
}

// ReminderKind says what a Reminder is about.
type ReminderKind int

// The kinds of reminder.
const (
	// ReminderAhead: the meeting has not started (its reminder is due, or was due while the
	// computer slept, or a snooze ended).
	ReminderAhead ReminderKind = iota
	// ReminderStarted: the meeting is under way; its reminder fell while the computer slept
	// (or before caltray started), or a snooze ran to the start.
	ReminderStarted
	// ReminderMissed: one summary of the meetings whose reminder fell while the computer
	// slept and which are over now.
	ReminderMissed
)

// A Reminder is one notification to show.
type Reminder struct {
	Kind    ReminderKind
	Key     string // the occurrence, to snooze or dismiss it; "" for ReminderMissed
	ID      string // the event's id, to show it in the agenda; "" for ReminderMissed
	Title   string // "Standup in 5 min", "Started 8 min ago: Standup", "While you were away: 2 meetings"
	Body    string // time range and location; for ReminderMissed, the meetings' titles
	JoinURL string // the meeting's join link, if it has one
	Start   time.Time
	End     time.Time
}

// SnoozeToStart reports whether "Snooze until it starts" makes sense at now: more than a
// minute remains before the start.
func (r Reminder) SnoozeToStart(now time.Time) bool {
	return r.Kind == ReminderAhead && r.Start.Sub(now) > time.Minute
}

// Reminders decides which meetings to remind of, and when. It is a small state machine on the
// caller's clock: the caller runs Due at least once a minute and whenever it wakes (timers stop
// while a computer sleeps; the wall clock does not), so every decision is made from the wall
// clock at that moment, never from a timer's idea of elapsed time.
//
//   - Each occurrence is announced once, however often Due runs. An occurrence is an event's id
//     and start: a meeting moved to another time is a new occurrence with its own reminder; one
//     whose end moves (extended after its reminder) is the same occurrence, not announced again.
//   - A reminder that fell while the computer slept is given at once if the meeting has not
//     started; as one "Started N min ago" if it is under way; and meetings that are over are
//     counted into one summary ("While you were away: 2 meetings"), never one each. Asleep
//     means a gap of more than awayGap since the last check: without one, a meeting already
//     over when its reminder falls (a zero-length event reminding at its start) gets its own.
//   - Snooze brings an occurrence back at a time the user chose; Dismiss forgets the snooze.
//     Both are caltray's own: it reads the calendar and never changes Outlook's reminders.
//
// Nothing here joins a meeting; it only says what to show. It is not safe for concurrent
// use: the tray's owner goroutine owns it.
type Reminders struct {
	sent    map[string]time.Time // occurrence key -> its latest known end, to forget it after
	snoozed map[string]time.Time // occurrence key -> when to remind again
	checked time.Time            // the now of the last Due; zero before the first
}

// awayGap is how long between two checks means the user was away (the computer slept, or
// caltray was stopped): the caller checks at least once a minute, so a gap of a minute plus
// slack for a busy machine is still the user at the computer. Only after a longer one are
// meetings that are over counted as missed.
const awayGap = 2 * time.Minute

// NewReminders returns a Reminders that has sent nothing.
func NewReminders() *Reminders {
	return &Reminders{sent: map[string]time.Time{}, snoozed: map[string]time.Time{}}
}

// Due returns the reminders to show at now under policy p, times shown in loc, and marks them
// sent.
func (r *Reminders) Due(apps []calsync.Appointment, now time.Time, p ReminderPolicy, loc *time.Location) []Reminder {
	if loc == nil {
		loc = time.Local
	}
	// The wall clock only: time.Now() carries a monotonic reading, which stops while the
	// computer sleeps, and two times that both carry one are compared on it. Dropped here, a
	// snooze and the last check's time are compared with now on the wall clock.
	now = now.Round(0)
	byKey := make(map[string]calsync.Appointment, len(r.snoozed))
	var out []Reminder
	var missed []calsync.Appointment
	for _, a := range apps {
		key := occurrence(a)
		if _, ok := r.snoozed[key]; ok {
			byKey[key] = a
		}
		if _, ok := r.sent[key]; ok {
			// Its end as it is now: a meeting extended after its reminder (the key is its
			// start only) is remembered to its new end, not forgotten at the old one and
			// announced again as "Started 30 min ago".
			r.sent[key] = a.EndIn(loc)
		}
		lead, ok := p.Lead(a)
		if !ok {
			continue
		}
		start, end := a.StartIn(loc), a.EndIn(loc)
		at := start.Add(-lead) // instants: a reminder across a DST change is still lead before
		if _, done := r.sent[key]; done || at.After(now) {
			continue
		}
		if !end.After(now) {
			// Over. Before the first check (caltray was not running), or with its reminder
			// before the last check, it is no news. Its reminder fell since the last check:
			// after a gap (the computer slept) it is counted into the summary; without one
			// the user was here and the meeting was only short (a zero-length event reminding
			// at its start), so it gets its own reminder below.
			if r.checked.IsZero() || !at.After(r.checked) {
				continue
			}
			if now.Sub(r.checked) > awayGap {
				missed = append(missed, a)
				continue
			}
		}
		r.sent[key] = end
		if a.AllDay && !start.After(now) {
			continue // an all-day event under way is the day itself: "Started 10 h ago" says nothing
		}
		out = append(out, newReminder(a, now, loc))
	}
	// Snoozes that ran out: the occurrence comes back if it still exists, still reminds and
	// has not ended. A meeting moved or cancelled meanwhile has no such occurrence any more.
	keys := make([]string, 0, len(r.snoozed))
	for k := range r.snoozed {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable order for several at once
	for _, k := range keys {
		until := r.snoozed[k]
		a, ok := byKey[k]
		_, reminds := p.Lead(a)
		switch {
		case !ok || !reminds || !a.EndIn(loc).After(now):
			delete(r.snoozed, k)
		case !until.After(now):
			delete(r.snoozed, k)
			out = append(out, newReminder(a, now, loc))
		}
	}
	if len(missed) > 0 {
		out = append(out, missedSummary(missed, loc))
	}
	// Forget what has ended: its end as of this call for an occurrence still in apps, the
	// end it last had for one that is gone.
	for k, end := range r.sent {
		if !end.After(now) {
			delete(r.sent, k)
		}
	}
	r.checked = now
	return out
}

// Next returns when Due next has something to say: the earliest reminder or snooze after now,
// now itself if one is due, or the zero time if none. The caller still checks every minute,
// since its timers stop while the computer sleeps.
func (r *Reminders) Next(apps []calsync.Appointment, now time.Time, p ReminderPolicy, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	now = now.Round(0) // the wall clock only, as in Due
	var next time.Time
	consider := func(at time.Time) {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	for _, a := range apps {
		key := occurrence(a)
		if !a.EndIn(loc).After(now) {
			continue
		}
		if until, ok := r.snoozed[key]; ok {
			consider(until)
		}
		lead, ok := p.Lead(a)
		if !ok {
			continue
		}
		if _, done := r.sent[key]; done {
			continue
		}
		consider(a.StartIn(loc).Add(-lead))
	}
	if !next.IsZero() && next.Before(now) {
		return now
	}
	return next
}

// Snooze brings the occurrence key back at until. A later Snooze replaces it.
//
// until is kept on the wall clock alone (Round(0) drops a monotonic reading): "now plus 5
// minutes" from time.Now() carries one, and Linux's monotonic clock stops during a suspend,
// so a snooze compared on it would come back late by the length of the sleep.
func (r *Reminders) Snooze(key string, until time.Time) {
	if key != "" {
		r.snoozed[key] = until.Round(0)
	}
}

// Dismiss forgets the occurrence's snooze: it does not come back.
func (r *Reminders) Dismiss(key string) { delete(r.snoozed, key) }

// newReminder words a's reminder at now: ahead, starting now, or started a while ago.
func newReminder(a calsync.Appointment, now time.Time, loc *time.Location) Reminder {
	start, end := a.StartIn(loc), a.EndIn(loc)
	rem := Reminder{Kind: ReminderAhead, Key: occurrence(a), ID: a.ID, JoinURL: a.JoinURL, Start: start, End: end}
	if a.AllDay {
		rem.Body = start.Format("Mon 2 Jan") + ", all day"
	} else {
		rem.Body = clock(start, loc) + " – " + clock(end, loc)
	}
	if a.Location != "" {
		rem.Body += ", " + a.Location
	}
	name := shorten(title(a), titleLen)
	switch ago := now.Sub(start); {
	case ago < 0:
		rem.Title = fmt.Sprintf("%s in %s", name, minutes(-ago))
	case ago < time.Minute:
		rem.Kind, rem.Title = ReminderStarted, name+" is starting now"
	default:
		rem.Kind, rem.Title = ReminderStarted, fmt.Sprintf("Started %s ago: %s", minutesFloor(ago), name)
	}
	return rem
}

// missedSummary is the one notification for meetings that began and ended while the computer
// slept: their count, and the first few titles.
func missedSummary(apps []calsync.Appointment, loc *time.Location) Reminder {
	const shown = 3
	names := make([]string, 0, shown+1)
	for i, a := range apps {
		if i == shown {
			names = append(names, fmt.Sprintf("and %d more", len(apps)-shown))
			break
		}
		names = append(names, clock(a.StartIn(loc), loc)+" "+shorten(title(a), 30))
	}
	word := "meetings"
	if len(apps) == 1 {
		word = "meeting"
	}
	return Reminder{Kind: ReminderMissed, Title: fmt.Sprintf("While you were away: %d %s", len(apps), word),
		Body: strings.Join(names, ", ")}
}

// minutesFloor writes a time already passed in whole minutes, rounded down ("8 min" from
// 8 min 59 s: it has not been 9 minutes).
func minutesFloor(d time.Duration) string {
	m := max(int(d/time.Minute), 1)
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return humanDuration(time.Duration(m) * time.Minute)
}

// occurrence names one occurrence: a recurring event's instances share nothing but may share
// an ID in some sources, and a moved meeting deserves a new reminder.
func occurrence(a calsync.Appointment) string {
	return a.ID + "@" + a.Start.UTC().Format(time.RFC3339)
}
