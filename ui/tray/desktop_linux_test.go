package tray

import (
	"bufio"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// sessionBus starts a dbus-daemon of the test's own and points the session bus at it.
func sessionBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon not installed: run scripts/install-deps.sh")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	addr = strings.TrimSpace(addr)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

// A tray host appearing after the start is noticed, whether a watcher takes its name or a
// watcher that was there registers its host; signals of other kinds (a notification's
// two-argument ActionInvoked, another name changing owner) are not taken for it.
func TestWatchTrayHost(t *testing.T) {
	cases := []struct {
		name string
		// before runs on the watcher's connection before caltray looks; appear makes the tray
		// host appear.
		before func(t *testing.T, w *fakeWatcher)
		appear func(t *testing.T, w *fakeWatcher)
		leave  bool // the watcher there before goes away (its name's new owner is "") first
	}{
		{"a watcher takes its name", nil, func(t *testing.T, w *fakeWatcher) {
			w.export(t, true)
		}, false},
		{"the watcher's host registers", func(t *testing.T, w *fakeWatcher) {
			w.export(t, false) // a watcher with no host yet: still no tray
		}, func(t *testing.T, w *fakeWatcher) {
			w.props.SetMust(watcherName, "IsStatusNotifierHostRegistered", true)
			if err := w.conn.Emit("/StatusNotifierWatcher", watcherName+".StatusNotifierHostRegistered"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a watcher leaves, then one comes", func(t *testing.T, w *fakeWatcher) {
			w.export(t, false)
		}, func(t *testing.T, w *fakeWatcher) {
			w.export(t, true)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := sessionBus(t)
			conn, err := dbus.Connect(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			w := &fakeWatcher{conn: conn}
			if tc.before != nil {
				tc.before(t, w)
			}
			d, err := OpenDesktop(slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			appeared, err := d.WatchTrayHost()
			if err != nil {
				t.Fatal(err)
			}
			if d.TrayHostPresent() {
				t.Fatal("a tray host is present before one appeared")
			}
			// Noise first: none of it is a tray appearing.
			if err := conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", uint32(1), "default"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.RequestName("org.example.Unrelated", dbus.NameFlagDoNotQueue); err != nil {
				t.Fatal(err)
			}
			if tc.leave {
				if _, err := conn.ReleaseName(watcherName); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-appeared:
				t.Fatal("took another signal for a tray appearing")
			case <-time.After(200 * time.Millisecond):
			}
			tc.appear(t, w)
			select {
			case <-appeared:
			case <-time.After(10 * time.Second):
				t.Fatal("the tray host appeared, and nobody noticed")
			}
			if !d.TrayHostPresent() {
				t.Error("TrayHostPresent says no after the host appeared")
			}
		})
	}
}

// fakeWatcher is a panel's org.kde.StatusNotifierWatcher, as far as the tray-host check reads it.
type fakeWatcher struct {
	conn  *dbus.Conn
	props *prop.Properties
}

func (w *fakeWatcher) export(t *testing.T, host bool) {
	t.Helper()
	if w.props != nil { // again, after leaving: the new watcher's properties
		w.props.SetMust(watcherName, "IsStatusNotifierHostRegistered", host)
	} else if err := w.exportProps(host); err != nil {
		t.Fatal(err)
	}
	if reply, err := w.conn.RequestName(watcherName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v (reply %v)", watcherName, err, reply)
	}
}

func (w *fakeWatcher) exportProps(host bool) error {
	props, err := prop.Export(w.conn, "/StatusNotifierWatcher", prop.Map{watcherName: {
		"IsStatusNotifierHostRegistered": {Value: host, Writable: true, Emit: prop.EmitTrue},
	}})
	w.props = props
	return err
}
