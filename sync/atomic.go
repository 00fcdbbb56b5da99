package sync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteFileAtomic replaces path with data so that a reader, a crash or a concurrent writer
// never sees a partial file: the data goes to a temporary file of its own in the same
// directory (mode 0600, named TempPrefix(base) and digits), is flushed to disk, and is renamed
// over path; then the directory is flushed so the rename itself survives a power cut.
// Concurrent writers each rename a complete file, so the last rename wins whole. Every file
// caltray owns (cache, settings, account record, sealed token cache) is written with it.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, TempPrefix(base)+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil && tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; say so explicitly, as the mode is a promise.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: flush: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			tmp = nil // leave the temporary file behind, as a crash would
			return err
		}
	}
	if err := rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		// Some file systems cannot flush a directory; the file itself is safe, so this error
		// only weakens durability across a power cut and is not worth failing the write.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// beforeRename, set by a test, runs after the temporary file is written and synced and before
// the rename; an error stops the write there, as a crash would.
var beforeRename func() error

// StaleTempAge is how old a temporary file of WriteFileAtomic's naming must be (by its
// modification time) before RemoveStaleTemps takes it for a leftover of a killed process.
//
// Another caltray (the tray app and a CLI command, say) may be writing the same file right
// now, so a fresh temporary file may be live. A write lasts from CreateTemp to Rename: one
// Write, one fsync and a rename, well under a second even for a 14 MB cache on a slow disk,
// and never across a network or keyring call. Ten minutes is orders of magnitude beyond that,
// yet short enough that a leftover goes at the next start. And should a live file be taken
// after all (a process stopped mid-write for longer, e.g. under a debugger), its Rename fails
// with "no such file": that one write fails and the next one succeeds; the target file is never
// damaged, because the target itself is never removed here.
const StaleTempAge = 10 * time.Minute

// TempPrefix is the name prefix of WriteFileAtomic's temporary files for a file named base:
// ".<base>.tmp-" then CreateTemp's random digits.
func TempPrefix(base string) string { return "." + base + ".tmp-" }

// RemoveStaleTemps removes from dir the temporary files that an interrupted atomic write left
// behind: regular files named prefix + digits (CreateTemp's random part), for any of the
// prefixes, whose modification time is at least StaleTempAge before now. Nothing else is
// touched, whatever its name or age. It returns the names removed and the errors met (a
// missing dir is no error), so the caller can log both.
func RemoveStaleTemps(dir string, prefixes []string, now time.Time) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for leftover temporary files in %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !isOurTemp(e.Name(), prefixes) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < StaleTempAge {
			continue // gone meanwhile, or perhaps still being written
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove leftover temporary file: %w", err))
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// isOurTemp reports whether name is one of prefixes followed by CreateTemp's decimal digits.
func isOurTemp(name string, prefixes []string) bool {
	for _, p := range prefixes {
		rest, ok := strings.CutPrefix(name, p)
		if !ok || rest == "" {
			continue
		}
		if strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}
