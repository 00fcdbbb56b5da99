// Package sync keeps caltray's picture of the user's calendar: the appointment model, the
// Source interface that fetches it, the sync loop that owns it, and its cache on disk.
//
// The name shadows the standard library package; importers name it calsync.
package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Response is the signed-in user's answer to a meeting invitation.
type Response string

// The responses Graph reports, folded to the five caltray shows.
const (
	ResponseNone      Response = "none"
	ResponseAccepted  Response = "accepted"
	ResponseTentative Response = "tentative"
	ResponseDeclined  Response = "declined"
	ResponseOrganizer Response = "organizer"
)

// ShowAs is how the event shows in the user's free/busy.
type ShowAs string

// The show-as values Graph reports.
const (
	ShowAsFree             ShowAs = "free"
	ShowAsTentative        ShowAs = "tentative"
	ShowAsBusy             ShowAs = "busy"
	ShowAsOOF              ShowAs = "oof"
	ShowAsWorkingElsewhere ShowAs = "workingElsewhere"
	ShowAsUnknown          ShowAs = "unknown"
)

// An Appointment is one occurrence of a calendar event.
//
// Timed events hold their instants in UTC. All-day events are dates, not instants: Start and
// End are midnight UTC of the first day and of the day after the last, and are re-read as dates
// in the viewer's zone (see StartIn), so an all-day event stays on its calendar day everywhere.
type Appointment struct {
	ID            string    `json:"id"`
	Subject       string    `json:"subject"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	AllDay        bool      `json:"all_day"`
	Location      string    `json:"location,omitempty"`
	JoinURL       string    `json:"join_url,omitempty"`
	WebLink       string    `json:"web_link,omitempty"`
	Organizer     string    `json:"organizer,omitempty"`
	Response      Response  `json:"response"`
	ShowAs        ShowAs    `json:"show_as"`
	Cancelled     bool      `json:"cancelled,omitempty"`
	OnlineMeeting bool      `json:"online_meeting,omitempty"`
	// Reminder is the meeting's own reminder as set in Outlook (isReminderOn and
	// reminderMinutesBeforeStart); in JSON the minutes, or null when it has none.
	Reminder Reminder `json:"reminder_minutes"`
}

// A Reminder is a meeting's own reminder: whether it has one, and how many minutes before the
// start. A value, not a pointer, so Appointments stay comparable with ==.
type Reminder struct {
	On      bool
	Minutes int // 0 to MaxReminderMinutes; 0 reminds at the start
}

// RemindBefore returns a reminder of m minutes before the start.
func RemindBefore(m int) Reminder { return Reminder{On: true, Minutes: m} }

// MarshalJSON writes the minutes, or null when there is no reminder.
func (r Reminder) MarshalJSON() ([]byte, error) {
	if !r.On {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(r.Minutes), 10), nil
}

// UnmarshalJSON reads the minutes, or null for no reminder. Minutes outside 0 to
// MaxReminderMinutes are an error: no source writes them (the cache refuses such a file).
func (r *Reminder) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*r = Reminder{}
		return nil
	}
	var m int
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("reminder_minutes: %w", err)
	}
	if m < 0 || m > MaxReminderMinutes {
		return fmt.Errorf("reminder_minutes is %d; it must be between 0 and %d", m, MaxReminderMinutes)
	}
	*r = RemindBefore(m)
	return nil
}

// MaxReminderMinutes is the longest reminder an appointment may carry: four weeks, the
// longest Outlook offers. Sources clamp to it; JSON beyond it is refused.
const MaxReminderMinutes = 4 * 7 * 24 * 60

// StartIn returns the start as seen in loc: the same instant for timed events, local midnight
// of the event's date for all-day events.
func (a Appointment) StartIn(loc *time.Location) time.Time { return a.in(a.Start, loc) }

// EndIn is StartIn for the end (exclusive: the local midnight after the last day of an all-day event).
func (a Appointment) EndIn(loc *time.Location) time.Time { return a.in(a.End, loc) }

func (a Appointment) in(t time.Time, loc *time.Location) time.Time {
	if !a.AllDay {
		return t.In(loc)
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// A Source fetches appointments. The Graph source is the real one; tests use others.
type Source interface {
	// List returns every appointment overlapping [from, to), sorted by start.
	List(ctx context.Context, from, to time.Time) ([]Appointment, error)
}

// SyncKind says how a Sync reached its result.
type SyncKind string

// The kinds of sync a DeltaSource runs.
const (
	SyncFull  SyncKind = "full"  // every appointment in the window was read
	SyncDelta SyncKind = "delta" // only the changes since the previous delta link were read
)

// A Delta is the state of an incremental sync: the appointments in a window and the link that
// resumes from them. The sync loop keeps it (and caches it); the source itself holds no state.
type Delta struct {
	From         time.Time     `json:"from"`
	To           time.Time     `json:"to"`
	Link         string        `json:"link,omitempty"` // Graph's @odata.deltaLink; empty before the first sync
	Appointments []Appointment `json:"appointments"`
	Kind         SyncKind      `json:"-"` // what the Sync that produced it did
	Bytes        int64         `json:"-"` // response bytes that Sync read
	// Skipped are the events this Sync read but could not use (no id, end before start, a time
	// caltray cannot store, the wrong shape): left out, so that one bad event never costs the
	// rest. Only this Sync's pages count: an incremental round sees only what changed.
	Skipped []Skip `json:"-"`
}

// A Skip is an event a source left out of a sync because it could not read it. Both fields are
// inert (see package inert) and never hold the event's own text, so they may be logged.
type Skip struct {
	ID     string // the event's id; empty if it had none
	Reason string // what was wrong, e.g. "end 2026-11-27T08:00:00Z is before start …"
}

// A DeltaSource can sync incrementally.
type DeltaSource interface {
	Source
	// Sync brings prev up to date for [from, to). It runs a full sync when prev has no link,
	// covers another window, or the server no longer knows the link.
	Sync(ctx context.Context, from, to time.Time, prev Delta) (Delta, error)
}
