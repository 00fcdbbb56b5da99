package graph

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // zone names from Graph must resolve on machines without a zoneinfo database (Windows)
	"unicode/utf8"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	calsync "caltray/sync"
	"caltray/sync/inert"
)

// selectFields are the event properties the appointment model needs, and nothing more: Graph
// returns every property unless asked, which would multiply the bytes of each sync.
var selectFields = []string{
	"id", "subject", "start", "end", "isAllDay", "location", "onlineMeeting", "bodyPreview",
	"webLink", "organizer", "responseStatus", "showAs", "isCancelled", "isOnlineMeeting",
	"isReminderOn", "reminderMinutesBeforeStart",
}

// Storable times: an appointment's instants must stay writable as RFC 3339 (years 0 to 9999)
// in every viewer's zone, UTC-12 to UTC+14, and after an all-day event is re-read as local
// dates. Instants within [minTime, maxTime] are, with a day to spare at either end.
var (
	minTime = time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// toAppointment converts one Graph event. It fails, naming the field, when the event lacks
// an id or a readable start or end, or has times caltray cannot store.
//
// Anyone who can send the user an invitation writes its subject, location and organizer, so
// this is where Graph's event text enters caltray and where it is made inert (package inert):
// one-line fields with inert.Line. Everything downstream (cache, terminal, tray, notifications,
// logs) then holds inert text and need not clean it again.
func toAppointment(ev models.Eventable) (calsync.Appointment, error) {
	var a calsync.Appointment
	if ev == nil {
		return a, fmt.Errorf("event is null")
	}
	a.ID = inert.Line(deref(ev.GetId()))
	if a.ID == "" {
		return a, fmt.Errorf("event has no id")
	}
	a.AllDay = derefBool(ev.GetIsAllDay())
	var err error
	if a.Start, err = eventTime(ev.GetStart(), a.AllDay); err != nil {
		return a, fmt.Errorf("event %s: start: %w", a.ID, err)
	}
	if a.End, err = eventTime(ev.GetEnd(), a.AllDay); err != nil {
		return a, fmt.Errorf("event %s: end: %w", a.ID, err)
	}
	if a.End.Before(a.Start) {
		return a, fmt.Errorf("event %s: end %s is before start %s", a.ID, a.End.Format(time.RFC3339), a.Start.Format(time.RFC3339))
	}
	if a.AllDay && a.End.Equal(a.Start) {
		a.End = a.Start.AddDate(0, 0, 1) // an all-day event covers at least its own day
	}
	// Dropped rather than clamped: a clamped time would show a meeting at a time it does not
	// have. The caller counts and logs it by id.
	if a.Start.Before(minTime) || a.End.After(maxTime) {
		return a, fmt.Errorf("event %s: runs from %s to %s, outside the years 0001 to 9998 caltray can store", a.ID,
			a.Start.Format(time.RFC3339), a.End.Format(time.RFC3339))
	}
	a.Subject = inert.Line(deref(ev.GetSubject()))
	var location string
	if loc := ev.GetLocation(); loc != nil {
		location = inert.Line(deref(loc.GetDisplayName()))
	}
	a.Location = location
	var meetingJoin string
	if om := ev.GetOnlineMeeting(); om != nil {
		meetingJoin = deref(om.GetJoinUrl())
	}
	a.JoinURL = inert.Line(joinURL(meetingJoin, location, deref(ev.GetBodyPreview())))
	a.OnlineMeeting = derefBool(ev.GetIsOnlineMeeting()) || meetingJoin != ""
	a.WebLink = inert.Line(deref(ev.GetWebLink()))
	if org := ev.GetOrganizer(); org != nil {
		if addr := org.GetEmailAddress(); addr != nil {
			a.Organizer = inert.Line(deref(addr.GetName()))
			if a.Organizer == "" {
				a.Organizer = inert.Line(deref(addr.GetAddress()))
			}
		}
	}
	a.Response = calsync.ResponseNone
	if rs := ev.GetResponseStatus(); rs != nil && rs.GetResponse() != nil {
		a.Response = response(*rs.GetResponse())
	}
	a.ShowAs = calsync.ShowAsUnknown
	if sa := ev.GetShowAs(); sa != nil {
		a.ShowAs = calsync.ShowAs(sa.String()) // Graph's names are the model's names
	}
	a.Cancelled = derefBool(ev.GetIsCancelled())
	a.Reminder = reminder(ev.GetIsReminderOn(), ev.GetReminderMinutesBeforeStart())
	return a, nil
}

// reminder reads an event's own reminder: none when it is off or Graph did not say, else the
// minutes before the start. A negative or absurd count (no Outlook writes one) is clamped
// into [0, calsync.MaxReminderMinutes] rather than dropping the event or the reminder.
func reminder(on *bool, minutes *int32) calsync.Reminder {
	if on == nil || !*on {
		return calsync.Reminder{}
	}
	m := 15 // Outlook's default, should the count be missing
	if minutes != nil {
		m = int(max(0, min(*minutes, calsync.MaxReminderMinutes)))
	}
	return calsync.RemindBefore(m)
}

// response folds Graph's six answers into the model's five.
func response(r models.ResponseType) calsync.Response {
	switch r {
	case models.ORGANIZER_RESPONSETYPE:
		return calsync.ResponseOrganizer
	case models.ACCEPTED_RESPONSETYPE:
		return calsync.ResponseAccepted
	case models.TENTATIVELYACCEPTED_RESPONSETYPE:
		return calsync.ResponseTentative
	case models.DECLINED_RESPONSETYPE:
		return calsync.ResponseDeclined
	}
	return calsync.ResponseNone // none and notResponded
}

// eventTime reads a Graph dateTimeTimeZone. Timed events become UTC instants. All-day events
// become midnight UTC of the date written in the payload: they are dates, not instants, and
// Graph writes them as midnight whatever zone it was asked for.
func eventTime(dt models.DateTimeTimeZoneable, allDay bool) (time.Time, error) {
	if dt == nil {
		return time.Time{}, fmt.Errorf("missing")
	}
	raw := strings.TrimSpace(deref(dt.GetDateTime()))
	if raw == "" {
		return time.Time{}, fmt.Errorf("missing dateTime")
	}
	zone := strings.TrimSpace(deref(dt.GetTimeZone()))
	loc, err := location(zone)
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseDateTime(raw, loc)
	if err != nil {
		return time.Time{}, err
	}
	if allDay {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	return t.UTC(), nil
}

// parseDateTime accepts Graph's "2026-11-27T09:00:00.0000000" (a wall time in loc) and, to be
// lenient, RFC 3339 with an offset or "Z" (which then wins over loc).
func parseDateTime(raw string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", raw, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", raw, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("dateTime %q is not of the form 2006-01-02T15:04:05.0000000", clip(raw, 40))
}

// location resolves a Graph time zone name: "UTC" (what we ask for), an IANA name, or one of
// the Windows names Exchange stores events in.
func location(name string) (*time.Location, error) {
	if name == "UTC" { // what every event says when Graph honours our Prefer header
		return time.UTC, nil
	}
	lower := strings.ToLower(name)
	switch lower {
	case "", "utc", "etc/utc", "z", "gmt", "coordinated universal time", "tzone://microsoft/utc":
		return time.UTC, nil
	}
	if iana, ok := windowsZones[lower]; ok {
		name = iana
	}
	if strings.EqualFold(name, "local") {
		// time.LoadLocation("Local") is this machine's zone, never what the server meant.
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", clip(name, 60))
	}
	return loc, nil
}

// windowsZones maps Windows time zone names (lower case) to IANA names, after CLDR's
// windowsZones.xml (territory 001): the zones Exchange stores events in, should Graph ever not
// convert them to the UTC we ask for. It is fakegraph.WindowsZones in lower case (this package
// may not import the fake; TestWindowsZonesMatchFake keeps the two equal).
var windowsZones = map[string]string{
	"dateline standard time":          "Etc/GMT+12",
	"utc-11":                          "Etc/GMT+11",
	"aleutian standard time":          "America/Adak",
	"hawaiian standard time":          "Pacific/Honolulu",
	"alaskan standard time":           "America/Anchorage",
	"pacific standard time (mexico)":  "America/Tijuana",
	"pacific standard time":           "America/Los_Angeles",
	"us mountain standard time":       "America/Phoenix",
	"mountain standard time":          "America/Denver",
	"central america standard time":   "America/Guatemala",
	"central standard time":           "America/Chicago",
	"central standard time (mexico)":  "America/Mexico_City",
	"canada central standard time":    "America/Regina",
	"sa pacific standard time":        "America/Bogota",
	"eastern standard time":           "America/New_York",
	"eastern standard time (mexico)":  "America/Cancun",
	"us eastern standard time":        "America/Indiana/Indianapolis",
	"atlantic standard time":          "America/Halifax",
	"venezuela standard time":         "America/Caracas",
	"pacific sa standard time":        "America/Santiago",
	"newfoundland standard time":      "America/St_Johns",
	"e. south america standard time":  "America/Sao_Paulo",
	"argentina standard time":         "America/Argentina/Buenos_Aires",
	"utc-02":                          "Etc/GMT+2",
	"azores standard time":            "Atlantic/Azores",
	"cape verde standard time":        "Atlantic/Cape_Verde",
	"utc":                             "Etc/UTC",
	"gmt standard time":               "Europe/London",
	"greenwich standard time":         "Atlantic/Reykjavik",
	"w. europe standard time":         "Europe/Berlin",
	"central europe standard time":    "Europe/Budapest",
	"romance standard time":           "Europe/Paris",
	"central european standard time":  "Europe/Warsaw",
	"w. central africa standard time": "Africa/Lagos",
	"gtb standard time":               "Europe/Bucharest",
	"middle east standard time":       "Asia/Beirut",
	"egypt standard time":             "Africa/Cairo",
	"e. europe standard time":         "Europe/Chisinau",
	"south africa standard time":      "Africa/Johannesburg",
	"fle standard time":               "Europe/Kyiv",
	"israel standard time":            "Asia/Jerusalem",
	"turkey standard time":            "Europe/Istanbul",
	"arab standard time":              "Asia/Riyadh",
	"russian standard time":           "Europe/Moscow",
	"e. africa standard time":         "Africa/Nairobi",
	"iran standard time":              "Asia/Tehran",
	"arabian standard time":           "Asia/Dubai",
	"afghanistan standard time":       "Asia/Kabul",
	"pakistan standard time":          "Asia/Karachi",
	"india standard time":             "Asia/Kolkata",
	"sri lanka standard time":         "Asia/Colombo",
	"nepal standard time":             "Asia/Kathmandu",
	"bangladesh standard time":        "Asia/Dhaka",
	"myanmar standard time":           "Asia/Yangon",
	"se asia standard time":           "Asia/Bangkok",
	"china standard time":             "Asia/Shanghai",
	"singapore standard time":         "Asia/Singapore",
	"taipei standard time":            "Asia/Taipei",
	"w. australia standard time":      "Australia/Perth",
	"tokyo standard time":             "Asia/Tokyo",
	"korea standard time":             "Asia/Seoul",
	"cen. australia standard time":    "Australia/Adelaide",
	"aus central standard time":       "Australia/Darwin",
	"e. australia standard time":      "Australia/Brisbane",
	"aus eastern standard time":       "Australia/Sydney",
	"west pacific standard time":      "Pacific/Port_Moresby",
	"tasmania standard time":          "Australia/Hobart",
	"new zealand standard time":       "Pacific/Auckland",
	"fiji standard time":              "Pacific/Fiji",
	"tonga standard time":             "Pacific/Tongatapu",
	"samoa standard time":             "Pacific/Apia",
	"line islands standard time":      "Pacific/Kiritimati",
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
