package fakegraph

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// The values of responseStatus.response, as Graph spells them.
const (
	ResponseNone         = "none"
	ResponseOrganizer    = "organizer"
	ResponseTentative    = "tentativelyAccepted"
	ResponseAccepted     = "accepted"
	ResponseDeclined     = "declined"
	ResponseNotResponded = "notResponded"
)

// The values of showAs.
const (
	ShowAsFree             = "free"
	ShowAsTentative        = "tentative"
	ShowAsBusy             = "busy"
	ShowAsOOF              = "oof"
	ShowAsWorkingElsewhere = "workingElsewhere"
	ShowAsUnknown          = "unknown"
)

// The values of type: calendarView returns single instances, occurrences of a series and
// exceptions (occurrences that were changed); never the series master itself.
const (
	TypeSingleInstance = "singleInstance"
	TypeOccurrence     = "occurrence"
	TypeException      = "exception"
)

// The values of onlineMeetingProvider.
const (
	ProviderUnknown          = "unknown"
	ProviderTeamsForBusiness = "teamsForBusiness"
	ProviderSkypeForBusiness = "skypeForBusiness"
	ProviderSkypeForConsumer = "skypeForConsumer"
)

// An Event is one stored calendar item, flat so tests can compare it field by field with what a
// client parsed. The server renders it in Graph's JSON shape.
//
// Timed events are instants: Start and End may be in any location; the server converts them
// into the zone the request prefers. All-day events are dates: only the calendar dates of Start
// and End (read in their own location) count, End is the day after the last day, and the server
// stores them as midnights in TimeZone.
type Event struct {
	ID       string
	Subject  string
	Start    time.Time
	End      time.Time
	TimeZone string // the zone the organizer created it in (originalStartTimeZone), e.g. "Pacific Standard Time"
	AllDay   bool

	Location        string // location.displayName
	JoinURL         string // onlineMeeting.joinUrl; empty renders "onlineMeeting": null
	IsOnlineMeeting bool
	Provider        string // onlineMeetingProvider; empty means "unknown"
	WebLink         string // empty: the server makes an Outlook on the web link from the ID
	BodyPreview     string

	OrganizerName    string
	OrganizerAddress string

	// ReminderMinutes is the event's reminder (reminderMinutesBeforeStart); nil means
	// Outlook's default, 15 minutes (18 hours for all-day events). NoReminder turns it off
	// (isReminderOn false); cancelled events never remind either.
	ReminderMinutes *int
	NoReminder      bool

	Response    string // responseStatus.response; empty means "none"
	ShowAs      string // empty means "busy"
	IsCancelled bool

	Type           string // empty means "singleInstance"
	SeriesMasterID string // set for occurrences and exceptions
}

// normalize fills defaults and checks e, so that what the server stores (and renders) is always
// a valid Graph event; all-day events become midnights of their dates in TimeZone.
func (e *Event) normalize() error {
	if e.ID == "" {
		return errors.New("event has no ID")
	}
	if e.TimeZone == "" {
		e.TimeZone = "UTC"
	}
	loc, err := LoadZone(e.TimeZone)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	if e.Start.IsZero() || e.End.IsZero() {
		return fmt.Errorf("event %s: start and end are required", e.ID)
	}
	if e.AllDay {
		y, m, d := e.Start.Date()
		e.Start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		y, m, d = e.End.Date()
		e.End = time.Date(y, m, d, 0, 0, 0, 0, loc)
		if !e.End.After(e.Start) {
			return fmt.Errorf("event %s: an all-day event ends on a later date than it starts (start %s, end %s; end is exclusive)",
				e.ID, e.Start.Format(time.DateOnly), e.End.Format(time.DateOnly))
		}
	} else if e.End.Before(e.Start) {
		return fmt.Errorf("event %s: end %s is before start %s", e.ID, e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
	}
	if e.Response == "" {
		e.Response = ResponseNone
	}
	if e.ShowAs == "" {
		e.ShowAs = ShowAsBusy
	}
	if e.Type == "" {
		e.Type = TypeSingleInstance
	}
	if e.Provider == "" {
		e.Provider = ProviderUnknown
	}
	if e.JoinURL != "" {
		e.IsOnlineMeeting = true
	}
	checks := []struct {
		field, value string
		allowed      []string
	}{
		{"Response", e.Response, []string{ResponseNone, ResponseOrganizer, ResponseTentative, ResponseAccepted, ResponseDeclined, ResponseNotResponded}},
		{"ShowAs", e.ShowAs, []string{ShowAsFree, ShowAsTentative, ShowAsBusy, ShowAsOOF, ShowAsWorkingElsewhere, ShowAsUnknown}},
		{"Type", e.Type, []string{TypeSingleInstance, TypeOccurrence, TypeException}},
		{"Provider", e.Provider, []string{ProviderUnknown, ProviderTeamsForBusiness, ProviderSkypeForBusiness, ProviderSkypeForConsumer}},
	}
	for _, c := range checks {
		if !slices.Contains(c.allowed, c.value) {
			return fmt.Errorf("event %s: %s %q is not one of %q", e.ID, c.field, c.value, c.allowed)
		}
	}
	if (e.Type == TypeSingleInstance) != (e.SeriesMasterID == "") {
		return fmt.Errorf("event %s: type %q and SeriesMasterID %q disagree: only occurrences and exceptions belong to a series",
			e.ID, e.Type, e.SeriesMasterID)
	}
	return nil
}

// overlaps reports whether e is in the calendar view [from, to): Graph's rule is that an event
// is in the view when it ends after the start and starts before the end. A zero-length event
// at the very start of the window counts.
func (e *Event) overlaps(from, to time.Time) bool {
	if e.Start.Equal(e.End) {
		return !e.Start.Before(from) && e.Start.Before(to)
	}
	return e.Start.Before(to) && e.End.After(from)
}
