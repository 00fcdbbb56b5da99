package tray

import (
	"time"

	calsync "caltray/sync"
	"caltray/sync/inert"
	"caltray/ui/ipc"
	"caltray/ui/model"
)

// A Note is a reminder as a notification shows it: its text, made inert, and the actions it
// offers. Desktop.Remind shows one; a platform without buttons shows the text alone.
type Note struct {
	Title, Body   string
	Join          bool // offer "Join" (the meeting has a join link)
	Snooze        bool // offer "Snooze 5 min" and "Dismiss" (not for the summary of missed meetings)
	SnoozeToStart bool // offer "Snooze until it starts" (more than a minute remains)
}

// NoteAction is what the user chose on a reminder's notification.
type NoteAction string

// The notification actions, named as the keys sent to org.freedesktop.Notifications.
const (
	NoteOpen          NoteAction = "default" // the body was clicked: open the agenda on that meeting
	NoteJoin          NoteAction = "join"
	NoteSnooze        NoteAction = "snooze"
	NoteSnoozeToStart NoteAction = "snooze-start"
	NoteDismiss       NoteAction = "dismiss"
)

// SnoozeFor is how long "Snooze" puts a reminder off.
const SnoozeFor = 5 * time.Minute

// Labels for the actions, as the notification's buttons show them.
var noteLabels = map[NoteAction]string{
	NoteOpen:          "Open agenda",
	NoteJoin:          "Join",
	NoteSnooze:        "Snooze 5 min",
	NoteSnoozeToStart: "Until it starts",
	NoteDismiss:       "Dismiss",
}

// Actions returns the note's actions in the order a notification shows them.
func (n Note) Actions() []NoteAction {
	acts := []NoteAction{NoteOpen}
	if n.Join {
		acts = append(acts, NoteJoin)
	}
	if n.Snooze {
		acts = append(acts, NoteSnooze)
		if n.SnoozeToStart {
			acts = append(acts, NoteSnoozeToStart)
		}
		acts = append(acts, NoteDismiss)
	}
	return acts
}

// Label returns the button text of a.
func (a NoteAction) Label() string { return noteLabels[a] }

// remind shows r. The text is made inert here (subjects and locations are the organiser's),
// and the action the user picks comes back to the owner goroutine. Nothing is ever joined
// without a click: only NoteJoin opens the link.
func (t *Tray) remind(r model.Reminder, now time.Time) {
	n := Note{Title: inert.Line(r.Title), Body: inert.String(r.Body), Join: r.JoinURL != "",
		Snooze: r.Kind != model.ReminderMissed, SnoozeToStart: r.SnoozeToStart(now)}
	if t.o.Remind == nil {
		t.notify(n.Title, n.Body)
		return
	}
	t.o.Remind(n, func(a NoteAction) { t.Post(func() { t.noteAction(r, a) }) })
}

// noteAction does what the user chose on r's notification, on the owner goroutine.
func (t *Tray) noteAction(r model.Reminder, a NoteAction) {
	switch a {
	case NoteOpen:
		t.showMessage(ipc.Message{Type: ipc.TypeShow, View: ipc.ViewAgenda, Event: r.ID})
	case NoteJoin:
		if r.JoinURL != "" {
			t.openURL(r.JoinURL)
		}
	case NoteSnooze:
		t.reminders.Snooze(r.Key, t.o.Clock.Now().Add(SnoozeFor))
	case NoteSnoozeToStart:
		t.reminders.Snooze(r.Key, r.Start)
	case NoteDismiss:
		t.reminders.Dismiss(r.Key)
	default:
		t.o.Logger.Warn("unknown notification action ignored", "action", inert.Line(string(a)))
		return
	}
	t.changed() // a snooze moves the next wake-up
}

// StartSnoozeFor is how long the start window's "Snooze 1 min" puts it off.
const StartSnoozeFor = time.Minute

// startPolicy makes a meeting's start its "reminder": the start window comes when a meeting
// starts, whatever its notification's lead. All-day events have no start worth a window.
var startPolicy = model.ReminderPolicy{Mode: calsync.RemindersFixed, Minutes: 0}

// startWindows shows the start window for the meetings that start at now, when the user asked
// for it ("Show a window when a meeting starts"), and returns when one is next due. The window
// process shows them one at a time, in order; after a wake, a meeting under way gets its
// window ("Started 8 min ago: …") and meetings already over get none.
func (t *Tray) startWindows(now time.Time) time.Time {
	if !t.settings.StartWindow {
		return time.Time{}
	}
	apps := t.snap.Appointments
	for _, r := range t.starts.Due(apps, now, startPolicy, t.o.Location) {
		if r.Kind == model.ReminderMissed {
			continue // over: the notification's summary has said so
		}
		t.showMessage(ipc.Message{Type: ipc.TypeShow, View: ipc.ViewMeeting, Meeting: &ipc.Meeting{
			Key: r.Key, Title: inert.Line(r.Title), Body: inert.String(r.Body), JoinURL: inert.Line(r.JoinURL)}})
	}
	return t.starts.Next(apps, now, startPolicy, t.o.Location)
}
