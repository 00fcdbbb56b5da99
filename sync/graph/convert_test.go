package graph

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/fakegraph"
)

// parseEvents parses a calendarView page the way List does.
func parseEvents(t testing.TB, body string) []calsync.Appointment {
	t.Helper()
	res, err := decodePage("test", 200, strings.NewReader(body), calendarViewPage, MaxPageSize, MaxEvents)
	if err != nil {
		t.Fatalf("decodePage: %v", err)
	}
	if len(res.skipped) > 0 {
		t.Fatalf("skipped: %+v", res.skipped)
	}
	return res.appts
}

func page(events ...string) string { return `{"value":[` + strings.Join(events, ",") + `]}` }

func TestToAppointmentFields(t *testing.T) {
	got := parseEvents(t, page(`{
		"id": "AAMkAGI2TG93AAA=", "subject": "Quarterly review 📈 — Überblick",
		"start": {"dateTime": "2026-11-27T09:00:00.0000000", "timeZone": "UTC"},
		"end": {"dateTime": "2026-11-27T10:30:00.0000000", "timeZone": "UTC"},
		"isAllDay": false, "isCancelled": false, "isOnlineMeeting": true, "showAs": "busy",
		"location": {"displayName": "Room 4.12"},
		"onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"},
		"bodyPreview": "Agenda attached",
		"webLink": "https://outlook.office365.com/owa/?itemid=AAMkAGI2TG93AAA%3D&exvsurl=1&path=/calendar/item",
		"organizer": {"emailAddress": {"name": "Adele Vance", "address": "adele@contoso.com"}},
		"responseStatus": {"response": "tentativelyAccepted", "time": "2026-11-20T08:00:00Z"},
		"@odata.etag": "W/\"abc\""
	}`))
	want := calsync.Appointment{
		ID: "AAMkAGI2TG93AAA=", Subject: "Quarterly review 📈 — Überblick",
		Start: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC),
		Location: "Room 4.12", JoinURL: "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
		WebLink:   "https://outlook.office365.com/owa/?itemid=AAMkAGI2TG93AAA%3D&exvsurl=1&path=/calendar/item",
		Organizer: "Adele Vance", Response: calsync.ResponseTentative, ShowAs: calsync.ShowAsBusy, OnlineMeeting: true,
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestResponseAndShowAsMapping(t *testing.T) {
	tests := []struct {
		response, showAs string
		want             calsync.Response
		wantShowAs       calsync.ShowAs
	}{
		{"none", "free", calsync.ResponseNone, calsync.ShowAsFree},
		{"notResponded", "tentative", calsync.ResponseNone, calsync.ShowAsTentative},
		{"tentativelyAccepted", "busy", calsync.ResponseTentative, calsync.ShowAsBusy},
		{"accepted", "oof", calsync.ResponseAccepted, calsync.ShowAsOOF},
		{"declined", "workingElsewhere", calsync.ResponseDeclined, calsync.ShowAsWorkingElsewhere},
		{"organizer", "unknown", calsync.ResponseOrganizer, calsync.ShowAsUnknown},
		{"somethingNew", "somethingNew", calsync.ResponseNone, calsync.ShowAsUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.response, func(t *testing.T) {
			got := parseEvents(t, page(`{"id":"x","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},
				"end":{"dateTime":"2026-11-27T09:30:00","timeZone":"UTC"},
				"responseStatus":{"response":"`+tt.response+`"},"showAs":"`+tt.showAs+`"}`))[0]
			if got.Response != tt.want || got.ShowAs != tt.wantShowAs {
				t.Errorf("got %s/%s, want %s/%s", got.Response, got.ShowAs, tt.want, tt.wantShowAs)
			}
		})
	}
}

func TestOrganizerFallsBackToAddress(t *testing.T) {
	got := parseEvents(t, page(`{"id":"x","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},
		"end":{"dateTime":"2026-11-27T09:30:00","timeZone":"UTC"},"organizer":{"emailAddress":{"address":"room42@contoso.com"}}}`))[0]
	if got.Organizer != "room42@contoso.com" || got.Response != calsync.ResponseNone || got.ShowAs != calsync.ShowAsUnknown {
		t.Errorf("got %+v", got)
	}
}

// normalisationCases are checked in every zone of TestNormalisationInZones: timed events keep
// their instant, all-day events keep their date.
var normalisationCases = []struct {
	name         string
	start, end   string // dateTimeTimeZone JSON
	allDay       bool
	wantStart    time.Time
	wantEnd      time.Time
	wantDayStart string // all-day: the local date of StartIn(time.Local)
	wantDays     int    // all-day: days covered
}{
	{name: "UTC as asked", start: `{"dateTime":"2026-11-27T09:00:00.0000000","timeZone":"UTC"}`, end: `{"dateTime":"2026-11-27T09:30:00.0000000","timeZone":"UTC"}`,
		wantStart: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)},
	{name: "Windows zone name", start: `{"dateTime":"2026-11-27T01:00:00.0000000","timeZone":"Pacific Standard Time"}`, end: `{"dateTime":"2026-11-27T02:00:00.0000000","timeZone":"Pacific Standard Time"}`,
		wantStart: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)},
	{name: "IANA zone across the spring DST change", start: `{"dateTime":"2026-03-29T01:30:00","timeZone":"Europe/Berlin"}`, end: `{"dateTime":"2026-03-29T03:30:00","timeZone":"Europe/Berlin"}`,
		wantStart: time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), wantEnd: time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
	{name: "crossing midnight in India", start: `{"dateTime":"2026-11-27T23:30:00","timeZone":"India Standard Time"}`, end: `{"dateTime":"2026-11-28T00:30:00","timeZone":"India Standard Time"}`,
		wantStart: time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 11, 27, 19, 0, 0, 0, time.UTC)},
	{name: "RFC 3339 offset wins", start: `{"dateTime":"2026-11-27T10:00:00+01:00","timeZone":"UTC"}`, end: `{"dateTime":"2026-11-27T11:00:00Z","timeZone":"UTC"}`,
		wantStart: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)},
	{name: "all-day", allDay: true, start: `{"dateTime":"2026-11-27T00:00:00.0000000","timeZone":"UTC"}`, end: `{"dateTime":"2026-11-28T00:00:00.0000000","timeZone":"UTC"}`,
		wantStart: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), wantDayStart: "2026-11-27", wantDays: 1},
	{name: "multi-day all-day in a Windows zone", allDay: true, start: `{"dateTime":"2026-12-24T00:00:00.0000000","timeZone":"New Zealand Standard Time"}`, end: `{"dateTime":"2026-12-27T00:00:00.0000000","timeZone":"New Zealand Standard Time"}`,
		wantStart: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC), wantDayStart: "2026-12-24", wantDays: 3},
	{name: "all-day over the autumn DST change", allDay: true, start: `{"dateTime":"2026-10-25T00:00:00","timeZone":"UTC"}`, end: `{"dateTime":"2026-10-26T00:00:00","timeZone":"UTC"}`,
		wantStart: time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), wantEnd: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), wantDayStart: "2026-10-25", wantDays: 1},
}

// checkNormalisation runs normalisationCases in the process's local zone.
func checkNormalisation(t *testing.T) {
	for _, tc := range normalisationCases {
		t.Run(tc.name, func(t *testing.T) {
			a := parseEvents(t, page(`{"id":"x","isAllDay":`+map[bool]string{true: "true", false: "false"}[tc.allDay]+
				`,"start":`+tc.start+`,"end":`+tc.end+`}`))[0]
			if !a.Start.Equal(tc.wantStart) || !a.End.Equal(tc.wantEnd) || a.Start.Location() != time.UTC {
				t.Fatalf("start/end = %v / %v, want %v / %v (UTC)", a.Start, a.End, tc.wantStart, tc.wantEnd)
			}
			local := a.StartIn(time.Local)
			if !tc.allDay {
				if !local.Equal(tc.wantStart) {
					t.Errorf("timed event moved: %v", local)
				}
				return
			}
			if got := local.Format("2006-01-02"); got != tc.wantDayStart || local.Hour() != 0 || local.Location() != time.Local {
				t.Errorf("all-day StartIn(Local) = %v, want local midnight of %s", local, tc.wantDayStart)
			}
			end := a.EndIn(time.Local)
			if y, m, d := end.Date(); time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)) != time.Duration(tc.wantDays)*24*time.Hour {
				t.Errorf("all-day spans %v to %v, want %d days", local, end, tc.wantDays)
			}
		})
	}
}

// zones are where caltray's users live: west and east of UTC, half-hour offsets, DST on both
// hemispheres.
var zones = []string{"America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Pacific/Auckland"}

// TestNormalisationInZones re-runs itself with TZ set to each zone, since time.Local is read
// once per process from TZ.
func TestNormalisationInZones(t *testing.T) {
	if tz := os.Getenv("CALTRAY_TEST_TZ"); tz != "" {
		if want, _ := time.LoadLocation(tz); time.Now().In(want).Format("-0700") != time.Now().Format("-0700") {
			t.Fatalf("TZ=%s did not take effect (local offset %s)", tz, time.Now().Format("-0700"))
		}
		checkNormalisation(t)
		return
	}
	for _, tz := range zones {
		t.Run(tz, func(t *testing.T) {
			t.Parallel() // each is a process of its own: on two cores, half the wall time
			cmd := exec.Command(os.Args[0], "-test.run=^TestNormalisationInZones$", "-test.v")
			cmd.Env = append(os.Environ(), "TZ="+tz, "CALTRAY_TEST_TZ="+tz)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestNormalisationInZones") {
				t.Fatalf("TZ=%s: %v\n%s", tz, err, out)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct{ name, event, want string }{
		{"no id", `{"start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`, "event has no id"},
		{"no start", `{"id":"e1","end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`, "event e1: start: missing"},
		{"no end dateTime", `{"id":"e1","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"timeZone":"UTC"}}`, "event e1: end: missing dateTime"},
		{"bad dateTime", `{"id":"e1","start":{"dateTime":"27/11/2026 09:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`, `dateTime "27/11/2026 09:00" is not of the form`},
		{"unknown zone", `{"id":"e1","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"Mars Standard Time"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`, `unknown time zone "Mars Standard Time"`},
		{"Local is not a zone", `{"id":"e1","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"Local"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`, `unknown time zone "Local"`},
		{"end before start", `{"id":"e1","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T08:00:00","timeZone":"UTC"}}`, "end 2026-11-27T08:00:00Z is before start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := decodePage("calendarView page 1", 200, strings.NewReader(page(tt.event)), calendarViewPage, 10, MaxEvents)
			if err != nil {
				t.Fatal(err)
			}
			// An unreadable event is skipped, not fatal, and the skip says why.
			if len(res.appts) != 0 || len(res.skipped) != 1 || !strings.Contains(res.skipped[0].Reason, tt.want) ||
				!strings.Contains(res.skipped[0].Reason, "value[0]") {
				t.Fatalf("got %+v, skipped %+v; want one skip naming value[0] and %q", res.appts, res.skipped, tt.want)
			}
		})
	}
}

// TestWindowsZonesMatchFake keeps this package's copy of the Windows zone table equal to the
// simulated Graph's, which stores events in those zones: every name resolves, to the same zone.
func TestWindowsZonesMatchFake(t *testing.T) {
	if len(windowsZones) != len(fakegraph.WindowsZones) {
		t.Errorf("%d Windows zones here, %d in fakegraph", len(windowsZones), len(fakegraph.WindowsZones))
	}
	for win, iana := range fakegraph.WindowsZones {
		for _, name := range []string{win, strings.ToUpper(win)} {
			loc, err := location(name)
			if err != nil {
				t.Errorf("location(%q): %v", name, err)
				continue
			}
			if want := iana; loc.String() != want && !(win == "UTC" && loc == time.UTC) {
				t.Errorf("location(%q) = %s, want %s", name, loc, want)
			}
		}
	}
}
