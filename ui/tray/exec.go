package tray

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// ExecWindow starts this executable again with args (the hidden window sub-command) as the
// window process. The pipes are its fds 3 (tray → window) and 4 (window → tray); its stdin,
// stdout and stderr are the null device, so the browsers it starts (which inherit stdio) can
// neither write into the protocol nor hold a pipe open after the window has gone. Its log
// lines come to the tray as messages instead.
func ExecWindow(args ...string) WindowStarter {
	return func(ctx context.Context, noTray bool) (*Child, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find caltray's own program file: %w", err)
		}
		toChildR, toChildW, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("window pipe: %w", err)
		}
		fromChildR, fromChildW, err := os.Pipe()
		if err != nil {
			toChildR.Close()
			toChildW.Close()
			return nil, fmt.Errorf("window pipe: %w", err)
		}
		a := append([]string(nil), args...)
		if noTray {
			a = append(a, "--no-tray")
		}
		// Not CommandContext: the window ends when its input closes (the tray quitting), not
		// by a kill that would skip its clean exit.
		cmd := exec.Command(exe, a...)
		cmd.ExtraFiles = []*os.File{toChildR, fromChildW}
		err = cmd.Start()
		// The child has its own copies now; the tray keeps only its ends, so that the child's
		// exit is an EOF here.
		toChildR.Close()
		fromChildW.Close()
		if err != nil {
			toChildW.Close()
			fromChildR.Close()
			return nil, fmt.Errorf("start the window process: %w", err)
		}
		return &Child{In: fromChildR, Out: toChildW, Wait: cmd.Wait, Kill: func() { _ = cmd.Process.Kill() }}, nil
	}
}
