//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// trayHostPresent asks the session bus whether a StatusNotifierWatcher runs and has a host
// registered, which is what showing an icon takes on Linux desktops (GNOME has none without
// the AppIndicator extension). Without a session bus there can be no tray; if the bus is
// there but does not answer within a second, it assumes a tray rather than open a window
// nobody asked for (and rather than hold up the start).
func trayHostPresent() bool {
	conn, err := dbus.SessionBus() // shared with Fyne's tray; not to be closed
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&owned); err != nil {
		return true
	}
	if !owned {
		return false
	}
	var v dbus.Variant
	err = conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered").Store(&v)
	if err != nil {
		return true
	}
	registered, ok := v.Value().(bool)
	return !ok || registered
}

// ErrNoDisplay is returned by Run where there is no graphical session to show anything in.
var ErrNoDisplay = errors.New("no graphical display: DISPLAY and WAYLAND_DISPLAY are not set; " +
	"start caltray from a desktop session, or use `caltray agenda` in a terminal (`caltray agenda --demo` to try it)")

// checkDisplay fails where X11 and Wayland are both absent: GLFW would otherwise panic.
func checkDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoDisplay
	}
	return nil
}
