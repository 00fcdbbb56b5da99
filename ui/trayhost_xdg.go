//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"github.com/godbus/dbus/v5"
)

// trayHostPresent asks the session bus whether a StatusNotifierWatcher runs and has a host
// registered, which is what showing an icon takes on Linux desktops (GNOME has none without
// the AppIndicator extension). Without a session bus there can be no tray; if the bus is
// there but will not answer, it assumes a tray rather than open a window nobody asked for.
func trayHostPresent() bool {
	conn, err := dbus.SessionBus() // shared with Fyne's tray; not to be closed
	if err != nil {
		return false
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&owned); err != nil {
		return true
	}
	if !owned {
		return false
	}
	v, err := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		GetProperty("org.kde.StatusNotifierWatcher.IsStatusNotifierHostRegistered")
	if err != nil {
		return true
	}
	registered, ok := v.Value().(bool)
	return !ok || registered
}
