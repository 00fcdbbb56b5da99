package tray

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/assets"
	"caltray/runner"
	"caltray/runner/fakeclock"
	calsync "caltray/sync"
	"caltray/ui/ipc"
	"caltray/ui/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait polls cond (real time, 10 ms steps) for the goroutines under test; no fixed sleeps.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type fakeLoop struct {
	ch        chan calsync.Snapshot
	refreshes atomic.Int32
	mu        sync.Mutex
	settings  []calsync.Settings
}

func (l *fakeLoop) Subscribe() (<-chan calsync.Snapshot, func()) { return l.ch, func() {} }
func (l *fakeLoop) Refresh()                                     { l.refreshes.Add(1) }
func (l *fakeLoop) SetSettings(s calsync.Settings) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settings = append(l.settings, s)
	return nil
}

type fakeHost struct {
	mu    sync.Mutex
	items []model.Item
	icon  assets.State
	click func(model.Item)
	menus int
}

func (h *fakeHost) Run(ready func()) { ready() }
func (h *fakeHost) Quit()            {}
func (h *fakeHost) SetMenu(items []model.Item, click func(model.Item), quit func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.items, h.click = items, click
	h.menus++
}
func (h *fakeHost) SetIcon(s assets.State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.icon = s
}

// press clicks the first item whose label starts with prefix, as systray's goroutines do.
func (h *fakeHost) press(t *testing.T, prefix string) {
	t.Helper()
	var it model.Item
	wait(t, "menu item "+prefix, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		i := slices.IndexFunc(h.items, func(it model.Item) bool { return strings.HasPrefix(it.Label, prefix) })
		if i >= 0 {
			it = h.items[i]
		}
		return i >= 0
	})
	h.mu.Lock()
	click := h.click
	h.mu.Unlock()
	click(it)
}

// fakeChild is a window process in the test: the two pipes, a goroutine that reads what the
// tray sends into msgs, and the test's hand on what it writes.
type fakeChild struct {
	conn   *ipc.Conn // the child's end: reads the tray's messages, writes to the tray
	raw    io.Writer // to write bytes that are not messages
	msgs   chan ipc.Message
	exit   chan struct{}
	end    func()
	killed atomic.Bool
}

func (c *fakeChild) hello(t *testing.T, version int) {
	t.Helper()
	if err := c.conn.Send(ipc.Message{Type: ipc.TypeHello, Version: version}); err != nil {
		t.Fatalf("child hello: %v", err)
	}
}

func (c *fakeChild) intent(t *testing.T, in ipc.Intent) {
	t.Helper()
	if err := c.conn.Send(ipc.Message{Type: ipc.TypeIntent, Intent: &in}); err != nil {
		t.Fatalf("child intent: %v", err)
	}
}

// next returns the next message the tray sent.
func (c *fakeChild) next(t *testing.T) ipc.Message {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			t.Fatal("the tray closed the pipe")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the tray sent nothing")
	}
	return ipc.Message{}
}

type harness struct {
	t        *testing.T
	tray     *Tray
	loop     *fakeLoop
	host     *fakeHost
	clock    *fakeclock.Clock
	children chan *fakeChild
	starts   atomic.Int32
	mu       sync.Mutex
	notes    []string
	urls     []string
	done     chan struct{}
}

func newHarness(t *testing.T, edit func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, loop: &fakeLoop{ch: make(chan calsync.Snapshot, 1)}, host: &fakeHost{icon: -1},
		clock: fakeclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), children: make(chan *fakeChild, 4),
		done: make(chan struct{})}
	o := Options{
		Loop: h.loop, Settings: calsync.DefaultSettings(), SettingsPath: filepath.Join(t.TempDir(), "settings.json"),
		Host: h.host, Window: h.start, Clock: h.clock, Location: time.UTC,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notify: func(title, body string) { h.mu.Lock(); h.notes = append(h.notes, title+"|"+body); h.mu.Unlock() },
		OpenURL: func(u string) error {
			h.mu.Lock()
			h.urls = append(h.urls, u)
			h.mu.Unlock()
			return nil
		},
		HelloTimeout: 10 * time.Second,
	}
	if edit != nil {
		edit(&o)
	}
	tr, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	tr.hostReady.Store(true) // Run does this once the host is up; these tests drive run directly
	h.tray = tr
	tr.wg.Go(func() {
		defer close(h.done)
		tr.run(context.Background())
	})
	t.Cleanup(func() {
		tr.Close()
		<-h.done
	})
	return h
}

func (h *harness) start(ctx context.Context, noTray bool) (*Child, error) {
	h.starts.Add(1)
	toChildR, toChildW := io.Pipe()
	fromChildR, fromChildW := io.Pipe()
	c := &fakeChild{conn: ipc.NewConn(toChildR, fromChildW), raw: fromChildW, msgs: make(chan ipc.Message, 16), exit: make(chan struct{})}
	var once sync.Once
	c.end = func() {
		once.Do(func() {
			close(c.exit)
			toChildR.Close()
			fromChildW.Close()
		})
	}
	go func() { // the child's reader: a real window exits when its input closes
		defer close(c.msgs)
		for {
			m, err := c.conn.Receive()
			if ipc.Dropped(err) {
				continue
			}
			if err != nil {
				c.end()
				return
			}
			c.msgs <- m
		}
	}()
	h.children <- c
	return &Child{In: fromChildR, Out: toChildW, Wait: func() error { <-c.exit; return nil },
		Kill: func() { c.killed.Store(true); c.end() }}, nil
}

func (h *harness) child() *fakeChild {
	h.t.Helper()
	select {
	case c := <-h.children:
		return c
	case <-time.After(10 * time.Second):
		h.t.Fatal("no window process started")
	}
	return nil
}

func (h *harness) notifications() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.notes)
}

func snapshot(now time.Time, apps ...calsync.Appointment) calsync.Snapshot {
	return calsync.Snapshot{Appointments: apps, LastSync: now, Auth: calsync.AuthOK, Generation: 1,
		Health: calsync.Health{Status: runner.StatusOperational, Healthy: true}, Settings: calsync.DefaultSettings()}
}

func TestMenuIconAndActions(t *testing.T) {
	var outage []bool
	h := newHarness(t, func(o *Options) {
		o.Outage = func(on bool) error { outage = append(outage, on); return nil }
	})
	now := h.clock.Now()
	h.loop.ch <- snapshot(now, calsync.Appointment{ID: "a", Subject: "Standup\x1b[2J", Start: now.Add(10 * time.Minute),
		End: now.Add(40 * time.Minute), JoinURL: "https://teams.example/j"})
	wait(t, "the operational icon", func() bool {
		h.host.mu.Lock()
		defer h.host.mu.Unlock()
		return h.host.icon == assets.Operational
	})
	h.host.mu.Lock()
	for _, it := range h.host.items {
		if strings.ContainsRune(it.Label, 0x1b) {
			t.Errorf("menu label %q holds an escape character", it.Label)
		}
	}
	h.host.mu.Unlock()

	h.host.press(t, "Refresh now")
	wait(t, "a refresh", func() bool { return h.loop.refreshes.Load() == 1 })
	h.host.press(t, "Join ")
	wait(t, "the join link opened", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return slices.Equal(h.urls, []string{"https://teams.example/j"})
	})
	h.host.press(t, "Simulate outage")
	wait(t, "the outage checked", func() bool {
		h.host.mu.Lock()
		defer h.host.mu.Unlock()
		i := slices.IndexFunc(h.host.items, func(it model.Item) bool { return it.Action == model.ActionOutage })
		return i >= 0 && h.host.items[i].Checked
	})
	if !slices.Equal(outage, []bool{true}) {
		t.Errorf("outage calls %v, want [true]", outage)
	}
}

func TestReminderNotifiesInertText(t *testing.T) {
	h := newHarness(t, nil)
	now := h.clock.Now()
	h.loop.ch <- snapshot(now, calsync.Appointment{ID: "a", Subject: "Pay \u202egnp.exe", Start: now.Add(3 * time.Minute),
		End: now.Add(30 * time.Minute), Reminder: calsync.RemindBefore(5)})
	wait(t, "a reminder", func() bool { return len(h.notifications()) == 1 })
	if n := h.notifications()[0]; strings.ContainsRune(n, '\u202e') || !strings.Contains(n, "Pay gnp.exe in 3 min") {
		t.Errorf("reminder %q: want the subject with its bidi override removed", n)
	}
}

// The agenda opens a window process that gets hello, the snapshot, then show; asking again
// while it runs sends show only.
func TestShowStartsOneWindow(t *testing.T) {
	h := newHarness(t, nil)
	now := h.clock.Now()
	h.loop.ch <- snapshot(now, calsync.Appointment{ID: "a", Subject: "Review", Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)})
	h.host.press(t, "Open agenda")
	c := h.child()
	c.hello(t, ipc.Version)
	if m := c.next(t); m.Type != ipc.TypeHello || m.Version != ipc.Version {
		t.Fatalf("first message %+v, want hello", m)
	}
	m := c.next(t)
	if m.Type != ipc.TypeSnapshot || len(m.Snapshot.Events) != 1 || m.Snapshot.Events[0].Subject != "Review" || !m.Snapshot.HaveSnapshot {
		t.Fatalf("second message %+v, want the snapshot", m)
	}
	if m := c.next(t); m.Type != ipc.TypeShow || m.View != ipc.ViewAgenda {
		t.Fatalf("third message %+v, want show agenda", m)
	}
	h.host.press(t, "Preferences")
	if m := c.next(t); m.Type != ipc.TypeShow || m.View != ipc.ViewPrefs {
		t.Fatalf("got %+v, want show prefs", m)
	}
	if n := h.starts.Load(); n != 1 {
		t.Errorf("%d window processes started, want 1", n)
	}
	// A new snapshot follows to the window.
	h.loop.ch <- snapshot(now)
	if m := c.next(t); m.Type != ipc.TypeSnapshot || len(m.Snapshot.Events) != 0 {
		t.Fatalf("got %+v, want the new snapshot", m)
	}
}

// Garbage, oversized lines, unknown types and bad intents from the window are dropped; the
// good intent after them is done, and the window keeps running.
func TestWindowGarbageIsDropped(t *testing.T) {
	h := newHarness(t, nil)
	h.host.press(t, "Open agenda")
	c := h.child()
	c.hello(t, ipc.Version)
	io.WriteString(c.raw, "\x00\x01garbage\n")
	io.WriteString(c.raw, `{"type":"intent","intent":{"kind":"rm-rf"}}`+"\n")
	io.WriteString(c.raw, `{"type":"show","view":"agenda"}`+"\n") // not for the tray
	io.WriteString(c.raw, `{"type":"log","text":"`+strings.Repeat("x", ipc.MaxLine)+`"}`+"\n")
	c.intent(t, ipc.Intent{Kind: ipc.IntentOpenURL, URL: "javascript:alert(1)"})
	c.intent(t, ipc.Intent{Kind: ipc.IntentOpenURL, URL: "file:///etc/passwd"})
	c.intent(t, ipc.Intent{Kind: ipc.IntentRefresh})
	wait(t, "the refresh intent", func() bool { return h.loop.refreshes.Load() == 1 })
	h.mu.Lock()
	urls := slices.Clone(h.urls)
	h.mu.Unlock()
	if len(urls) != 0 {
		t.Errorf("opened %q: only http(s) links may be opened", urls)
	}
	if c.killed.Load() {
		t.Error("the window was killed for messages that are merely dropped")
	}
}

func TestSaveSettingsIntent(t *testing.T) {
	var login []bool
	h := newHarness(t, func(o *Options) {
		o.Autostart = func(on bool) error { login = append(login, on); return nil }
	})
	h.host.press(t, "Preferences")
	c := h.child()
	c.hello(t, ipc.Version)
	s := calsync.DefaultSettings()
	s.WindowDays = 3
	c.intent(t, ipc.Intent{Kind: ipc.IntentSaveSettings, Settings: &s, StartAtLogin: true})
	wait(t, "the settings applied", func() bool {
		h.loop.mu.Lock()
		defer h.loop.mu.Unlock()
		return len(h.loop.settings) == 1 && h.loop.settings[0].WindowDays == 3
	})
	got, err := calsync.LoadSettings(h.tray.o.SettingsPath)
	if err != nil || got.WindowDays != 3 {
		t.Errorf("settings file: %+v, %v", got, err)
	}
	// Invalid settings from the window are refused, not written.
	bad := s
	bad.WindowDays = 1000
	c.intent(t, ipc.Intent{Kind: ipc.IntentSaveSettings, Settings: &bad})
	wait(t, "a notification of the refusal", func() bool { return len(h.notifications()) == 1 })
	if got, _ := calsync.LoadSettings(h.tray.o.SettingsPath); got.WindowDays != 3 {
		t.Errorf("bad settings were written: %+v", got)
	}
	if !slices.Equal(login, []bool{true}) {
		t.Errorf("autostart calls %v, want [true]", login)
	}
}

func TestWindowProtocolFailures(t *testing.T) {
	tests := []struct {
		name  string
		child func(t *testing.T, h *harness, c *fakeChild)
	}{
		{"unknown version", func(t *testing.T, h *harness, c *fakeChild) { c.hello(t, ipc.Version+1) }},
		{"never answers", func(t *testing.T, h *harness, c *fakeChild) {
			// The hello watchdog's timer, and the owner's minute timer.
			h.clock.WaitForTimers(2, nil)
			h.clock.Advance(10 * time.Second)
		}},
		{"not a hello first", func(t *testing.T, h *harness, c *fakeChild) { c.intent(t, ipc.Intent{Kind: ipc.IntentRefresh}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.host.press(t, "Open agenda")
			c := h.child()
			tt.child(t, h, c)
			wait(t, "the window killed", c.killed.Load)
			if h.loop.refreshes.Load() != 0 {
				t.Error("an intent before the hello was done")
			}
			// The tray goes on: its menu still works.
			h.host.press(t, "Refresh now")
			wait(t, "a refresh from the menu", func() bool { return h.loop.refreshes.Load() == 1 })
		})
	}
}

// A window that died is not restarted by itself; asking again starts a new one.
func TestDeadWindowRestartsOnlyWhenAsked(t *testing.T) {
	h := newHarness(t, nil)
	h.host.press(t, "Open agenda")
	c := h.child()
	c.hello(t, ipc.Version)
	c.next(t) // hello
	c.end()   // crash
	h.loop.ch <- snapshot(h.clock.Now())
	h.host.press(t, "Refresh now")
	wait(t, "the tray still working", func() bool { return h.loop.refreshes.Load() == 1 })
	if n := h.starts.Load(); n != 1 {
		t.Fatalf("%d starts before asking again, want 1", n)
	}
	h.host.press(t, "Open agenda")
	c2 := h.child()
	c2.hello(t, ipc.Version)
	if m := c2.next(t); m.Type != ipc.TypeHello {
		t.Fatalf("new window got %+v first", m)
	}
	if n := h.starts.Load(); n != 2 {
		t.Errorf("%d starts, want 2", n)
	}
}

// The tray quitting closes the window's input: the window (here, its reader) sees EOF.
func TestQuitClosesWindow(t *testing.T) {
	h := newHarness(t, nil)
	h.host.press(t, "Open agenda")
	c := h.child()
	c.hello(t, ipc.Version)
	c.next(t)
	h.tray.Close()
	select {
	case <-c.exit:
	case <-time.After(10 * time.Second):
		t.Fatal("the window did not see the tray quit")
	}
	if c.killed.Load() {
		t.Error("the window was killed; it should have ended on EOF")
	}
}

// Without a tray host the window is shown at once, and its end is the tray's end.
func TestNoHostWindowIsTheApp(t *testing.T) {
	loop := &fakeLoop{ch: make(chan calsync.Snapshot, 1)}
	children := make(chan *Child, 1)
	var exits []func()
	o := Options{Loop: loop, Settings: calsync.DefaultSettings(), Location: time.UTC,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Window: func(ctx context.Context, noTray bool) (*Child, error) {
			if !noTray {
				t.Error("the window was not told there is no tray")
			}
			toR, toW := io.Pipe()
			fromR, fromW := io.Pipe()
			exit := make(chan struct{})
			var once sync.Once
			end := func() { once.Do(func() { close(exit); toR.Close(); fromW.Close() }) }
			exits = append(exits, end)
			ch := &Child{In: fromR, Out: toW, Wait: func() error { <-exit; return nil }, Kill: end}
			children <- ch
			go io.Copy(io.Discard, toR)
			return ch, nil
		}}
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), o) }()
	select {
	case <-children:
	case <-time.After(10 * time.Second):
		t.Fatal("no window without a tray")
	}
	exits[0]() // the user closed it
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end with its window")
	}
}

func TestOptionsCheck(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without Loop and Window succeeded")
	}
	_, err := New(Options{Loop: &fakeLoop{}, Window: func(context.Context, bool) (*Child, error) { return nil, errors.New("x") },
		Settings: calsync.DefaultSettings(), SignIn: func(context.Context, SignInRequest) error { return nil }})
	if err == nil {
		t.Error("SignIn without SignOut accepted")
	}
}

// gatedHost is a host whose native start takes a while, like systray's on a busy bus.
type gatedHost struct {
	fakeHost
	release, quit chan struct{}
	quitOnce      sync.Once
	up, early     atomic.Bool
}

func (g *gatedHost) Run(ready func()) {
	<-g.release
	g.up.Store(true)
	ready()
	<-g.quit
}
func (g *gatedHost) Quit() { g.quitOnce.Do(func() { close(g.quit) }) }
func (g *gatedHost) SetMenu(items []model.Item, click func(model.Item), quit func()) {
	if !g.up.Load() {
		g.early.Store(true)
	}
	g.fakeHost.SetMenu(items, click, quit)
}
func (g *gatedHost) SetIcon(s assets.State) {
	if !g.up.Load() {
		g.early.Store(true)
	}
	g.fakeHost.SetIcon(s)
}

// Run touches the host only after it is ready (systray's menu calls race with its start), and
// ends when ctx does.
func TestRunWaitsForTheHost(t *testing.T) {
	// Unbuffered: a send returns only when the owner goroutine takes the snapshot.
	loop := &fakeLoop{ch: make(chan calsync.Snapshot)}
	host := &gatedHost{fakeHost: fakeHost{icon: -1}, release: make(chan struct{}), quit: make(chan struct{})}
	o := Options{Loop: loop, Settings: calsync.DefaultSettings(), Location: time.UTC, Host: host,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Window: func(context.Context, bool) (*Child, error) { return nil, errors.New("no window here") }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	loop.ch <- snapshot(time.Now())
	// The owner takes the second snapshot only once it has rendered the first, which would
	// have touched the host had it not waited for it to be ready.
	loop.ch <- snapshot(time.Now())
	close(host.release)
	wait(t, "the menu after ready", func() bool {
		host.mu.Lock()
		defer host.mu.Unlock()
		return host.menus > 0 && host.icon == assets.Operational
	})
	if host.early.Load() {
		t.Error("the host was used before it was ready")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end with its context")
	}
}

// With a host but no tray to show it in yet (no StatusNotifierWatcher), the window opens at
// once, says there is no tray, and its closing would end caltray; once a tray appears the
// window hears so, and its closing leaves caltray running in its icon.
func TestNoTrayHostUntilOneAppears(t *testing.T) {
	cases := []struct {
		name        string
		appears     bool
		wantRunning bool // after the window closes
	}{
		{"no tray appears: closing the window quits", false, false},
		{"a tray appears: caltray stays in it", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &harness{t: t, children: make(chan *fakeChild, 4)}
			loop := &fakeLoop{ch: make(chan calsync.Snapshot, 1)}
			host := &gatedHost{fakeHost: fakeHost{icon: -1}, release: make(chan struct{}), quit: make(chan struct{})}
			close(host.release)
			appeared := make(chan struct{})
			var noTray []bool
			var mu sync.Mutex
			o := Options{Loop: loop, Settings: calsync.DefaultSettings(), Location: time.UTC, Host: host,
				NoTrayHost: true, TrayHostAppeared: appeared,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Window: func(ctx context.Context, nt bool) (*Child, error) {
					mu.Lock()
					noTray = append(noTray, nt)
					mu.Unlock()
					return h.start(ctx, nt)
				}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- Run(ctx, o) }()
			loop.ch <- snapshot(time.Now())

			c := h.child() // opened with no click: the window stands in for the tray
			c.hello(t, ipc.Version)
			if m := c.next(t); m.Type != ipc.TypeHello {
				t.Fatalf("first message %+v, want hello", m)
			}
			for m := c.next(t); m.Type != ipc.TypeShow; m = c.next(t) {
				if m.Type == ipc.TypeSnapshot && !m.Snapshot.NoTray {
					t.Fatal("a snapshot before the tray appeared says there is a tray")
				}
			}
			wait(t, "the icon set up all the same", func() bool {
				host.mu.Lock()
				defer host.mu.Unlock()
				return host.menus > 0
			})
			if tc.appears {
				close(appeared)
				for m := c.next(t); m.Type != ipc.TypeSnapshot || m.Snapshot.NoTray; m = c.next(t) {
				}
			}
			c.end() // the user closes the window
			select {
			case err := <-done:
				if tc.wantRunning {
					t.Fatalf("Run ended (%v) with the window, though a tray had appeared", err)
				}
			case <-time.After(300 * time.Millisecond):
				if !tc.wantRunning {
					t.Fatal("Run did not end with the window, though there is no tray")
				}
				cancel()
				<-done
			}
			mu.Lock()
			defer mu.Unlock()
			if len(noTray) != 1 || !noTray[0] {
				t.Errorf("window starts told noTray = %v, want [true]", noTray)
			}
		})
	}
}

// wallClock is a wall clock that jumps while the timers (which, like Go's, do not count a
// suspend) stay where they were: Now is the fake clock plus the time slept.
type wallClock struct {
	*fakeclock.Clock
	mu    sync.Mutex
	slept time.Duration
}

func (w *wallClock) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Clock.Now().Add(w.slept)
}

func (w *wallClock) sleep(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.slept += d
}

// At a wake the tray checks its reminders at once, on the wall clock: the meeting whose
// reminder fell during a 40-minute suspend is announced without waiting for a timer.
func TestWakeChecksRemindersAtOnce(t *testing.T) {
	wake := make(chan struct{}, 1)
	var wall *wallClock
	h := newHarness(t, func(o *Options) {
		wall = &wallClock{Clock: o.Clock.(*fakeclock.Clock)}
		o.Clock, o.Wake = wall, wake
	})
	now := h.clock.Now() // 09:00
	h.loop.ch <- snapshot(now, calsync.Appointment{ID: "a", Subject: "Review", Start: now.Add(50 * time.Minute),
		End: now.Add(time.Hour), Reminder: calsync.RemindBefore(15)}) // reminds at 09:35
	wait(t, "the snapshot rendered", func() bool {
		h.host.mu.Lock()
		defer h.host.mu.Unlock()
		return len(h.host.items) > 0 && h.host.items[0].Label == "Review in 50 min"
	})
	h.clock.WaitForTimers(1, nil) // the owner waits for its timer: idle
	if len(h.notifications()) != 0 {
		t.Fatalf("reminded early: %q", h.notifications())
	}
	wall.sleep(40 * time.Minute) // 09:40 on the wall; the timers paused
	wake <- struct{}{}
	wait(t, "the reminder at the wake", func() bool { return len(h.notifications()) == 1 })
	if n := h.notifications()[0]; !strings.HasPrefix(n, "Review in 10 min|") {
		t.Errorf("notification %q, want Review in 10 min", n)
	}
}

// With "Show a window when a meeting starts", the start of a meeting opens the window process
// on that meeting; its "Snooze 1 min" brings it back a minute later, its Dismiss does not.
// Without the setting, no window opens.
func TestStartWindow(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("setting ", on), func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.Settings.StartWindow = on })
			now := h.clock.Now() // 09:00
			h.loop.ch <- snapshot(now, calsync.Appointment{ID: "a", Subject: "Standup\u202e", Start: now.Add(2 * time.Minute),
				End: now.Add(20 * time.Minute), JoinURL: "https://teams.example/j"})
			wait(t, "the snapshot rendered", func() bool {
				h.host.mu.Lock()
				defer h.host.mu.Unlock()
				return len(h.host.items) > 0 && strings.HasPrefix(h.host.items[0].Label, "Standup in 2 min")
			})
			step := func(d time.Duration) { // once the owner waits for its timer
				h.clock.WaitForTimers(1, nil)
				h.clock.Advance(d)
			}
			step(2 * time.Minute) // 09:02: it starts
			if !on {
				barrier := make(chan struct{})
				h.tray.Post(func() { close(barrier) })
				<-barrier
				if n := h.starts.Load(); n != 0 {
					t.Fatalf("%d windows without the setting", n)
				}
				return
			}
			c := h.child()
			c.hello(t, ipc.Version)
			c.next(t) // hello
			c.next(t) // snapshot
			m := c.next(t)
			if m.Type != ipc.TypeShow || m.View != ipc.ViewMeeting || m.Meeting == nil ||
				m.Meeting.Title != "Standup is starting now" || m.Meeting.JoinURL != "https://teams.example/j" {
				t.Fatalf("got %+v (meeting %+v), want the meeting's window", m, m.Meeting)
			}
			c.intent(t, ipc.Intent{Kind: ipc.IntentSnooze, Key: m.Meeting.Key})
			wait(t, "the snooze taken", func() bool { d, _ := h.clock.NextDeadline(); return d.Equal(now.Add(3 * time.Minute)) })
			step(time.Minute) // 09:03
			m2 := c.next(t)
			for m2.Type == ipc.TypeSnapshot {
				m2 = c.next(t)
			}
			if m2.View != ipc.ViewMeeting || m2.Meeting.Title != "Started 1 min ago: Standup" {
				t.Fatalf("after the snooze: %+v (meeting %+v)", m2, m2.Meeting)
			}
			c.intent(t, ipc.Intent{Kind: ipc.IntentDismiss, Key: m2.Meeting.Key})
			c.intent(t, ipc.Intent{Kind: ipc.IntentRefresh}) // after the dismiss: a marker it was read
			wait(t, "the intents read", func() bool { return h.loop.refreshes.Load() == 1 })
			for range 3 {
				step(time.Minute)
			}
			barrier := make(chan struct{})
			h.tray.Post(func() { close(barrier) })
			<-barrier
			for {
				select {
				case m := <-c.msgs:
					if m.Type == ipc.TypeShow {
						t.Fatalf("after Dismiss: %+v", m)
					}
					continue
				default:
				}
				break
			}
		})
	}
}
