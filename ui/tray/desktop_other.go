//go:build !linux

package tray

import (
	"errors"
	"log/slog"
)

// Desktop is, on Windows and macOS, what the tray process has of the desktop besides the icon:
// nothing yet. Notifications are logged until package ui/notify (issue 9, Windows toasts with
// the text as data) plugs in here; there is no single-instance check (a named pipe or mutex
// on Windows, a lock plus a socket on macOS: docs/DESIGN.md lists it as not built). Not
// compiled on the project's Linux machines.
type Desktop struct {
	log  *slog.Logger
	show chan string
}

// ErrRunning says another caltray already runs in this session.
var ErrRunning = errors.New("caltray already runs in this session")

func OpenDesktop(log *slog.Logger) (*Desktop, error) {
	return &Desktop{log: log, show: make(chan string, 1)}, nil
}
func (d *Desktop) Close()                {}
func (d *Desktop) Show() <-chan string   { return d.show }
func (d *Desktop) Claim(string) error    { return nil }
func (d *Desktop) TrayHostPresent() bool { return true }
func (d *Desktop) Notify(title, body string) {
	d.log.Info("notification", "title", title, "body", body)
}
func HasDisplay() bool { return true }
