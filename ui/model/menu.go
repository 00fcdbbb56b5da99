package model

import (
	"fmt"
	"time"

	calsync "caltray/sync"
)

// An Action is what clicking a menu item does.
type Action int

// The menu's actions. The ui package maps each to a function.
const (
	ActionNone        Action = iota // a label: the header or the health line
	ActionJoin                      // open Item.URL, the meeting's join link
	ActionOpen                      // open Item.URL: a join link or the event in Outlook on the web
	ActionRefresh                   // sync now
	ActionAgenda                    // open the agenda window
	ActionPreferences               // open the preferences window
	ActionSignIn                    // start a sign-in
	ActionSignOut                   // sign out
	ActionOutage                    // demo only: toggle the simulated outage
)

// An Item is one line of the tray menu. The zero Item with Separator set is a separator.
type Item struct {
	Label     string
	Action    Action
	URL       string // for ActionJoin and ActionOpen
	Disabled  bool
	Checked   bool // for ActionOutage
	Separator bool
}

// MenuOptions are the parts of the menu that do not come from the snapshot.
type MenuOptions struct {
	Location  *time.Location // the zone times are shown in; nil means time.Local
	Demo      bool           // add "Simulate outage"
	Outage    bool           // the simulated outage is on (Demo only)
	NoAccount bool           // no account to manage (the demo): no Sign in / Sign out
	Upcoming  int            // how many upcoming meetings to list; 0 means DefaultUpcoming
	JoinAhead time.Duration  // how early "Join" appears; 0 means DefaultJoinAhead
}

// Defaults for MenuOptions.
const (
	DefaultUpcoming  = 5
	DefaultJoinAhead = 15 * time.Minute
)

// titleLen keeps menu lines short enough for a tray menu.
const titleLen = 40

// Menu builds the tray menu from a snapshot at now. The ui package renders exactly these items,
// in this order, and Fyne appends its own Quit after them.
func Menu(s calsync.Snapshot, now time.Time, o MenuOptions) []Item {
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	if o.Upcoming <= 0 {
		o.Upcoming = DefaultUpcoming
	}
	if o.JoinAhead <= 0 {
		o.JoinAhead = DefaultJoinAhead
	}
	sep := Item{Separator: true}
	items := []Item{{Label: Header(s, now, loc), Disabled: true}}
	signedIn := s.Auth != calsync.AuthSignedOut && s.Auth != calsync.AuthSignInNeeded
	if signedIn {
		if a, ok := JoinTarget(s.Appointments, now, o.JoinAhead); ok {
			items = append(items, Item{Label: "Join " + shorten(title(a), titleLen), Action: ActionJoin, URL: a.JoinURL})
		}
		upcoming := upcoming(s.Appointments, now, o.Upcoming)
		if len(upcoming) > 0 {
			items = append(items, sep)
		}
		for _, a := range upcoming {
			it := Item{Label: meetingLabel(a, now, loc), Action: ActionOpen, URL: a.JoinURL}
			if it.URL == "" {
				it.URL = a.WebLink
			}
			if it.URL == "" {
				it.Action, it.Disabled = ActionNone, true
			}
			items = append(items, it)
		}
	}
	items = append(items, sep, Item{Label: HealthLine(s, now, loc), Disabled: true})
	refresh := Item{Label: "Refresh now", Action: ActionRefresh}
	if s.Syncing {
		refresh = Item{Label: "Refreshing…", Action: ActionRefresh, Disabled: true}
	}
	if !signedIn {
		refresh.Disabled = true
	}
	items = append(items, refresh,
		Item{Label: "Open agenda…", Action: ActionAgenda},
		Item{Label: "Preferences…", Action: ActionPreferences})
	switch {
	case o.NoAccount:
	case signedIn:
		items = append(items, Item{Label: "Sign out", Action: ActionSignOut})
	default:
		items = append(items, Item{Label: "Sign in…", Action: ActionSignIn})
	}
	if o.Demo {
		items = append(items, sep, Item{Label: "Simulate outage", Action: ActionOutage, Checked: o.Outage})
	}
	return items
}

// Header is the menu's first line, and what stands in for the tray tooltip Fyne lacks: what
// the next hour holds. "Now: Design review · ends 11:30" while a meeting runs; "Standup in
// 12 min" when the next starts within the hour; "Free until 14:00" when it starts later
// today; "No more meetings today".
func Header(s calsync.Snapshot, now time.Time, loc *time.Location) string {
	switch s.Auth {
	case calsync.AuthSignedOut:
		return "caltray: sign in to see your meetings"
	case calsync.AuthSignInNeeded:
		return "caltray: sign in again to update your meetings"
	}
	if s.LastSync.IsZero() && len(s.Appointments) == 0 {
		if FirstSyncFailed(s) {
			return "caltray: could not load your calendar yet"
		}
		return "caltray: loading your calendar…"
	}
	var current, next *calsync.Appointment
	for i := range s.Appointments {
		a := &s.Appointments[i]
		if !counts(*a) {
			continue
		}
		switch {
		case !a.Start.After(now) && a.End.After(now):
			// Of meetings under way, the one that started last is the one you are in.
			if current == nil || a.Start.After(current.Start) {
				current = a
			}
		case a.Start.After(now):
			if next == nil || a.Start.Before(next.Start) {
				next = a
			}
		}
	}
	if current != nil {
		line := fmt.Sprintf("Now: %s · ends %s", shorten(title(*current), titleLen), when(current.End, now, loc))
		// A meeting starting within a few minutes matters more than the rest of this one.
		if next != nil && next.Start.Sub(now) <= 5*time.Minute {
			line = fmt.Sprintf("%s in %s (now: %s)", shorten(title(*next), titleLen), minutes(next.Start.Sub(now)), shorten(title(*current), 20))
		}
		return line
	}
	if next != nil && sameDay(next.Start, now, loc) {
		d := next.Start.Sub(now)
		if d <= time.Hour {
			return fmt.Sprintf("%s in %s", shorten(title(*next), titleLen), minutes(d))
		}
		return "Free until " + clock(next.Start, loc)
	}
	return "No more meetings today"
}

// JoinTarget returns the meeting "Join" opens: one with a join link that is under way or starts
// within ahead. A meeting about to start wins over one under way (it is where you go next), the
// earliest of several about to start, and of several under way the one that started last.
func JoinTarget(apps []calsync.Appointment, now time.Time, ahead time.Duration) (calsync.Appointment, bool) {
	var next, current *calsync.Appointment
	for i := range apps {
		a := &apps[i]
		if !counts(*a) || a.JoinURL == "" || !a.End.After(now) || a.Start.Sub(now) > ahead {
			continue
		}
		switch {
		case a.Start.After(now):
			if next == nil || a.Start.Before(next.Start) {
				next = a
			}
		case current == nil || a.Start.After(current.Start):
			current = a
		}
	}
	switch {
	case next != nil:
		return *next, true
	case current != nil:
		return *current, true
	}
	return calsync.Appointment{}, false
}

// counts says whether an appointment is a meeting the header, Join and reminders care about:
// timed, not cancelled, not declined.
func counts(a calsync.Appointment) bool {
	return !a.AllDay && !a.Cancelled && a.Response != calsync.ResponseDeclined
}

// upcoming returns up to n meetings that have not ended, in start order.
func upcoming(apps []calsync.Appointment, now time.Time, n int) []calsync.Appointment {
	var out []calsync.Appointment
	for _, a := range apps {
		if len(out) == n {
			break
		}
		if counts(a) && a.End.After(now) {
			out = append(out, a)
		}
	}
	return out
}

// meetingLabel is "10:00  Standup" today, "Tue 10:00  Standup" on another day.
func meetingLabel(a calsync.Appointment, now time.Time, loc *time.Location) string {
	when := clock(a.Start, loc)
	if !sameDay(a.Start, now, loc) {
		when = a.Start.In(loc).Format("Mon") + " " + when
	}
	return when + "  " + shorten(title(a), titleLen)
}

func title(a calsync.Appointment) string {
	if a.Subject == "" {
		return "(no title)"
	}
	return a.Subject
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}

// minutes writes a wait rounded up to whole minutes, so "in 1 min" lasts until the start.
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 1 {
		m = 1
	}
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return humanDuration(time.Duration(m) * time.Minute)
}
