package model

import (
	"fmt"
	"time"

	calsync "caltray/sync"
)

// A Reminder is one notification to show.
type Reminder struct {
	Key   string // the occurrence: event ID and start
	Title string // "Standup in 5 min" or "Standup started at 10:00"
	Body  string // time range and location
}

// Reminders decides which meetings to remind of. It remembers what it has reminded of, so
// each occurrence is announced once however often Due runs, and it only reminds of meetings
// still ahead or under way, so waking from sleep brings no flood of old reminders.
// It is not safe for concurrent use: the ui's owner goroutine owns it.
type Reminders struct {
	sent map[string]time.Time // occurrence key -> its end, to forget it after
}

// NewReminders returns a Reminders that has sent nothing.
func NewReminders() *Reminders { return &Reminders{sent: map[string]time.Time{}} }

// Due returns the reminders to show at now for meetings starting within lead, and marks them
// sent. lead 0 turns reminders off. Declined, cancelled and all-day events get none.
func (r *Reminders) Due(apps []calsync.Appointment, now time.Time, lead time.Duration, loc *time.Location) []Reminder {
	if loc == nil {
		loc = time.Local
	}
	for k, end := range r.sent {
		if !end.After(now) {
			delete(r.sent, k)
		}
	}
	if lead <= 0 {
		return nil
	}
	var out []Reminder
	for _, a := range apps {
		if !counts(a) || !a.End.After(now) || a.Start.Sub(now) > lead {
			continue
		}
		key := occurrence(a)
		if _, done := r.sent[key]; done {
			continue
		}
		r.sent[key] = a.End
		rem := Reminder{Key: key, Body: clock(a.Start, loc) + " – " + clock(a.End, loc)}
		if a.Location != "" {
			rem.Body += ", " + a.Location
		}
		if a.Start.After(now) {
			rem.Title = fmt.Sprintf("%s in %s", shorten(title(a), titleLen), minutes(a.Start.Sub(now)))
		} else {
			// Under way: we were asleep (or just started) when its reminder was due.
			rem.Title = fmt.Sprintf("%s started at %s", shorten(title(a), titleLen), clock(a.Start, loc))
		}
		out = append(out, rem)
	}
	return out
}

// Next returns when Due next has something to say: the earliest reminder time after now, or
// the zero time if none. The ui also checks every minute, since timers stop during sleep.
func (r *Reminders) Next(apps []calsync.Appointment, now time.Time, lead time.Duration) time.Time {
	var next time.Time
	if lead <= 0 {
		return next
	}
	for _, a := range apps {
		if !counts(a) || !a.End.After(now) {
			continue
		}
		if _, done := r.sent[occurrence(a)]; done {
			continue
		}
		at := a.Start.Add(-lead)
		if !at.After(now) {
			return now
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// occurrence names one occurrence: a recurring event's instances share nothing but may share
// an ID in some sources, and a moved meeting deserves a new reminder.
func occurrence(a calsync.Appointment) string {
	return a.ID + "@" + a.Start.UTC().Format(time.RFC3339)
}
