package model

import (
	"time"

	calsync "caltray/sync"
)

// A Day is one heading of the agenda and its meetings.
type Day struct {
	Title string // "Today", "Tomorrow", "Monday 30 November"
	Date  time.Time
	Rows  []Row
}

// A Row is one meeting in the agenda.
type Row struct {
	ID       string
	Time     string // "09:00 – 09:30" or "All day"
	Title    string
	Location string
	Badge    string // "Tentative", "Declined", "Cancelled", or empty
	JoinURL  string
	WebLink  string
	Past     bool // ended before now
	Now      bool // under way
}

// Agenda groups a snapshot's appointments by day in loc. Timed meetings sit on the day they
// start (in loc: a meeting at 23:30 UTC is on the next day in Berlin); all-day events sit on
// each of their dates from the first day shown. Days without meetings are left out.
func Agenda(s calsync.Snapshot, now time.Time, loc *time.Location) []Day {
	if loc == nil {
		loc = time.Local
	}
	today := midnight(now, loc)
	var days []Day
	index := map[time.Time]int{}
	add := func(day time.Time, r Row) {
		i, ok := index[day]
		if !ok {
			i = len(days)
			index[day] = i
			days = append(days, Day{Title: dayTitle(day, today), Date: day})
		}
		days[i].Rows = append(days[i].Rows, r)
	}
	for _, a := range s.Appointments {
		start, end := a.StartIn(loc), a.EndIn(loc)
		r := Row{
			ID:       a.ID,
			Title:    shorten(title(a), 70), // a window's width; the whole title is in Outlook
			Location: shorten(a.Location, 70),
			Badge:    badge(a),
			JoinURL:  a.JoinURL,
			WebLink:  a.WebLink,
			Past:     !end.After(now),
			Now:      !start.After(now) && end.After(now),
		}
		if !a.AllDay {
			r.Time = clock(start, loc) + " – " + clock(end, loc)
			if !sameDay(start, end.Add(-time.Nanosecond), loc) {
				r.Time += " (" + end.Format("Mon") + ")"
			}
			add(midnight(start, loc), r)
			continue
		}
		r.Time = "All day"
		// Dates, not instants: step by calendar days, which stays right across DST changes.
		for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
			if !d.Before(today) {
				add(d, r)
			}
		}
	}
	// Appointments arrive sorted by start, but a multi-day event lands on later days before
	// their own timed meetings: order each day by all-day first, then start time.
	for i := range days {
		sortRows(days[i].Rows)
	}
	sortDays(days)
	return days
}

func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func dayTitle(day, today time.Time) string {
	switch {
	case day.Equal(today):
		return "Today"
	case day.Equal(today.AddDate(0, 0, 1)):
		return "Tomorrow"
	case day.Equal(today.AddDate(0, 0, -1)):
		return "Yesterday"
	}
	return day.Format("Monday 2 January")
}

func badge(a calsync.Appointment) string {
	switch {
	case a.Cancelled:
		return "Cancelled"
	case a.Response == calsync.ResponseDeclined:
		return "Declined"
	case a.Response == calsync.ResponseTentative:
		return "Tentative"
	}
	return ""
}

// sortRows puts all-day rows first and keeps the rest in their (start) order. A stable
// insertion sort: days hold a handful of rows.
func sortRows(rows []Row) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].Time == "All day" && rows[j-1].Time != "All day"; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

func sortDays(days []Day) {
	for i := 1; i < len(days); i++ {
		for j := i; j > 0 && days[j].Date.Before(days[j-1].Date); j-- {
			days[j], days[j-1] = days[j-1], days[j]
		}
	}
}
