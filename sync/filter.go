package sync

import (
	"cmp"
	"slices"
	"time"
)

// Agenda returns the appointments that overlap [from, to) and that s does not hide, sorted by
// their start in loc (all-day events at local midnight), then by end, subject and ID, so the
// order is the same on every run. apps is not modified.
func (s Settings) Agenda(apps []Appointment, from, to time.Time, loc *time.Location) []Appointment {
	out := make([]Appointment, 0, len(apps))
	for _, a := range apps {
		switch {
		case s.HideDeclined && a.Response == ResponseDeclined,
			s.HideCancelled && a.Cancelled,
			s.HideAllDay && a.AllDay:
			continue
		}
		// Overlap uses the local reading, so an all-day event belongs to its calendar days. A
		// zero-length event (a reminder-style entry) belongs to the window it starts in.
		start, end := a.StartIn(loc), a.EndIn(loc)
		if !start.Before(to) || (!end.After(from) && !(end.Equal(start) && !start.Before(from))) {
			continue
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b Appointment) int {
		return cmp.Or(
			a.StartIn(loc).Compare(b.StartIn(loc)),
			a.EndIn(loc).Compare(b.EndIn(loc)),
			cmp.Compare(a.Subject, b.Subject),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return out
}
