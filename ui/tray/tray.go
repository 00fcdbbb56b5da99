// Package tray is caltray's tray process: the icon and menu through fyne.io/systray directly
// (a D-Bus StatusNotifierItem on Linux, Shell_NotifyIcon on Windows, NSStatusItem on macOS),
// the reminders and notifications, and the one owner of the state the window process shows.
// It never starts Fyne's app or driver, so while no window is open nothing ticks: the process
// sleeps until a snapshot, a click, a reminder or the next whole minute.
//
// As in Tailscale's client/systray, one goroutine (the owner, run) owns every piece of state:
// snapshots arrive on the loop's latest-wins channel, everything else (menu clicks, the
// window's intents, a second caltray asking to show the agenda) is posted to it as a function
// on a buffered channel, and changes wake it through a buffered(1) channel. It rebuilds the
// menu from the view model (package model) only when the items changed.
//
// The window process (package ui, started by Options.Window) gets snapshots and "show <view>"
// over package ipc and sends back intents; this package does them. It imports no Fyne.
package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"caltray/assets"
	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/inert"
	"caltray/ui/ipc"
	"caltray/ui/model"
)

// Loop is what the tray needs of the sync loop (*calsync.Loop has it).
type Loop interface {
	Subscribe() (<-chan calsync.Snapshot, func())
	Refresh()
	SetSettings(calsync.Settings) error
}

// Host is the tray icon and menu. The real one is fyne.io/systray (NewSystray); tests record.
type Host interface {
	// Run shows the icon and blocks until Quit. ready runs (once, on any goroutine) when the
	// menu and icon may be set.
	Run(ready func())
	Quit()
	// SetMenu replaces the menu: items, then a separator and Quit. click and quit are called
	// on the host's goroutines.
	SetMenu(items []model.Item, click func(model.Item), quit func())
	SetIcon(assets.State)
}

// Options configure Run.
type Options struct {
	Loop     Loop             // required
	Settings calsync.Settings // the settings the loop runs with
	// SettingsPath is where the window's "Save" writes; the tray process alone writes it.
	SettingsPath string
	// SettingsDefaults are the defaults in force, the managed configuration's over the
	// built-in ones: "Save" writes only the settings that differ from them, so that an
	// administrator's later change reaches what the user did not change. Zero: the built-in
	// defaults.
	SettingsDefaults calsync.Settings

	// SignIn runs an interactive sign-in the sign-in window asked for (it may open a browser;
	// see SignInRequest) and SignOut the sign-out; both nil: no account to manage. An error
	// that is a *calsync.SignInFailure (errors.As) is shown by its kind.
	SignIn  func(context.Context, SignInRequest) error
	SignOut func() error
	// NeedsClientID reports that no configuration gives a client ID: the sign-in window asks
	// for it. Nil: never asks.
	NeedsClientID func() bool
	// SignInFirst opens the sign-in window at start (nobody is signed in yet).
	SignInFirst bool
	// SettingSources says where each sign-in setting comes from, for the Preferences window;
	// nil: not shown. Called on the owner goroutine with each snapshot sent to the window.
	SettingSources func() []ipc.SettingSource
	// Outage, when set, adds the demo's "Simulate outage" item.
	Outage func(on bool) error

	Host Host // nil: no tray at all (the window stands in, and its closing quits)
	// NoTrayHost says the desktop has no tray host yet (no StatusNotifierWatcher: GNOME without
	// the AppIndicator extension). The Host runs all the same, ready to be shown, and the window
	// stands in, with a banner, until TrayHostAppeared is closed: from then on the icon is there
	// (fyne.io/systray registers it by itself when a watcher appears) and the window's closing
	// no longer quits caltray. Used only with a Host.
	NoTrayHost       bool
	TrayHostAppeared <-chan struct{}
	Window           WindowStarter // starts the window process; required
	// Notify shows a desktop notification; the text is made inert here first. nil: logged.
	Notify func(title, body string)
	// Remind shows a meeting's reminder with its actions and calls act (on any goroutine)
	// with the one the user picks. nil: reminders go out through Notify, as text.
	Remind func(n Note, act func(NoteAction))
	// OpenURL opens an http(s) link in the browser; the tray has checked its scheme.
	OpenURL func(string) error
	// Autostart turns start at login on or off; nil: not offered (the setting is ignored).
	Autostart func(on bool) error
	// Show receives "show the agenda" requests from a second caltray (see Claim).
	Show <-chan string
	// Wake says the computer woke from sleep (Desktop.Wake); the tray checks its reminders at
	// once instead of at its next timer, which did not count the sleep. nil: none.
	Wake <-chan struct{}

	// HelloTimeout is how long a new window process has to say hello before it is killed as
	// hung; 0 means 10 s.
	HelloTimeout time.Duration

	Logger   *slog.Logger   // nil: slog.Default()
	Clock    runner.Clock   // nil: the wall clock
	Location *time.Location // nil: time.Local
}

func (o *Options) check() error {
	if o.Loop == nil || o.Window == nil {
		return errors.New("tray: Options.Loop and Options.Window are required")
	}
	if (o.SignIn == nil) != (o.SignOut == nil) {
		return errors.New("tray: set both Options.SignIn and Options.SignOut, or neither")
	}
	if err := o.Settings.Validate(); err != nil {
		return fmt.Errorf("tray: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = runner.SystemClock
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = 10 * time.Second
	}
	return nil
}

// Tray is the running tray process's state. Everything but the channels belongs to the owner
// goroutine.
type Tray struct {
	o    Options
	kick chan struct{} // buffered(1): the state changed, render again
	post chan func()   // work for the owner goroutine: clicks, intents, window events

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Owner goroutine only.
	snap        calsync.Snapshot
	haveSnap    bool
	outage      bool
	settings    calsync.Settings
	items       []model.Item
	icon        assets.State
	rendered    bool
	reminders   *model.Reminders
	starts      *model.Reminders // the meetings' starts, for the start window (see startWindows)
	win         *window
	accountBusy bool
	signin      signInState

	freed bool // FreeOSMemory has run after the first sync

	hostReady atomic.Bool // the host's Run has called ready: menu and icon may be set
	// noHost: no tray shows the icon now, so the window stands in and its end is caltray's
	// end. Read by the window's goroutines, hence atomic; written by the owner.
	noHost atomic.Bool
}

// Run runs the tray until ctx ends or the user quits. With a Host it blocks in Host.Run (on
// macOS that must be the main goroutine); without one the window is shown at once and its
// closing ends Run.
func Run(ctx context.Context, o Options) error {
	t, err := New(o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t.wg.Go(func() { t.run(ctx) })
	// The Quit item and the end of a tray-less window cancel t.ctx; signals cancel ctx.
	if t.noHost.Load() {
		t.o.Logger.Warn("no system tray found (on GNOME, install the \"AppIndicator and KStatusNotifierItem Support\" " +
			"extension, package gnome-shell-extension-appindicator); showing the agenda window instead")
		t.Post(func() { t.show(ipc.ViewAgenda) })
	}
	// After the agenda, so that the sign-in window opens over it: it is what a first start is
	// about.
	if o.SignInFirst && o.SignIn != nil {
		t.Post(t.openSignIn)
	}
	if o.Host == nil {
		select {
		case <-ctx.Done():
		case <-t.ctx.Done():
		}
	} else {
		t.wg.Go(func() {
			select {
			case <-ctx.Done():
			case <-t.ctx.Done():
			}
			o.Host.Quit()
		})
		// Nothing touches the host before it is ready: systray's menu and icon calls race
		// with its native start.
		o.Host.Run(func() {
			t.hostReady.Store(true)
			t.changed()
		})
		cancel()
	}
	t.Close()
	return nil
}

// New returns a Tray that is not running yet (tests drive run themselves).
func New(o Options) (*Tray, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tray{o: o, kick: make(chan struct{}, 1), post: make(chan func(), 64), ctx: ctx, cancel: cancel,
		settings: o.Settings, icon: -1, reminders: model.NewReminders(), starts: model.NewReminders()}
	t.noHost.Store(o.Host == nil || o.NoTrayHost)
	return t, nil
}

// hostAppeared runs on the owner goroutine when a tray host appears after a start without
// one: the icon is there now, so the window loses its banner and its closing no longer quits.
func (t *Tray) hostAppeared() {
	if !t.noHost.Swap(false) {
		return
	}
	t.o.Logger.Info("a system tray appeared: caltray now lives in its icon")
	t.sendSnapshot()
}

// Close ends the tray's goroutines, and the window process with them, and waits.
func (t *Tray) Close() {
	t.cancel()
	t.wg.Wait()
}

// Post runs f on the owner goroutine. It never blocks for long: when the queue is full (the
// owner is stuck, which is a bug) the work is dropped and logged rather than hang a caller
// such as the D-Bus menu handler.
func (t *Tray) Post(f func()) {
	select {
	case t.post <- f:
	case <-t.ctx.Done():
	case <-time.After(time.Second):
		t.o.Logger.Error("tray: the owner goroutine is not taking work; dropped an action")
	}
}

func (t *Tray) changed() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// run is the owner goroutine: it renders, then sleeps until something happens.
func (t *Tray) run(ctx context.Context) {
	defer t.cancel()
	snaps, unsubscribe := t.o.Loop.Subscribe()
	defer unsubscribe()
	defer t.closeWindow()
	clock := t.o.Clock
	var appeared <-chan struct{}
	if t.o.Host != nil && t.o.NoTrayHost {
		appeared = t.o.TrayHostAppeared
	}
	for {
		now := clock.Now()
		next := t.render(now)
		timer := clock.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-t.ctx.Done():
			timer.Stop()
			return
		case s, ok := <-snaps:
			if !ok {
				snaps = nil // the loop stopped: keep showing the last state
				break
			}
			t.snap, t.haveSnap = s, true
			t.sendSnapshot()
			if !s.LastSync.IsZero() && !t.freed {
				// The start-up garbage (parsing the first sync, building the menu) is freed now,
				// at once, rather than by the runtime's background scavenger in many small
				// steps during the first minutes, each a wake-up (measured: ~60 voluntary
				// context switches about a minute after start; see BENCHMARKS.md).
				t.freed = true
				debug.FreeOSMemory()
			}
		case f := <-t.post:
			f()
		case view := <-t.o.Show:
			t.show(view)
		case <-appeared:
			appeared = nil // closed: once is all
			t.hostAppeared()
		case <-t.o.Wake:
		case <-t.kick:
		case <-timer.C():
		}
		timer.Stop()
	}
}

func (t *Tray) menuOptions() model.MenuOptions {
	return model.MenuOptions{Location: t.o.Location, Demo: t.o.Outage != nil, Outage: t.outage, NoAccount: t.o.SignIn == nil}
}

// render brings the tray up to date at now and returns when it must run again: the next whole
// minute (the header's countdown) or the next reminder.
func (t *Tray) render(now time.Time) (next time.Time) {
	next = now.In(t.o.Location).Truncate(time.Minute).Add(time.Minute + 50*time.Millisecond)
	items := model.Menu(t.snap, now, t.menuOptions())
	icon := model.IconState(t.snap)
	if !t.haveSnap {
		icon = assets.SignedOut
	}
	// Reminders are decided on the wall clock at every render: at least once a minute, and
	// at once on a snapshot (the loop syncs right after a wake), so a suspended laptop never
	// reminds late or in a burst (see model.Reminders).
	policy := model.PolicyOf(t.settings)
	for _, r := range t.reminders.Due(t.snap.Appointments, now, policy, t.o.Location) {
		t.remind(r, now)
	}
	if r := t.reminders.Next(t.snap.Appointments, now, policy, t.o.Location); !r.IsZero() && r.Before(next) {
		next = r
	}
	if r := t.startWindows(now); !r.IsZero() && r.Before(next) {
		next = r
	}
	if h := t.o.Host; h != nil && t.hostReady.Load() {
		// Labels hold meeting subjects, which are untrusted: inert before they leave. Not
		// inert.Line, which would fold the two spaces between a time and a title.
		for i := range items {
			items[i].Label = strings.ReplaceAll(inert.String(items[i].Label), "\n", " ")
		}
		if !t.rendered || !slices.Equal(items, t.items) {
			h.SetMenu(items, t.click, t.quit)
		}
		if icon != t.icon {
			h.SetIcon(icon)
		}
		t.items, t.icon, t.rendered = items, icon, true
	}
	return next
}

func (t *Tray) click(it model.Item) { t.Post(func() { t.do(it) }) }

func (t *Tray) quit() { t.cancel() }

// do runs a menu action on the owner goroutine.
func (t *Tray) do(it model.Item) {
	switch it.Action {
	case model.ActionJoin, model.ActionOpen:
		t.openURL(it.URL)
	case model.ActionRefresh:
		t.o.Loop.Refresh()
	case model.ActionAgenda:
		t.show(ipc.ViewAgenda)
	case model.ActionPreferences:
		t.show(ipc.ViewPrefs)
	case model.ActionSignIn:
		t.openSignIn()
	case model.ActionSignOut:
		t.signOut()
	case model.ActionOutage:
		if t.o.Outage == nil {
			return
		}
		on := !t.outage
		if err := t.o.Outage(on); err != nil {
			t.o.Logger.Error("simulate outage", "on", on, "err", err)
			return
		}
		t.outage = on
		t.o.Loop.Refresh()
		t.changed()
	}
}

// intent does what the window asked. The window is not trusted more than any other input:
// its intents are the same few actions as the menu, checked the same way.
func (t *Tray) intent(in ipc.Intent) {
	switch in.Kind {
	case ipc.IntentRefresh:
		t.o.Loop.Refresh()
	case ipc.IntentOpenURL:
		t.openURL(in.URL)
	case ipc.IntentSignIn:
		t.openSignIn()
	case ipc.IntentSignInStart:
		t.startSignIn(SignInRequest{DeviceCode: in.DeviceCode, ClientID: in.ClientID, Tenant: in.Tenant})
	case ipc.IntentSignInCancel:
		t.cancelSignIn()
	case ipc.IntentSignOut:
		t.signOut()
	case ipc.IntentPrefs:
		t.show(ipc.ViewPrefs)
	case ipc.IntentSnooze:
		t.starts.Snooze(in.Key, t.o.Clock.Now().Add(StartSnoozeFor))
		t.changed()
	case ipc.IntentDismiss:
		t.starts.Dismiss(in.Key)
	case ipc.IntentSaveSettings:
		if err := t.saveSettings(*in.Settings, in.StartAtLogin); err != nil {
			t.o.Logger.Error("save the settings", "err", err)
			t.notify("Could not save the preferences", err.Error())
		}
	}
}

func (t *Tray) saveSettings(s calsync.Settings, login bool) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if t.o.SettingsPath != "" {
		def := t.o.SettingsDefaults
		if def == (calsync.Settings{}) {
			def = calsync.DefaultSettings()
		}
		if err := calsync.SaveSettingsOver(t.o.SettingsPath, s, def); err != nil {
			return fmt.Errorf("could not save the settings: %w", err)
		}
	}
	if err := t.o.Loop.SetSettings(s); err != nil {
		return fmt.Errorf("the settings were saved but not applied: %w", err)
	}
	t.settings = s
	t.changed()
	if t.o.Autostart != nil {
		if err := t.o.Autostart(login); err != nil {
			return fmt.Errorf("start at login: %w", err)
		}
	}
	return nil
}

// openURL opens a web link off the owner goroutine (xdg-open can take a while).
func (t *Tray) openURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || t.o.OpenURL == nil {
		t.o.Logger.Error("not opening a meeting link that is not a web address", "url", inert.Line(raw))
		return
	}
	t.wg.Go(func() {
		if err := t.o.OpenURL(u.String()); err != nil {
			t.o.Logger.Error("open link", "err", err)
			t.notify("Could not open the link", "Install a web browser or xdg-utils, or copy the link from the agenda.")
		}
	})
}

// signOut signs out off the owner goroutine. A sign-in under way (the sign-in window's) is
// cancelled first and the sign-out waits for its end (see signInDone): run side by side, the
// sign-in could save a new account record after the sign-out removed the old one and its
// cache key, leaving the user signed in after asking to sign out.
func (t *Tray) signOut() {
	if t.o.SignOut == nil || t.accountBusy {
		return
	}
	if t.signin.cancel != nil {
		t.signin.signOut = true
		t.signin.cancel()
		return
	}
	t.accountBusy = true
	t.wg.Go(func() {
		err := t.o.SignOut()
		t.Post(func() { t.accountDone("Sign-out failed", err) })
	})
}

func (t *Tray) accountDone(failure string, err error) {
	t.accountBusy = false
	if err != nil {
		t.o.Logger.Error(strings.ToLower(failure), "err", err)
		t.notify(failure, err.Error())
		return
	}
	t.o.Loop.Refresh()
}

// notify shows a notification, its text made inert first (subjects and locations are the
// meeting organiser's text).
func (t *Tray) notify(title, body string) {
	title, body = inert.Line(title), inert.String(body)
	if t.o.Notify == nil {
		t.o.Logger.Info("notification", "title", title, "body", body)
		return
	}
	t.o.Notify(title, body)
}
