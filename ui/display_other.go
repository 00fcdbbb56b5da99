//go:build !linux && !freebsd && !openbsd && !netbsd

package ui

// checkDisplay is a no-op on Windows and macOS, whose sessions always have a display.
func checkDisplay() error { return nil }
