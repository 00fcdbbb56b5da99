//go:build windows

package ui

import (
	"context"
	"log/slog"
	"sync"

	"fyne.io/fyne/v2"

	"caltray/ui/notify"
)

// systemNotifier delivers notifications through caltray/ui/notify, never Fyne's
// SendNotification: on Windows that pastes the title and body into a PowerShell script
// (issue 9, bug 0), and anyone who can send an invite chooses a reminder's subject.
//
// notify.Send runs PowerShell and takes a second or two, so one goroutine delivers them in
// order, off the Fyne goroutine; a burst beyond the queue (far more reminders at once than
// anyone can read) is dropped and logged, without its text.
func systemNotifier(_ fyne.App, log *slog.Logger) func(*fyne.Notification) {
	if log == nil {
		log = slog.Default()
	}
	queue := make(chan *fyne.Notification, 16)
	var start sync.Once
	return func(n *fyne.Notification) {
		start.Do(func() {
			go func() {
				for n := range queue {
					if err := notify.Send(context.Background(), n.Title, n.Content); err != nil {
						log.Warn("could not show a notification", "err", err)
					}
				}
			}()
		})
		select {
		case queue <- n:
		default:
			log.Warn("dropped a notification: too many waiting")
		}
	}
}
