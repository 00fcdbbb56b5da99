//go:build windows

package notify

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// createNoWindow is CREATE_NO_WINDOW: PowerShell is a console program, and started from
// caltray (a GUI program without a console) it would otherwise flash a console window.
const createNoWindow = 0x08000000

// Send shows a toast with title and body and waits until PowerShell has handed it to Windows,
// at most Timeout (or until ctx ends). The text is data only: see the package comment. Errors
// never contain the text.
func Send(ctx context.Context, title, body string) error {
	payload, err := Payload(title, body)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	argv := Argv(os.Getenv("SystemRoot"))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// The payload is appended last: exec keeps the last of duplicate names, so an inherited
	// CALTRAY_TOAST_XML cannot stand in for it.
	cmd.Env = append(os.Environ(), EnvVar+"="+payload)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: createNoWindow}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("notify: powershell: %w", ctx.Err())
		}
		// The script writes only an exception type and HRESULT; keep that, and no more.
		return fmt.Errorf("notify: powershell: %w: %s", err, printable(stderr.String(), 200))
	}
	return nil
}
