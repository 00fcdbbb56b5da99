//go:build !windows

package sync

// isShareError is false on systems where an open file never blocks its replacement.
func isShareError(error) bool { return false }
