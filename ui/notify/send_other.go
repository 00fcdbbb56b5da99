//go:build !windows

package notify

import (
	"context"
	"errors"
)

// Send is Windows-only: elsewhere Fyne delivers notifications over D-Bus (or the platform's
// API), which carries the text as data already.
func Send(ctx context.Context, title, body string) error {
	return errors.ErrUnsupported
}
