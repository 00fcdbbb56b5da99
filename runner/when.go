package runner

import "time"

// ClockTime writes t as a time of day in layout ("15:04", time.TimeOnly), preceded by its date
// when t is not on now's day, so that a time far away never reads as today:
//
//	same day:             "00:51:39"
//	another day, same year: "Thu 3 Dec 00:51:39"
//	another year:         "Thu 3 Dec 2027 00:51:39"
//
// Days are compared in t's location (callers convert t to the viewer's zone first). A zero now
// (unknown) always gives the date. It lives in runner, the lowest layer that writes times for
// people (its Error) and that ui/model already imports; runner imports neither sync nor ui, so
// one helper serves the runner's errors, the tray's health line and panel, and the menu.
func ClockTime(t, now time.Time, layout string) string {
	now = now.In(t.Location())
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case !now.IsZero() && ty == ny && tm == nm && td == nd:
		return t.Format(layout)
	case !now.IsZero() && ty == ny:
		return t.Format("Mon 2 Jan ") + t.Format(layout)
	}
	return t.Format("Mon 2 Jan 2006 ") + t.Format(layout)
}
