// Package ui is caltray's face: the tray icon and menu, the agenda window with its health
// panel, the preferences window and the meeting reminders, all drawn from the sync loop's
// snapshots. What to show is computed by package model; this package only renders it with
// Fyne, and one goroutine owns every update (see owner).
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/ui/ipc"
	"caltray/ui/model"
)

// ID is the application ID, as in FyneApp.toml: it names the preferences and notifications.
const ID = "app.caltray"

// Loop is what the UI needs of the sync loop (*calsync.Loop has it).
type Loop interface {
	// Subscribe returns a latest-wins channel of snapshots and a function that ends it.
	Subscribe() (<-chan calsync.Snapshot, func())
	// Refresh asks for a sync now; calls during a sync coalesce.
	Refresh()
	// SetSettings applies new settings.
	SetSettings(calsync.Settings) error
}

// Options configure Run.
type Options struct {
	Loop     Loop             // required
	Settings calsync.Settings // the settings the loop runs with
	// SettingsPath is where Preferences saves; empty means calsync.SettingsPath().
	SettingsPath string

	// SignIn runs an interactive sign-in (it may open a browser); SignOut forgets the account.
	// Both nil means there is no account to manage (the demo), and the menu offers neither.
	SignIn  func(context.Context) error
	SignOut func() error

	// Outage, when set, adds the demo's "Simulate outage" item; it turns the simulated
	// Graph's failure on or off.
	Outage func(on bool) error

	// AttemptTimeout is the runner's per-attempt limit, for "did not answer in 30 s".
	AttemptTimeout time.Duration
	Version        string // shown by the desktop in the app's details

	// Child marks the window process (RunWindow): no tray, no reminders (the tray process
	// has them), and the app quits when its last window closes.
	Child bool
	// OpenURL, when set, opens links instead of Fyne (the window process asks the tray).
	OpenURL func(string) error
	// SaveSettings, when set, replaces writing the settings file and setting up start at
	// login: the window process hands both to the tray process, which owns the file.
	SaveSettings func(s calsync.Settings, startAtLogin bool) error
	// MeetingIntent tells the tray what the user did with a meeting's start window
	// (ipc.IntentSnooze or ipc.IntentDismiss, and the meeting's key).
	MeetingIntent func(kind, key string) error
	// StartSignIn and CancelSignIn drive the sign-in window: the window process asks the
	// tray, which runs the sign-in and sends its state back (controller.setSignIn). Both nil:
	// no sign-in window.
	StartSignIn  func(deviceCode bool, clientID, tenant string) error
	CancelSignIn func() error
	Logger       *slog.Logger   // nil: slog.Default()
	Clock        runner.Clock   // nil: the wall clock
	Location     *time.Location // nil: time.Local
}

func (o *Options) check() error {
	if o.Loop == nil {
		return errors.New("ui: Options.Loop is required")
	}
	if (o.SignIn == nil) != (o.SignOut == nil) {
		return errors.New("ui: set both Options.SignIn and Options.SignOut, or neither")
	}
	if (o.StartSignIn == nil) != (o.CancelSignIn == nil) {
		return errors.New("ui: set both Options.StartSignIn and Options.CancelSignIn, or neither")
	}
	if err := o.Settings.Validate(); err != nil {
		return fmt.Errorf("ui: %w", err)
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
	return nil
}

// ui runs f on the Fyne goroutine, unless the app is quitting.
func (c *controller) ui(f func()) {
	if c.closed.Load() {
		return
	}
	fyne.Do(func() {
		if !c.closed.Load() {
			f()
		}
	})
}

// quit stops the app from a menu item or window callback (the Fyne goroutine).
func (c *controller) quit() {
	if c.closed.Swap(true) {
		return
	}
	fyne.Do(c.app.Quit)
}

// trayHost is the part of desktop.App the controller uses; tests record it.
type trayHost interface {
	SetSystemTrayMenu(*fyne.Menu)
	SetSystemTrayIcon(fyne.Resource)
}

// controller holds the UI's state. Fields under mu are shared between the owner goroutine and
// the Fyne goroutine; the rest belong to the Fyne goroutine alone (set in callbacks and fyne.Do).
type controller struct {
	app  fyne.App
	tray trayHost // nil where the driver has no tray
	o    Options

	kick chan struct{}            // buffered(1): the state changed, render again
	send func(*fyne.Notification) // systemNotifier; tests record instead

	closed atomic.Bool // quitting: see Run

	// The controller's goroutines (the owner, a sign-in or sign-out under way, Run's signal
	// watcher) run until ctx ends; stop ends it and waits for them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	snap     calsync.Snapshot
	haveSnap bool
	outage   bool
	settings calsync.Settings

	// Fyne goroutine only.
	noTray      bool
	agenda      *agendaWindow
	prefs       fyne.Window
	signin      *signInWindow
	signinState ipc.SignInState     // the tray's latest
	sources     []ipc.SettingSource // where the sign-in settings come from, for Preferences
	accountBusy bool                // a sign-in or sign-out is running
	agendaShown bool                // the agenda window is open (not hidden)
	meeting     *meetingWindow      // the meeting start window shown, if any (see showMeeting)
	meetings    []ipc.Meeting       // the meetings waiting for it, in order
}

// maybeQuit ends the window process once its last window has closed. Called on the Fyne
// goroutine.
func (c *controller) maybeQuit() {
	if c.o.Child && !c.agendaShown && c.prefs == nil && c.meeting == nil && c.signin == nil {
		c.quit()
	}
}

func newController(a fyne.App, o Options) *controller {
	ctx, cancel := context.WithCancel(context.Background())
	return &controller{app: a, o: o, kick: make(chan struct{}, 1), send: systemNotifier(a, o.Logger), settings: o.Settings,
		ctx: ctx, cancel: cancel}
}

// start runs the owner goroutine until stop.
func (c *controller) start() {
	snaps, unsubscribe := c.o.Loop.Subscribe()
	c.wg.Go(func() {
		defer unsubscribe()
		newOwner(c).run(c.ctx, snaps)
	})
}

// stop ends the controller's goroutines and waits for them. A sign-out under way is not
// interruptible (Options.SignOut takes no context) and is waited for: its keyring calls have
// their own deadline.
func (c *controller) stop() {
	c.cancel()
	c.wg.Wait()
}

// changed wakes the owner goroutine; a pending wake-up already covers this change.
func (c *controller) changed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// shared is the state the owner goroutine and the Fyne goroutine share, read at one moment.
type shared struct {
	snap     calsync.Snapshot
	haveSnap bool // a snapshot has arrived
	outage   bool // the demo's simulated outage is on
	settings calsync.Settings
}

func (c *controller) state() shared {
	c.mu.Lock()
	defer c.mu.Unlock()
	return shared{snap: c.snap, haveSnap: c.haveSnap, outage: c.outage, settings: c.settings}
}

func (c *controller) menuOptions(outage bool) model.MenuOptions {
	return model.MenuOptions{
		Location:  c.o.Location,
		Demo:      c.o.Outage != nil,
		Outage:    outage,
		NoAccount: c.o.SignIn == nil,
	}
}

// do runs a menu or button action. Called on the Fyne goroutine.
func (c *controller) do(it model.Item) {
	switch it.Action {
	case model.ActionJoin, model.ActionOpen:
		c.openURL(it.URL)
	case model.ActionRefresh:
		c.o.Loop.Refresh()
	case model.ActionAgenda:
		c.showAgenda()
	case model.ActionPreferences:
		c.showPrefs()
	case model.ActionSignIn:
		c.signIn()
	case model.ActionSignOut:
		c.signOut()
	case model.ActionOutage:
		c.mu.Lock()
		on := !c.outage
		c.mu.Unlock()
		if err := c.o.Outage(on); err != nil {
			c.o.Logger.Error("simulate outage", "on", on, "err", err)
			return
		}
		c.mu.Lock()
		c.outage = on
		c.mu.Unlock()
		c.changed()
		c.o.Loop.Refresh()
	}
}

func (c *controller) openURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		c.o.Logger.Error("not opening a meeting link that is not a web address", "url", raw)
		return
	}
	open := c.app.OpenURL
	if c.o.OpenURL != nil {
		open = func(u *url.URL) error { return c.o.OpenURL(u.String()) }
	}
	if err := open(u); err != nil {
		c.o.Logger.Error("open link", "err", err)
		c.notify("Could not open the link", "Install a web browser or xdg-utils, or copy the link from the agenda.")
	}
}

// signIn runs the interactive sign-in off the Fyne goroutine (it waits for the browser); one
// account operation at a time.
func (c *controller) signIn() {
	if c.o.SignIn == nil || c.accountBusy {
		return
	}
	c.accountBusy = true
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Minute)
		defer cancel()
		c.accountDone("Sign-in failed", c.o.SignIn(ctx))
	})
}

// signOut forgets the account off the Fyne goroutine: it talks to the keyring, which can take
// seconds to answer.
func (c *controller) signOut() {
	if c.o.SignOut == nil || c.accountBusy {
		return
	}
	c.accountBusy = true
	c.wg.Go(func() { c.accountDone("Sign-out failed", c.o.SignOut()) })
}

// accountDone reports the end of a sign-in or sign-out on the Fyne goroutine, and has the
// loop sync with the new account state.
func (c *controller) accountDone(failure string, err error) {
	c.ui(func() {
		c.accountBusy = false
		if err != nil {
			c.o.Logger.Error(strings.ToLower(failure), "err", err)
			c.notify(failure, err.Error())
			return
		}
		c.o.Loop.Refresh()
	})
}

func (c *controller) notify(title, body string) {
	c.send(fyne.NewNotification(title, body))
}

// settingsPath resolves where Preferences saves.
func (c *controller) settingsPath() (string, error) {
	if c.o.SettingsPath != "" {
		return c.o.SettingsPath, nil
	}
	return calsync.SettingsPath()
}

// exe is the program Preferences registers to start at login.
func exe() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find caltray's own program file: %w", err)
	}
	return p, nil
}

// ErrNoDisplay is returned by RunWindow where there is no graphical session to show anything in.
var ErrNoDisplay = errors.New("no graphical display: DISPLAY and WAYLAND_DISPLAY are not set; " +
	"start caltray from a desktop session, or use `caltray agenda` in a terminal (`caltray agenda --demo` to try it)")
