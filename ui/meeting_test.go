package ui

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	calsync "caltray/sync"
	"caltray/ui/ipc"
)

// The start window: one at a time, the next in order when it closes, a meeting sent twice
// shown once; Snooze and Dismiss go to the tray with the meeting's key, Join opens the link
// (through the tray) and is a Dismiss too; the window process ends with the last window.
func TestMeetingWindow(t *testing.T) {
	var intents, opened []string
	h := newHarness(t, at(11, 0), func(o *Options) {
		o.Child = true
		o.MeetingIntent = func(kind, key string) error { intents = append(intents, kind+" "+key); return nil }
		o.OpenURL = func(u string) error { opened = append(opened, u); return nil }
	})
	h.c.tray = nil
	standup := ipc.Meeting{Key: "s@11", Title: "Standup is starting now", Body: "11:00 – 11:15, Room 4"}
	review := ipc.Meeting{Key: "r@11", Title: "Review is starting now", Body: "11:00 – 12:00", JoinURL: "https://teams.example/r"}
	h.c.show(ipc.Message{Type: ipc.TypeShow, View: ipc.ViewMeeting, Meeting: &standup})
	h.c.show(ipc.Message{Type: ipc.TypeShow, View: ipc.ViewMeeting, Meeting: &review})
	h.c.show(ipc.Message{Type: ipc.TypeShow, View: ipc.ViewMeeting, Meeting: &standup}) // again: raised, not queued

	tests := []struct {
		shown       string
		join        bool
		tap         func(*meetingWindow) func()
		wantIntents []string
	}{
		{"s@11", false, func(m *meetingWindow) func() { return func() { test.Tap(m.snooze) } }, []string{"snooze s@11"}},
		{"r@11", true, func(m *meetingWindow) func() { return func() { test.Tap(m.join) } }, []string{"snooze s@11", "dismiss r@11"}},
	}
	for _, tt := range tests {
		mw := h.c.meeting
		if mw == nil || mw.m.Key != tt.shown {
			t.Fatalf("shown %+v, want %s", mw, tt.shown)
		}
		if (mw.join != nil) != tt.join {
			t.Errorf("%s: Join offered %v, want %v", tt.shown, mw.join != nil, tt.join)
		}
		if mw.win.Title() != MeetingTitle {
			t.Errorf("title %q", mw.win.Title())
		}
		tt.tap(mw)()
		if !slices.Equal(intents, tt.wantIntents) {
			t.Errorf("after %s: intents %q, want %q", tt.shown, intents, tt.wantIntents)
		}
	}
	if !slices.Equal(opened, []string{"https://teams.example/r"}) {
		t.Errorf("opened %q", opened)
	}
	if h.c.meeting != nil || len(h.c.meetings) != 0 {
		t.Errorf("still showing %+v, queued %v", h.c.meeting, h.c.meetings)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !h.c.closed.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !h.c.closed.Load() {
		t.Error("the window process did not end with its last window")
	}
}

// A click on a reminder's body opens the agenda on that meeting: its row is scrolled to the
// top of the list (as far as the list scrolls); an unknown event leaves the list where it is.
func TestAgendaBringsEventIntoView(t *testing.T) {
	h := newHarness(t, at(8, 0), func(o *Options) { o.Child = true })
	h.c.tray = nil
	var apps []calsync.Appointment
	for i := range 40 { // more than the window holds
		apps = append(apps, meeting(fmt.Sprint("m", i), fmt.Sprint("Meeting ", i), at(9, 0).Add(time.Duration(i)*time.Hour), 30*time.Minute))
	}
	h.c.snap, h.c.haveSnap = healthy(1, apps...), true
	show := func(id string) float32 {
		h.c.show(ipc.Message{Type: ipc.TypeShow, View: ipc.ViewAgenda, Event: id})
		return h.c.agenda.list.Offset.Y
	}
	mid := show("m20")
	if mid <= 0 {
		t.Fatalf("offset %v for the 21st meeting: not scrolled", mid)
	}
	if first := show("m0"); first >= mid {
		t.Errorf("offset %v for the first meeting, %v for the 21st", first, mid)
	}
	if again := show("m20"); again != mid {
		t.Errorf("offset %v the second time, %v the first", again, mid)
	}
	if unknown := show("gone"); unknown != mid {
		t.Errorf("an unknown event moved the list from %v to %v", mid, unknown)
	}
}
