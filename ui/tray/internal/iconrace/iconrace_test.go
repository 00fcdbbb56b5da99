//go:build linux

// The icon changing while a tray host reads it. fyne.io/systray's IconPixmap went through
// godbus's prop.Properties, which stores a new value into the memory of the old one while a Get
// or GetAll reply may still be encoding it; third_party/systray (PATCHED.md) stores into fresh
// memory. Under -race this test fails without that patch.

package iconrace

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"

	"caltray/assets"
)

func TestIconChangesWhileAHostReads(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon not installed: run scripts/install-deps.sh")
	}
	daemon := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := daemon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		daemon.Process.Kill()
		daemon.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	addr = strings.TrimSpace(addr)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)

	start, end := systray.RunWithExternalLoop(nil, nil)
	start()
	defer end()

	host, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	item := host.Object(fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", os.Getpid()), "/StatusNotifierItem")

	// The host reads every property, as a panel does on NewIcon, while the icon changes.
	stop, read := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				read <- nil
				return
			default:
			}
			if call := item.Call("org.freedesktop.DBus.Properties.GetAll", 0, "org.kde.StatusNotifierItem"); call.Err != nil {
				read <- call.Err
				return
			}
		}
	}()
	icons := [][]byte{assets.Tray(assets.Operational), assets.Tray(assets.Down)}
	for i := range 400 {
		systray.SetIcon(icons[i%len(icons)])
	}
	close(stop)
	if err := <-read; err != nil {
		t.Fatalf("GetAll: %v", err)
	}

	// And the host sees the icon set last.
	v, err := item.GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		t.Fatalf("IconPixmap: %v", err)
	}
	var px []struct {
		W, H int32
		Pix  []byte
	}
	if err := v.Store(&px); err != nil || len(px) != 1 || px[0].W == 0 || len(px[0].Pix) != int(4*px[0].W*px[0].H) {
		t.Fatalf("IconPixmap after the changes: %d pixmaps (%v)", len(px), err)
	}
}
