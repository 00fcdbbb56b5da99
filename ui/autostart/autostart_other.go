//go:build !linux && !freebsd && !openbsd && !netbsd && !darwin && !windows

package autostart

func enable(string, []string) error { return ErrUnsupported }
func disable() error                { return ErrUnsupported }
func enabled() (bool, error)        { return false, nil }
