// Package tempdir gives tests a temporary directory that is also removed under Wine.
//
// Go 1.26's os.RemoveAll on Windows deletes a directory's entries through
// FileDispositionInformationEx, which Wine 8 does not implement ("Invalid function"), so every
// t.TempDir cleanup fails when scripts/wine-test.sh runs a test binary there. os.Remove still
// uses DeleteFile and RemoveDirectory, which Wine has, and os.RemoveAll of an empty directory is
// one os.Remove. So New empties and removes its directory entry by entry before the testing
// package's own cleanup runs; on Linux and on real Windows that cleanup then finds nothing left.
//
// The alternative was an overlay of one standard-library file for the Wine test binaries; it
// changed the build key of every package above os, which cost a cold make test a whole extra
// Windows compile of the dependency graph (docs/PACKAGING.md).
package tempdir

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// New returns a new temporary directory for t, as t.TempDir does, removed when t ends.
func New(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	// Cleanups run last-registered first: this one runs before the testing package's.
	t.Cleanup(func() { Remove(dir) })
	return dir
}

// Remove removes dir and everything in it with one os.Remove per entry, deepest first. It
// does its best and reports nothing: whatever it leaves (a file still open, say) makes the
// testing package's cleanup fail, and that failure names the path and the reason.
func Remove(dir string) {
	var paths []string
	filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err == nil {
			paths = append(paths, path)
		}
		return nil
	})
	// WalkDir lists a directory before its entries: in reverse, every entry comes before the
	// directory holding it.
	for _, path := range slices.Backward(paths) {
		os.Remove(path)
	}
}
