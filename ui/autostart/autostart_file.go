//go:build !windows

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// On Linux, the BSDs and macOS the entry is one file: entryPath names it, entry writes it and
// entryOn reads whether the desktop has turned it off. This file does the rest for all of them.

func enable(exe string, args []string) error {
	p, err := entryPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	// Written aside and renamed, so a crash never leaves a half entry for the session to run.
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, entry(exe, args), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("install %s: %w", p, err)
	}
	return nil
}

func disable() error {
	p, err := entryPath()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

func enabled() (bool, error) {
	p, err := entryPath()
	if errors.Is(err, ErrUnsupported) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	return entryOn(data), nil
}
