package tray

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
	"github.com/pkg/browser"

	calsync "caltray/sync"
	"caltray/ui/ipc"
)

// noteServer is the test's own org.freedesktop.Notifications: it records every Notify, its
// actions included, and invokes actions as a desktop's notification server does when the
// user clicks (ActionInvoked, then NotificationClosed).
type noteServer struct {
	conn  *dbus.Conn
	mu    sync.Mutex
	notes []sentNote
	caps  []string // what GetCapabilities lists; nil for "actions" and "body"
}

type sentNote struct {
	id            uint32
	summary, body string
	actions       []string // key, label, key, label…
	timeoutMillis int32
	desktopEntry  string
}

const (
	notifyPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyIface = "org.freedesktop.Notifications"
)

func (s *noteServer) GetCapabilities() ([]string, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.caps != nil {
		return slices.Clone(s.caps), nil
	}
	return []string{"actions", "body"}, nil
}

// setCaps makes the server list caps, before a Desktop first asks.
func (s *noteServer) setCaps(caps ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caps = caps
}

func (s *noteServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := sentNote{id: uint32(len(s.notes) + 1), summary: summary, body: body, actions: actions, timeoutMillis: timeout}
	if v, ok := hints["desktop-entry"]; ok {
		n.desktopEntry, _ = v.Value().(string)
	}
	s.notes = append(s.notes, n)
	return n.id, nil
}

func (s *noteServer) CloseNotification(id uint32) *dbus.Error { return nil }

func (s *noteServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "caltray-test", "caltray", "1", "1.2", nil
}

func (s *noteServer) sent() []sentNote {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes)
}

// click invokes action on notification id, as the server does when the user clicks it.
func (s *noteServer) click(t *testing.T, id uint32, action string) {
	t.Helper()
	if err := s.conn.Emit(notifyPath, notifyIface+".ActionInvoked", id, action); err != nil {
		t.Fatal(err)
	}
	if err := s.conn.Emit(notifyPath, notifyIface+".NotificationClosed", id, uint32(2)); err != nil {
		t.Fatal(err)
	}
}

// startNoteServer owns org.freedesktop.Notifications on the session bus for the test.
func startNoteServer(t *testing.T) *noteServer {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs a D-Bus session: run under scripts/with-desktop.sh (make test does)")
	}
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	s := &noteServer{conn: conn}
	if err := conn.Export(s, notifyPath, notifyIface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(notifyIface, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s (another notification server runs in this session?): %v %v", notifyIface, reply, err)
	}
	return s
}

// fakeXdgOpen puts an xdg-open first on PATH that appends the link it gets to a file, and
// returns a function reading the links opened so far.
func fakeXdgOpen(t *testing.T) func() []string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + log + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return func() []string {
		data, _ := os.ReadFile(log)
		return strings.Fields(string(data))
	}
}

// The reminder's way through the real desktop path: the tray's Desktop on the session bus,
// esiqveland/notify, a notification server of the test's own, the action clicked there, and
// the link opened by pkg/browser through xdg-open (a fake one, first on PATH).
func TestReminderNotificationActions(t *testing.T) {
	const join = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%7d&a=1"
	tests := []struct {
		action string
		// until is the title of the notification to wait for after the click, moving the fake
		// clock a minute at a time: the snoozed reminder, or (when nothing may come back) the
		// control meeting's reminder at 09:10.
		until     string
		wantAgain []string // the titles after the first, in order
		wantOpen  bool
		wantShow  bool
	}{
		{"join", "Control in 10 min", []string{"Control in 10 min"}, true, false},
		{"snooze", "Standup in 5 min", []string{"Standup in 5 min"}, false, false},
		{"snooze-start", "Standup is starting now", []string{"Control in 10 min", "Standup is starting now"}, false, false},
		{"dismiss", "Control in 10 min", []string{"Control in 10 min"}, false, false},
		{"default", "Control in 10 min", []string{"Control in 10 min"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			srv := startNoteServer(t)
			opened := fakeXdgOpen(t)
			d, err := OpenDesktop(slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			acted := make(chan NoteAction, 1)
			h := newHarness(t, func(o *Options) {
				o.Notify, o.Show, o.OpenURL = d.Notify, d.Show(), browser.OpenURL
				// The real Remind; the test also hears of the action, once the tray has it.
				o.Remind = func(n Note, act func(NoteAction)) {
					d.Remind(n, func(a NoteAction) { act(a); acted <- a })
				}
			})
			now := h.clock.Now() // 09:00 UTC
			standup := calsync.Appointment{ID: "s", Subject: "Standup", Location: "Room 4", JoinURL: join,
				Start: now.Add(10 * time.Minute), End: now.Add(25 * time.Minute), Reminder: calsync.RemindBefore(10)}
			control := calsync.Appointment{ID: "c", Subject: "Control", Start: now.Add(20 * time.Minute),
				End: now.Add(30 * time.Minute), Reminder: calsync.RemindBefore(10)}
			h.loop.ch <- snapshot(now, standup, control)

			wait(t, "the reminder", func() bool { return len(srv.sent()) == 1 })
			first := srv.sent()[0]
			if first.summary != "Standup in 10 min" || first.body != "09:10 – 09:25, Room 4" || first.desktopEntry != "caltray" {
				t.Errorf("notification %+v", first)
			}
			wantActions := []string{"default", "Open agenda", "join", "Join", "snooze", "Snooze 5 min",
				"snooze-start", "Until it starts", "dismiss", "Dismiss"}
			if !slices.Equal(first.actions, wantActions) {
				t.Errorf("actions %q, want %q", first.actions, wantActions)
			}
			if first.timeoutMillis != 0 {
				t.Errorf("expire timeout %d ms; a reminder stays until the user acts (0)", first.timeoutMillis)
			}

			srv.click(t, first.id, tt.action)
			select {
			case a := <-acted:
				if string(a) != tt.action {
					t.Fatalf("the tray got %q, want %q", a, tt.action)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the action did not reach the tray")
			}
			done := make(chan struct{})
			h.tray.Post(func() { close(done) }) // after the action's own work, which was posted first
			<-done
			if tt.wantOpen {
				wait(t, "xdg-open", func() bool { return len(opened()) == 1 })
				if got := opened(); got[0] != join {
					t.Errorf("xdg-open got %q, want %q", got[0], join)
				}
			}
			if tt.wantShow {
				c := h.child()
				c.hello(t, ipc.Version)
				c.next(t) // hello
				c.next(t) // snapshot
				if m := c.next(t); m.Type != ipc.TypeShow || m.View != ipc.ViewAgenda || m.Event != "s" {
					t.Errorf("the window got %+v, want the agenda on the meeting", m)
				}
				c.end()
				// The window's hello watchdog stops with it; then the owner's is the one timer.
				wait(t, "the window's watchdog gone", func() bool { return h.clock.Pending() <= 1 })
			}
			// Move the clock a minute at a time until the awaited notification arrives; what
			// came with it or before is then all there is. Each move waits until the owner
			// has set its timer, so it has rendered the previous minute and renders this one.
			deadline := time.Now().Add(10 * time.Second)
			for !slices.ContainsFunc(srv.sent(), func(n sentNote) bool { return n.summary == tt.until }) {
				if time.Now().After(deadline) || h.clock.Now().After(now.Add(30*time.Minute)) {
					t.Fatalf("no %q; sent %v", tt.until, srv.sent())
				}
				h.clock.WaitForTimers(1, nil)
				h.clock.Advance(time.Minute)
				time.Sleep(5 * time.Millisecond) // a poll interval, not a timing assumption
			}
			barrier := make(chan struct{})
			h.tray.Post(func() { close(barrier) }) // the render that sent it has finished
			<-barrier
			var again []string
			for _, n := range srv.sent()[1:] {
				again = append(again, n.summary)
			}
			if !slices.Equal(again, tt.wantAgain) {
				t.Errorf("after %s: %q, want %q", tt.action, again, tt.wantAgain)
			}
			if !tt.wantOpen && len(opened()) != 0 {
				t.Errorf("opened %q without Join: nothing is joined by itself", opened())
			}
		})
	}
}

// A meeting's location is anyone's text. Where the notification server reads the body as
// markup ("body-markup"), caltray escapes it, so a location that is a link (or an image, or
// bold) shows as the text it is; where the server shows the body as plain text, it is sent as
// it is. The summary is plain text by the spec, and never escaped.
func TestReminderNotificationBodyMarkup(t *testing.T) {
	const location = `<a href="https://evil.example">R&D</a>`
	tests := []struct {
		name     string
		caps     []string
		wantBody string
	}{
		{"a server that reads markup", []string{"actions", "body", "body-markup", "body-hyperlinks"},
			`09:10 – 09:25, &lt;a href="https://evil.example"&gt;R&amp;D&lt;/a&gt;`},
		{"a server that shows plain text", []string{"actions", "body"},
			"09:10 – 09:25, " + location},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startNoteServer(t)
			srv.setCaps(tt.caps...)
			d, err := OpenDesktop(slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			h := newHarness(t, func(o *Options) { o.Notify, o.Remind = d.Notify, d.Remind })
			now := h.clock.Now() // 09:00 UTC
			h.loop.ch <- snapshot(now, calsync.Appointment{ID: "r", Subject: "R&D <sync>", Location: location,
				Start: now.Add(10 * time.Minute), End: now.Add(25 * time.Minute), Reminder: calsync.RemindBefore(10)})
			wait(t, "the reminder", func() bool { return len(srv.sent()) == 1 })
			if n := srv.sent()[0]; n.summary != "R&D <sync> in 10 min" || n.body != tt.wantBody {
				t.Errorf("summary %q, body %q; want %q, %q", n.summary, n.body, "R&D <sync> in 10 min", tt.wantBody)
			}
		})
	}
}

// logind's PrepareForSleep(false) reaches Desktop.Wake; PrepareForSleep(true) (going to
// sleep) and the same signal from anyone but logind do not. The test's session bus stands in
// for the system bus, and the test owns logind's name on it.
func TestDesktopWake(t *testing.T) {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		t.Skip("needs a D-Bus session: run under scripts/with-desktop.sh (make test does)")
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	connect := func() *dbus.Conn {
		conn, err := dbus.SessionBusPrivate()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if err := conn.Auth(nil); err != nil {
			t.Fatal(err)
		}
		if err := conn.Hello(); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	logind, impostor := connect(), connect()
	if reply, err := logind.RequestName(login1Name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s: %v %v", login1Name, reply, err)
	}
	d, err := OpenDesktop(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if d.Wake() == nil {
		t.Fatal("no wake channel although logind's name is on the bus")
	}
	emit := func(c *dbus.Conn, sleeping bool) {
		if err := c.Emit(login1Path, login1Iface+".PrepareForSleep", sleeping); err != nil {
			t.Fatal(err)
		}
	}
	emit(logind, true)
	emit(impostor, false)
	emit(logind, false) // the signals arrive in order: only this one may wake
	select {
	case <-d.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no wake")
	}
	// Nothing else was queued: going to sleep and the impostor's wake were ignored.
	emit(logind, false)
	select {
	case <-d.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no second wake")
	}
	select {
	case <-d.Wake():
		t.Error("a wake too many")
	default:
	}
}

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
