package fakegraph

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// TestCalendar checks that the generated calendar has every case the brief asks for, for
// several "now"s (including ones right before European and US DST changes) and seeds.
func TestCalendar(t *testing.T) {
	nows := []time.Time{
		refNow,
		time.Date(2026, 3, 20, 7, 0, 0, 0, time.UTC),    // a week before the EU spring change, US already changed
		time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), // the night before the EU autumn change
		time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),     // a holiday, a Friday
	}
	cases := []struct {
		name string
		is   func(e Event) bool
	}{
		{"stand-up occurrence", func(e Event) bool {
			return e.Type == TypeOccurrence && e.SeriesMasterID != "" && e.Subject == "Daily stand-up"
		}},
		{"moved occurrence (exception)", func(e Event) bool { return e.Type == TypeException && e.SeriesMasterID != "" }},
		{"cancelled occurrence", func(e Event) bool { return e.IsCancelled && e.Type == TypeOccurrence }},
		{"cancelled single", func(e Event) bool { return e.IsCancelled && e.Type == TypeSingleInstance }},
		{"weekly 1:1", func(e Event) bool { return strings.HasPrefix(e.Subject, "1:1") && e.Type == TypeOccurrence }},
		{"all-day, one day", func(e Event) bool { return e.AllDay && e.End.Sub(e.Start) <= 25*time.Hour }},
		{"all-day, several days", func(e Event) bool { return e.AllDay && e.End.Sub(e.Start) > 48*time.Hour }},
		{"all-day in a far zone", func(e Event) bool { return e.AllDay && e.TimeZone == "New Zealand Standard Time" }},
		{"declined", func(e Event) bool { return e.Response == ResponseDeclined }},
		{"tentative", func(e Event) bool { return e.Response == ResponseTentative && e.ShowAs == ShowAsTentative }},
		{"not responded", func(e Event) bool { return e.Response == ResponseNotResponded }},
		{"organizer", func(e Event) bool { return e.Response == ResponseOrganizer && e.OrganizerName == defaultUserName }},
		{"crosses midnight", func(e Event) bool {
			loc := mustZone(e.TimeZone)
			return !e.AllDay && e.Start.In(loc).Day() != e.End.In(loc).Day()
		}},
		{"crosses a DST change", func(e Event) bool {
			loc := mustZone(e.TimeZone)
			_, a := e.Start.In(loc).Zone()
			_, b := e.End.In(loc).Zone()
			return !e.AllDay && a != b
		}},
		{"stored in Pacific time", func(e Event) bool { return e.TimeZone == "Pacific Standard Time" && !e.AllDay }},
		{"stored in India time", func(e Event) bool { return e.TimeZone == "India Standard Time" }},
		{"stored in New Zealand time", func(e Event) bool { return e.TimeZone == "New Zealand Standard Time" && !e.AllDay }},
		{"Cyrillic subject", func(e Event) bool { return hasScript(e.Subject, unicode.Cyrillic) }},
		{"Japanese subject", func(e Event) bool { return hasScript(e.Subject, unicode.Han) }},
		{"Arabic subject", func(e Event) bool { return hasScript(e.Subject, unicode.Arabic) }},
		{"Devanagari subject", func(e Event) bool { return hasScript(e.Subject, unicode.Devanagari) }},
		{"emoji subject", func(e Event) bool { return strings.ContainsAny(e.Subject, "🚀🎂🎨🗓🛠🌏") }},
		{"Teams in onlineMeeting", func(e Event) bool {
			return strings.HasPrefix(e.JoinURL, "https://teams.microsoft.com/l/meetup-join/") && e.IsOnlineMeeting && e.Provider == ProviderTeamsForBusiness
		}},
		{"Meet only in the location", func(e Event) bool { return e.JoinURL == "" && strings.Contains(e.Location, "meet.google.com") }},
		{"Zoom only in the body", func(e Event) bool { return e.JoinURL == "" && strings.Contains(e.BodyPreview, "zoom.us/j/") }},
		{"Webex only in the body", func(e Event) bool { return e.JoinURL == "" && strings.Contains(e.BodyPreview, "webex.com") }},
		{"Safe Links-wrapped Teams link", func(e Event) bool {
			return e.JoinURL == "" && strings.Contains(e.BodyPreview, "safelinks.protection.outlook.com/?url=https%3A%2F%2Fteams.microsoft.com")
		}},
		{"dial-in and learn-more before the meeting link", func(e Event) bool {
			b := e.BodyPreview
			dial, more, join := strings.Index(b, "+1 323"), strings.Index(b, "aka.ms/JoinTeamsMeeting"), strings.Index(b, "teams.microsoft.com/meet/")
			return e.JoinURL == "" && dial >= 0 && more > dial && join > more
		}},
		{"in person, no link", func(e Event) bool {
			return e.JoinURL == "" && e.BodyPreview == "" && strings.HasPrefix(e.Location, "Conf Room")
		}},
	}
	for _, now := range nows {
		for _, seed := range []int64{1, 2, 99} {
			evs := Calendar(now, seed)
			if !reflect.DeepEqual(evs, Calendar(now, seed)) {
				t.Fatalf("now %s seed %d: two runs differ", now, seed)
			}
			// Every event is valid, unique, and within Graph's limits.
			ids := map[string]bool{}
			for _, e := range evs {
				cp := e
				if err := cp.normalize(); err != nil || !reflect.DeepEqual(cp, e) {
					t.Fatalf("event %+v is not normalized: %v", e, err)
				}
				if ids[e.ID] {
					t.Fatalf("ID %s twice", e.ID)
				}
				ids[e.ID] = true
				if n := utf8.RuneCountInString(e.BodyPreview); n > 255 {
					t.Errorf("%q: bodyPreview of %d characters; Graph's are at most 255", e.Subject, n)
				}
			}
			for _, c := range cases {
				found := false
				for _, e := range evs {
					found = found || c.is(e)
				}
				if !found {
					t.Errorf("now %s seed %d: no event is %s", now.Format(time.RFC3339), seed, c.name)
				}
			}
			// Overlapping meetings exist.
			overlap := false
			for i, a := range evs {
				for _, b := range evs[i+1:] {
					overlap = overlap || (!a.AllDay && !b.AllDay && a.Start.Before(b.End) && b.Start.Before(a.End) && !a.Start.Equal(b.Start))
				}
			}
			if !overlap {
				t.Errorf("now %s seed %d: no overlapping meetings", now, seed)
			}
			// The next meeting is soon after now (the demo reminds about it).
			soon := false
			for _, e := range evs {
				soon = soon || (e.Start.After(now) && e.Start.Sub(now) <= 45*time.Minute)
			}
			if !soon {
				t.Errorf("now %s seed %d: no meeting within 45 minutes", now, seed)
			}
		}
	}
	if reflect.DeepEqual(Calendar(refNow, 1), Calendar(refNow, 2)) {
		t.Error("seeds 1 and 2 gave the same calendar")
	}
}

func hasScript(s string, table *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(table, r) {
			return true
		}
	}
	return false
}

func TestSpread(t *testing.T) {
	from := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	to := from.Add(7 * 24 * time.Hour)
	for _, n := range []int{0, 1, 1000, 5000} {
		evs := Spread(n, from, to)
		if len(evs) != n {
			t.Fatalf("Spread(%d) made %d", n, len(evs))
		}
		ids := map[string]bool{}
		zones := map[string]bool{}
		for _, e := range evs {
			if e.Start.Before(from) || !e.Start.Before(to) || ids[e.ID] {
				t.Fatalf("event %+v outside the window or duplicated", e)
			}
			ids[e.ID] = true
			zones[e.TimeZone] = true
		}
		if n >= 5 && len(zones) < 5 {
			t.Errorf("Spread(%d) uses %d zones", n, len(zones))
		}
	}
}

func TestMutations(t *testing.T) {
	s := startServer(t, Options{})
	occ := ""
	for _, e := range s.Events() {
		if e.Type == TypeOccurrence {
			occ = e.ID
			break
		}
	}
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"add with unknown zone", func() error {
			_, err := s.Add(Event{Start: refNow, End: refNow, TimeZone: "Mars Standard Time"})
			return err
		}, "Mars Standard Time"},
		{"add ending before start", func() error {
			_, err := s.Add(Event{Start: refNow, End: refNow.Add(-time.Minute)})
			return err
		}, "is before start"},
		{"add all-day ending on its start date", func() error {
			_, err := s.Add(Event{AllDay: true, Start: refNow, End: refNow.Add(time.Hour)})
			return err
		}, "later date"},
		{"add with a bad response", func() error {
			_, err := s.Add(Event{Start: refNow, End: refNow, Response: "maybe"})
			return err
		}, `Response "maybe"`},
		{"add without times", func() error { _, err := s.Add(Event{Subject: "x"}); return err }, "start and end are required"},
		{"add occurrence without series", func() error {
			_, err := s.Add(Event{Start: refNow, End: refNow, Type: TypeOccurrence})
			return err
		}, "SeriesMasterID"},
		{"add duplicate", func() error { _, err := s.Add(Event{ID: occ, Start: refNow, End: refNow}); return err }, "already exists"},
		{"update unknown", func() error { _, err := s.Update("nope", func(*Event) {}); return err }, `no event with ID "nope"`},
		{"update changing the ID", func() error { _, err := s.Update(occ, func(e *Event) { e.ID = "other" }); return err }, "cannot change"},
		{"update to invalid", func() error { _, err := s.Update(occ, func(e *Event) { e.ShowAs = "away" }); return err }, `ShowAs "away"`},
		{"remove unknown", func() error { return s.Remove("nope") }, `no event with ID "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	before := len(s.Events())
	added, err := s.Add(Event{Subject: "all day", AllDay: true, TimeZone: "India Standard Time",
		Start: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	ist := mustZone("India Standard Time")
	if added.ID == "" || !added.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, ist)) || !added.End.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, ist)) ||
		added.Response != ResponseNone || added.ShowAs != ShowAsBusy || added.Type != TypeSingleInstance {
		t.Errorf("added %+v", added)
	}
	if got, ok := s.Event(added.ID); !ok || !reflect.DeepEqual(got, added) {
		t.Errorf("Event(%s) = %+v, %v", added.ID, got, ok)
	}
	upd, err := s.Update(occ, func(e *Event) { e.Subject = "moved" })
	if err != nil || upd.Type != TypeException || upd.Subject != "moved" {
		t.Errorf("updated occurrence: %+v, %v; want an exception", upd, err)
	}
	if err := s.Remove(added.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Event(added.ID); ok || len(s.Events()) != before {
		t.Error("Remove left the event")
	}
}

// The demo shows a real reminder as soon as it has synced: one meeting ahead, with a Teams join
// link, has its reminder in the minute up to now, whatever the time of day.
func TestCalendarReminderDueAtStart(t *testing.T) {
	nows := []time.Time{
		refNow,
		refNow.Add(14*time.Minute + 59*time.Second + 999*time.Millisecond), // just before a quarter-hour
		refNow.Add(15 * time.Minute),                                       // on one
		time.Date(2026, 3, 29, 0, 52, 17, 0, time.UTC),                     // the EU spring change night
	}
	for _, now := range nows {
		t.Run(now.Format(time.RFC3339Nano), func(t *testing.T) {
			var found []string
			for _, e := range Calendar(now, 1) {
				if e.IsCancelled || e.NoReminder || e.ReminderMinutes == nil || !e.Start.After(now) {
					continue
				}
				at := e.Start.Add(-time.Duration(*e.ReminderMinutes) * time.Minute)
				if !at.After(now) && at.After(now.Add(-time.Minute)) && strings.HasPrefix(e.JoinURL, "https://teams.microsoft.com/") {
					found = append(found, e.Subject)
				}
			}
			if len(found) != 1 {
				t.Errorf("meetings with a Teams link whose reminder fell in the last minute: %q, want one", found)
			}
		})
	}
}
