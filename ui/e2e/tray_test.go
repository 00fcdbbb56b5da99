package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// privateBus starts a dbus-daemon of its own, so the test's StatusNotifierWatcher is the only
// one caltray sees, and returns its address. The daemon stops with the test.
func privateBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	dieWithTest(cmd)
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
	return strings.TrimSpace(addr)
}

// watcher is a minimal org.kde.StatusNotifierWatcher, as a panel's tray host provides: it
// records who registers an item and claims a host is present.
type watcher struct {
	mu    sync.Mutex
	items []string // "busname/path"
}

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !strings.HasPrefix(service, "/") {
		w.items = append(w.items, service+"/StatusNotifierItem")
	} else {
		w.items = append(w.items, string(sender)+service)
	}
	return nil
}

func (w *watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

func (w *watcher) item() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.items) == 0 {
		return ""
	}
	return w.items[len(w.items)-1]
}

func serveWatcher(t *testing.T, conn *dbus.Conn) *watcher {
	t.Helper()
	w := &watcher{}
	const path, iface = "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"
	if err := conn.Export(w, path, iface); err != nil {
		t.Fatal(err)
	}
	_, err := prop.Export(conn, path, prop.Map{iface: {
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
	}})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(iface, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v (reply %v)", iface, err, reply)
	}
	return w
}

// menuItem is one entry of a com.canonical.dbusmenu layout.
type menuItem struct {
	id      int32
	label   string
	checked bool // a check item ("toggle-type" checkmark) that is on ("toggle-state" 1)
}

// flatten walks a GetLayout answer, (ia{sv}av), into its labelled items in order.
func flatten(v any) []menuItem {
	var fields []any
	switch n := v.(type) {
	case dbus.Variant:
		return flatten(n.Value())
	case []any:
		fields = n
	default:
		return nil
	}
	if len(fields) != 3 {
		return nil
	}
	var out []menuItem
	id, _ := fields[0].(int32)
	if props, ok := fields[1].(map[string]dbus.Variant); ok {
		if l, ok := props["label"]; ok {
			vis := true
			if v, ok := props["visible"]; ok {
				vis, _ = v.Value().(bool)
			}
			checked := false
			if v, ok := props["toggle-state"]; ok {
				st, _ := v.Value().(int32)
				kind, _ := props["toggle-type"].Value().(string)
				checked = st == 1 && kind == "checkmark"
			}
			if s, _ := l.Value().(string); s != "" && vis {
				out = append(out, menuItem{id, s, checked})
			}
		}
	}
	if kids, ok := fields[2].([]dbus.Variant); ok {
		for _, k := range kids {
			out = append(out, flatten(k)...)
		}
	}
	return out
}

type tray struct {
	conn       *dbus.Conn
	dest       string
	item, menu dbus.ObjectPath
}

func (tr tray) layout(t *testing.T) []menuItem {
	t.Helper()
	call := tr.conn.Object(tr.dest, tr.menu).Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		t.Fatalf("GetLayout: %v", call.Err)
	}
	if len(call.Body) != 2 {
		t.Fatalf("GetLayout answered %d values", len(call.Body))
	}
	root, _ := call.Body[1].([]any) // Body[0] is the layout's revision
	return flatten(root)
}

func (tr tray) pixmap(t *testing.T) string {
	t.Helper()
	v, err := tr.conn.Object(tr.dest, tr.item).GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		t.Fatalf("IconPixmap: %v", err)
	}
	return fmt.Sprint(v.Value())
}

func (tr tray) click(t *testing.T, id int32) {
	t.Helper()
	call := tr.conn.Object(tr.dest, tr.menu).Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(0))
	if call.Err != nil {
		t.Fatalf("click item %d: %v", id, call.Err)
	}
}

func labels(items []menuItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.label)
	}
	return out
}

func find(items []menuItem, re *regexp.Regexp) (menuItem, bool) {
	for _, it := range items {
		if re.MatchString(it.label) {
			return it, true
		}
	}
	return menuItem{}, false
}

var (
	healthLine  = regexp.MustCompile(`^(Synced|Sync failing|Offline|Throttled by Microsoft|Reconnecting|Syncing|Not synced)`)
	meetingLine = regexp.MustCompile(`^(?:[A-Z][a-z]{2} )?\d\d:\d\d  (.+)$`)
	// A failing sync names its next attempt, or says it is trying now; never "retrying soon".
	outageLine = regexp.MustCompile(`^((Offline|Sync failing) — (next try \d\d:\d\d|trying again…)|Reconnecting…)$`)
	countdown  = regexp.MustCompile(`^(.+?) in \d+ (?:min|h)`)
	underWay   = regexp.MustCompile(`^Now: (.+) · ends \d\d:\d\d$`)
	freeUntil  = regexp.MustCompile(`^Free until \d\d:\d\d$`)
)

// TestTrayOverDBus is Tailscale's systray test for caltray: a private bus, a watcher written
// here, and `caltray --demo` registering its StatusNotifierItem. The menu read over
// com.canonical.dbusmenu has "Refresh now" and the next meeting; the simulated outage,
// clicked over D-Bus, changes the icon's pixmap and the health line.
func TestTrayOverDBus(t *testing.T) {
	requireDesktop(t)
	addr := privateBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	defer conn.Close()
	w := serveWatcher(t, conn)

	a := startDemo(t, "DBUS_SESSION_BUS_ADDRESS="+addr)
	waitFor(t, a, 30*time.Second, "StatusNotifierItem registration", func() bool { return w.item() != "" })
	dest, path, _ := strings.Cut(w.item(), "/")
	tr := tray{conn: conn, dest: dest, item: dbus.ObjectPath("/" + path)}
	v, err := conn.Object(dest, tr.item).GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("the item has no Menu: %v", err)
	}
	tr.menu, _ = v.Value().(dbus.ObjectPath)

	var items []menuItem
	// Fyne rebuilds the whole menu on each change, and a layout read in the middle of a rebuild
	// lacks its last items: wait for a complete one, which ends with Quit.
	waitFor(t, a, 30*time.Second, `complete menu with "Synced" and "Refresh now"`, func() bool {
		items = tr.layout(t)
		h, ok := find(items, healthLine)
		_, refresh := find(items, regexp.MustCompile(`^Refresh now$`))
		return ok && strings.HasPrefix(h.label, "Synced") && refresh && len(items) > 0 && items[len(items)-1].label == "Quit"
	})
	// The demo calendar always has meetings in the coming days, so the menu lists some; the
	// header is one of the three forms, and names a meeting of the list.
	var titles []string
	for _, it := range items {
		if m := meetingLine.FindStringSubmatch(it.label); m != nil {
			titles = append(titles, m[1])
		}
	}
	if len(titles) == 0 {
		t.Fatalf("no meeting in the menu: %q", labels(items))
	}
	header := items[0].label
	var named string
	if m := underWay.FindStringSubmatch(header); m != nil {
		named = m[1]
	} else if m := countdown.FindStringSubmatch(header); m != nil {
		named = m[1]
	} else if header != "No more meetings today" && !freeUntil.MatchString(header) {
		t.Errorf("header %q is none of \"<meeting> in N min\", \"Free until HH:MM\", \"Now: <meeting> · ends HH:MM\", \"No more meetings today\"", header)
	}
	if named != "" {
		found := false
		for _, title := range titles {
			found = found || strings.HasPrefix(title, strings.TrimSuffix(named, "…"))
		}
		if !found {
			t.Errorf("header %q names no meeting of the menu's %q", header, titles)
		}
	}
	if strings.Count(strings.Join(labels(items), "\n"), "Quit") != 1 {
		t.Errorf("want exactly one Quit: %q", labels(items))
	}
	healthy := tr.pixmap(t)

	outage, ok := find(items, regexp.MustCompile(`^Simulate outage$`))
	if !ok {
		t.Fatalf("no Simulate outage item in the demo: %q", labels(items))
	}
	if outage.checked {
		t.Fatal("Simulate outage is checked before the first click")
	}
	tr.click(t, outage.id)
	var line string
	waitFor(t, a, 90*time.Second, "icon and health line to show the outage", func() bool {
		items = tr.layout(t)
		h, ok := find(items, healthLine)
		line = h.label
		return ok && tr.pixmap(t) != healthy && outageLine.MatchString(line)
	})
	t.Logf("during the outage: %q", line)
	if it, ok := find(items, regexp.MustCompile(`^Simulate outage$`)); !ok || !it.checked {
		t.Errorf("during the outage the Simulate outage item is not a checked check item: %+v", it)
	}
	a.stop(t)
}
