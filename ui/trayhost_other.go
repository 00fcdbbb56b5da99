//go:build !linux && !freebsd && !openbsd && !netbsd

package ui

// trayHostPresent is always true on Windows and macOS, whose shells always have a tray.
func trayHostPresent() bool { return true }
