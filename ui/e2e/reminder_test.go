package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// notifications is a minimal org.freedesktop.Notifications, as a desktop's notification
// server provides: it records each Notify with its actions, and has the "actions" capability.
type notifications struct {
	mu    sync.Mutex
	notes []note
}

type note struct {
	id      uint32
	summary string
	actions []string
}

func (n *notifications) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body"}, nil
}
func (n *notifications) CloseNotification(uint32) *dbus.Error { return nil }
func (n *notifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "e2e", "caltray", "1", "1.2", nil
}

func (n *notifications) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := uint32(len(n.notes) + 1)
	n.notes = append(n.notes, note{id: id, summary: summary, actions: actions})
	return id, nil
}

func (n *notifications) find(prefix string) (note, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range n.notes {
		if strings.HasPrefix(x.summary, prefix) {
			return x, true
		}
	}
	return note{}, false
}

// TestDemoRemindsWithJoin: `caltray --demo` reminds of its next meeting as soon as it has
// synced, with a Join button; clicking Join (the server's ActionInvoked) opens the Teams link
// with xdg-open (a fake one, first on caltray's PATH).
func TestDemoRemindsWithJoin(t *testing.T) {
	requireDesktop(t)
	addr := privateBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	defer conn.Close()
	serveWatcher(t, conn) // a tray host: no window opens
	srv := &notifications{}
	const path, iface = dbus.ObjectPath("/org/freedesktop/Notifications"), "org.freedesktop.Notifications"
	if err := conn.Export(srv, path, iface); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(iface, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v (reply %v)", iface, err, reply)
	}
	bin := t.TempDir()
	opened := filepath.Join(bin, "opened")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + opened + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	a := startDemo(t, "DBUS_SESSION_BUS_ADDRESS="+addr, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var n note
	waitFor(t, a, 30*time.Second, "the demo's reminder", func() bool {
		var ok bool
		n, ok = srv.find("Sprint planning")
		return ok
	})
	if !strings.Contains(n.summary, " in ") || !slices.Contains(n.actions, "join") || !slices.Contains(n.actions, "snooze") {
		t.Fatalf("reminder %q with actions %q: want \"… in N min\" with Join and Snooze", n.summary, n.actions)
	}
	if err := conn.Emit(path, iface+".ActionInvoked", n.id, "join"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a, 30*time.Second, "the join link opened", func() bool {
		data, _ := os.ReadFile(opened)
		return strings.HasPrefix(string(data), "https://teams.microsoft.com/l/meetup-join/")
	})
}
