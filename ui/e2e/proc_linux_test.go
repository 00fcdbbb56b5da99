package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel kill cmd if the test binary dies first (a -timeout panic skips
// every t.Cleanup), so no caltray or dbus-daemon outlives the tests.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
