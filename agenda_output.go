package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	calsync "caltray/sync"
	"caltray/sync/inert"
)

// agendaOutput is the JSON object `caltray agenda --json` prints; its shape is a contract.
type agendaOutput struct {
	GeneratedAt time.Time      `json:"generated_at"`
	Health      calsync.Health `json:"health"`
	Events      []agendaEvent  `json:"events"`
}

// agendaEvent is one appointment in agendaOutput. Start and End are RFC 3339 with the viewer's offset;
// all-day events carry their dates at local midnight.
type agendaEvent struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	Start     string `json:"start"`
	End       string `json:"end"`
	AllDay    bool   `json:"all_day"`
	Location  string `json:"location"`
	JoinURL   string `json:"join_url"`
	WebLink   string `json:"web_link"`
	Organizer string `json:"organizer"`
	Response  string `json:"response"`
	ShowAs    string `json:"show_as"`
	Cancelled bool   `json:"cancelled"`
	// ReminderMinutes is the meeting's own Outlook reminder; null (never left out) when it
	// has none.
	ReminderMinutes *int `json:"reminder_minutes"`
}

// newAgendaOutput builds the JSON object for a snapshot, read in loc, generated at now.
func newAgendaOutput(s calsync.Snapshot, now time.Time, loc *time.Location) agendaOutput {
	h := s.Health // the loop's one health: staleness and last_success (the cache's if need be) included
	out := agendaOutput{GeneratedAt: now.UTC().Truncate(time.Second), Health: h, Events: make([]agendaEvent, 0, len(s.Appointments))}
	for _, a := range s.Appointments {
		var reminder *int
		if a.Reminder.On {
			reminder = &a.Reminder.Minutes
		}
		out.Events = append(out.Events, agendaEvent{
			ID:        a.ID,
			Subject:   a.Subject,
			Start:     a.StartIn(loc).Format(time.RFC3339),
			End:       a.EndIn(loc).Format(time.RFC3339),
			AllDay:    a.AllDay,
			Location:  a.Location,
			JoinURL:   a.JoinURL,
			WebLink:   a.WebLink,
			Organizer: a.Organizer,
			Response:  string(a.Response),
			ShowAs:    string(a.ShowAs),
			Cancelled: a.Cancelled,

			ReminderMinutes: reminder,
		})
	}
	return out
}

// writeJSON writes o as indented JSON and a newline.
func writeJSON(w io.Writer, o agendaOutput) error {
	return encodeJSON(w, o, "  ")
}

// writeJSONLine writes o as one line of JSON, for a stream of agendas (agenda --serve --json).
func writeJSONLine(w io.Writer, o agendaOutput) error {
	return encodeJSON(w, o, "")
}

// encodeJSON writes v as JSON that is safe to print to a terminal: join links keep their & and
// < as they are, and the characters encoding/json writes raw but a terminal may act on (C1
// controls, bidi overrides) are \u escapes, so the values are unchanged for programs.
func encodeJSON(w io.Writer, v any, indent string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(inert.EscapeJSON(buf.Bytes()))
	return err
}

// writeTable writes the agenda for people: one line per event, grouped by day, and a warning
// first when the agenda is stale.
func writeTable(w io.Writer, s calsync.Snapshot, loc *time.Location) error {
	var b strings.Builder
	if s.Health.Stale {
		when := "never"
		if !s.LastSync.IsZero() {
			when = s.LastSync.In(loc).Format("Mon 2 Jan 15:04")
		}
		fmt.Fprintf(&b, "STALE: this agenda may be out of date (last good sync: %s)", when)
		if n := len(s.Recent); n > 0 && s.Recent[n-1].Err != "" {
			fmt.Fprintf(&b, "\n       last sync failed: %s", inert.Line(s.Recent[n-1].Err))
		}
		b.WriteString("\n\n")
	}
	if len(s.Appointments) == 0 {
		fmt.Fprintf(&b, "No meetings from %s to %s.\n", s.From.In(loc).Format("Mon 2 Jan"), s.To.In(loc).Add(-time.Nanosecond).Format("Mon 2 Jan"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	day := ""
	for _, a := range s.Appointments {
		start, end := a.StartIn(loc), a.EndIn(loc)
		if d := start.Format("Monday 2 January 2006"); d != day {
			if day != "" {
				fmt.Fprintln(tw)
			}
			fmt.Fprintln(tw, d)
			day = d
		}
		when := start.Format("15:04") + "–" + end.Format("15:04")
		if a.AllDay {
			when = "all day"
			// Round: a day across a DST change has 23 or 25 hours.
			if days := int(math.Round(end.Sub(start).Hours() / 24)); days > 1 {
				when = fmt.Sprintf("all day (%d days)", days)
			}
		}
		var notes []string
		if a.Cancelled {
			notes = append(notes, "CANCELLED")
		}
		switch a.Response {
		case calsync.ResponseDeclined:
			notes = append(notes, "declined")
		case calsync.ResponseTentative:
			notes = append(notes, "tentative")
		case calsync.ResponseNone:
			notes = append(notes, "not answered")
		}
		if a.JoinURL != "" {
			notes = append(notes, "join: "+inert.Line(a.JoinURL))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", when, inert.Line(a.Subject), inert.Line(a.Location), strings.Join(notes, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
