//go:build !windows

package tray

import "caltray/assets"

// iconBytes is the tray icon of a state as systray wants it: PNG on Linux and macOS.
func iconBytes(s assets.State) []byte { return assets.Tray(s) }
