//go:build !linux && !freebsd && !openbsd && !netbsd

package ui

// trayHostPresent is always true on Windows and macOS, whose shells always have a tray.
func trayHostPresent() bool { return true }

// checkDisplay is a no-op on Windows and macOS, whose sessions always have a display.
func checkDisplay() error { return nil }
