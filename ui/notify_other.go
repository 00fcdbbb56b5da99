//go:build !windows

package ui

import (
	"log/slog"

	"fyne.io/fyne/v2"
)

// systemNotifier is Fyne's own notification path: on Linux and the BSDs it goes over D-Bus
// with the text as data, and on macOS through the platform API. Windows has its own: see
// notify_windows.go.
func systemNotifier(a fyne.App, _ *slog.Logger) func(*fyne.Notification) {
	return a.SendNotification
}
