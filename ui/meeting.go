package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"caltray/ui/ipc"
)

// MeetingTitle is the title of the window shown when a meeting starts.
const MeetingTitle = "Meeting — caltray"

// meetingWindow is the small window shown when a meeting starts ("Show a window when a meeting
// starts"): the meeting, Join, Snooze 1 min and Dismiss. One at a time: meetings that start
// while one is shown wait in order, and each comes when the one before is closed.
type meetingWindow struct {
	win     fyne.Window
	m       ipc.Meeting
	join    *widget.Button // nil without a join link
	snooze  *widget.Button
	dismiss *widget.Button
}

// showMeeting shows m's window, or queues it behind the one shown. A meeting already shown or
// queued (the tray sent it again) is not added twice. Called on the Fyne goroutine.
func (c *controller) showMeeting(m ipc.Meeting) {
	if c.meeting != nil {
		if c.meeting.m.Key == m.Key {
			c.raise(c.meeting.win)
			return
		}
		for _, q := range c.meetings {
			if q.Key == m.Key {
				return
			}
		}
		c.meetings = append(c.meetings, m)
		return
	}
	c.meeting = c.newMeetingWindow(m)
	c.raise(c.meeting.win)
}

// raise shows w and asks for the focus. Fyne has no "always on top"; a new window is put in
// front by X11 window managers, while Wayland compositors, Windows' focus-stealing prevention
// and recent macOS may only flash its task bar entry.
func (c *controller) raise(w fyne.Window) {
	w.Show()
	w.RequestFocus()
}

func (c *controller) newMeetingWindow(m ipc.Meeting) *meetingWindow {
	mw := &meetingWindow{win: c.app.NewWindow(MeetingTitle), m: m}
	title := widget.NewLabelWithStyle(m.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	body := widget.NewLabel(m.Body)
	body.Wrapping = fyne.TextWrapWord
	// Each button answers the tray and closes the window; the next queued meeting follows.
	done := func(intent string) func() {
		return func() {
			if intent != "" && c.o.MeetingIntent != nil {
				if err := c.o.MeetingIntent(intent, m.Key); err != nil {
					c.o.Logger.Warn("tell the tray about the meeting window", "err", err)
				}
			}
			mw.win.Close()
		}
	}
	mw.snooze = widget.NewButton("Snooze 1 min", done(ipc.IntentSnooze))
	mw.dismiss = widget.NewButton("Dismiss", done(ipc.IntentDismiss))
	buttons := []fyne.CanvasObject{mw.snooze, mw.dismiss}
	if m.JoinURL != "" {
		mw.join = widget.NewButton("Join", func() {
			c.openURL(m.JoinURL)
			done(ipc.IntentDismiss)()
		})
		mw.join.Importance = widget.HighImportance
		buttons = append([]fyne.CanvasObject{mw.join}, buttons...)
	}
	mw.win.SetContent(container.NewPadded(container.NewVBox(title, body, container.NewHBox(buttons...))))
	mw.win.Resize(fyne.NewSize(360, 0))
	mw.win.CenterOnScreen()
	mw.win.SetOnClosed(func() {
		// Closed by a button or by the window manager (which counts as Dismiss: nothing is
		// scheduled until the tray hears of a snooze).
		c.meeting = nil
		if len(c.meetings) > 0 {
			next := c.meetings[0]
			c.meetings = c.meetings[1:]
			c.showMeeting(next)
			return
		}
		c.maybeQuit()
	})
	return mw
}
