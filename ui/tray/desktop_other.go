//go:build !linux

package tray

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"caltray/ui/notify"
)

// Desktop is, on Windows and macOS, what the tray process has of the desktop besides the icon:
// notifications through package ui/notify (on Windows a toast whose text travels as data,
// never through a script: docs/DESIGN.md; on macOS not available yet, so logged). There is no
// single-instance check (a named pipe or mutex on Windows, a lock plus a socket on macOS:
// docs/DESIGN.md lists it as not built). Not compiled into the Linux tests; vetted for Windows
// and macOS by make test.
type Desktop struct {
	log   *slog.Logger
	show  chan string
	queue chan note
	done  chan struct{}
}

type note struct{ title, body string }

// ErrRunning says another caltray already runs in this session.
var ErrRunning = errors.New("caltray already runs in this session")

// OpenDesktop starts the goroutine that delivers notifications: notify.Send runs PowerShell
// and takes a second or two, so they go out one at a time, in order, off the owner goroutine.
func OpenDesktop(log *slog.Logger) (*Desktop, error) {
	d := &Desktop{log: log, show: make(chan string, 1), queue: make(chan note, 16), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		for n := range d.queue {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := notify.Send(ctx, n.title, n.body)
			cancel()
			if err != nil {
				// Never the text: it is the user's meeting.
				d.log.Warn("could not show a notification", "err", err)
			}
		}
	}()
	return d, nil
}

// Close stops the delivery goroutine after the notifications already queued.
func (d *Desktop) Close() {
	close(d.queue)
	<-d.done
}

func (d *Desktop) Show() <-chan string { return d.show }

// Wake is nil (never) here: WM_POWERBROADCAST on Windows and NSWorkspaceDidWakeNotification on
// macOS are not wired yet; the tray's once-a-minute check notices a wake within a minute.
func (d *Desktop) Wake() <-chan struct{} { return nil }

func (d *Desktop) Claim(string) error    { return nil }
func (d *Desktop) TrayHostPresent() bool { return true }

// WatchTrayHost: Windows and macOS always have a tray (the notification area, the menu bar),
// so no host ever has to appear; the channel is never closed.
func (d *Desktop) WatchTrayHost() (<-chan struct{}, error) { return nil, nil }

// Notify queues a notification; a burst beyond the queue (far more reminders at once than
// anyone can read) is dropped and logged, without its text.
func (d *Desktop) Notify(title, body string) {
	select {
	case d.queue <- note{title, body}:
	default:
		d.log.Warn("dropped a notification: too many waiting")
	}
}

// Remind shows a reminder's text as a notification without buttons: a toast's buttons need an
// AppUserModelID (a Start-menu shortcut) and an activation handler that caltray does not have
// yet (docs/DESIGN.md), and macOS has no notification path here yet. Join stays in the tray
// menu and the agenda; a reminder here cannot be snoozed or dismissed (only the start window,
// when the user turned it on, has its own Snooze 1 min and Dismiss).
func (d *Desktop) Remind(n Note, _ func(NoteAction)) { d.Notify(n.Title, n.Body) }

func HasDisplay() bool { return true }
