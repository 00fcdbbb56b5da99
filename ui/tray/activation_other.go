//go:build !darwin && !linux

package tray

// setActivationPolicy is macOS only.
func setActivationPolicy() {}
