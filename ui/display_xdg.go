//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"os"
)

// checkDisplay fails where X11 and Wayland are both absent: GLFW would otherwise panic.
func checkDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoDisplay
	}
	return nil
}
