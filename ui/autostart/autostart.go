// Package autostart starts caltray when the user logs in: an XDG autostart entry on Linux and
// the BSDs, a LaunchAgent on macOS, the Run key on Windows. Each platform's file implements
// enable, disable and enabled; this file holds what they share.
package autostart

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Name identifies caltray's entry: the .desktop file's base name, the LaunchAgent's label,
// the Run key's value name.
const Name = "app.caltray"

// ErrUnsupported is returned on platforms with no start-at-login mechanism here.
var ErrUnsupported = errors.New("start at login is not supported on this system")

// Enable makes the system run exe with args at every login, replacing an earlier entry.
// exe must be an absolute path, since login sessions do not share the shell's PATH.
func Enable(exe string, args ...string) error {
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("start at login: program path %q is not absolute; pass os.Executable()'s result", exe)
	}
	for _, a := range append([]string{exe}, args...) {
		if strings.ContainsAny(a, "\n\r\x00") {
			return fmt.Errorf("start at login: argument %q contains a line break or NUL, which no entry can hold", a)
		}
	}
	if err := enable(exe, args); err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}

// Disable removes the entry. Removing an absent entry is not an error.
func Disable() error {
	if err := disable(); err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}

// Enabled reports whether the entry exists (and, where the format allows, is not disabled).
func Enabled() (bool, error) {
	on, err := enabled()
	if err != nil {
		return false, fmt.Errorf("start at login: %w", err)
	}
	return on, nil
}
