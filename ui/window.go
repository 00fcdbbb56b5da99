package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"caltray/assets"
	calsync "caltray/sync"
	"caltray/ui/ipc"
)

// RunWindow is the window process: the Fyne app with the agenda, health panel and preferences,
// started by the tray process (package tray) on demand and talking to it over conn. It shows
// the tray's snapshots and sends the user's intents back; it holds no token and writes no file
// the tray owns. It returns when its last window closes, when the tray closes the pipe (the
// tray quit or died), or on SIGINT/SIGTERM. It must be called from the main goroutine.
//
// o.Loop, o.Settings, o.SignIn, o.SignOut, o.OpenURL and o.SaveSettings are set here from the
// protocol; o's other fields (AttemptTimeout, Version, Log, Clock, Location) are used.
func RunWindow(ctx context.Context, conn *ipc.Conn, o Options) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	if err := conn.Hello(); err != nil {
		return err
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	dropped := func(err error) { o.Logger.Warn("dropped a malformed message from the tray", "err", err) }
	if err := conn.AwaitHello(dropped); err != nil {
		return err
	}
	// Read up to the first show: the tray sends its snapshot first, so the window opens with
	// the agenda already filled in (no "loading" flash, no Graph call).
	o.Logger.Debug("window process: handshake done")
	var first ipc.Snapshot
	var firstSignIn ipc.SignInState
	var show ipc.Message
	for show.View == "" {
		m, err := conn.Receive()
		if ipc.Dropped(err) {
			dropped(err)
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for the tray's first request: %w", err)
		}
		switch m.Type {
		case ipc.TypeSnapshot:
			first = *m.Snapshot
		case ipc.TypeSignIn:
			firstSignIn = *m.SignIn
		case ipc.TypeShow:
			show = m
		default:
			dropped(fmt.Errorf("%w: %q is not for the window", ipc.ErrMalformed, m.Type))
		}
	}

	rl := &remoteLoop{conn: conn, snaps: make(chan calsync.Snapshot, 1)}
	send := func(in ipc.Intent) error { return conn.Send(ipc.Message{Type: ipc.TypeIntent, Intent: &in}) }
	o.Loop = rl
	o.Child = true
	o.Settings = first.Settings
	if o.Settings.Validate() != nil {
		o.Settings = calsync.DefaultSettings()
	}
	o.SignIn, o.SignOut = nil, nil
	if !first.NoAccount {
		o.SignIn = func(context.Context) error { return send(ipc.Intent{Kind: ipc.IntentSignIn}) }
		o.SignOut = func() error { return send(ipc.Intent{Kind: ipc.IntentSignOut}) }
		o.StartSignIn = func(deviceCode bool, clientID, tenant string) error {
			return send(ipc.Intent{Kind: ipc.IntentSignInStart, DeviceCode: deviceCode, ClientID: clientID, Tenant: tenant})
		}
		o.CancelSignIn = func() error { return send(ipc.Intent{Kind: ipc.IntentSignInCancel}) }
	}
	o.OpenURL = func(u string) error { return send(ipc.Intent{Kind: ipc.IntentOpenURL, URL: u}) }
	o.SaveSettings = func(s calsync.Settings, login bool) error {
		return send(ipc.Intent{Kind: ipc.IntentSaveSettings, Settings: &s, StartAtLogin: login})
	}
	o.MeetingIntent = func(kind, key string) error { return send(ipc.Intent{Kind: kind, Key: key}) }
	o.Outage = nil
	if err := o.check(); err != nil {
		return err
	}

	icon := fyne.NewStaticResource("caltray.png", assets.App())
	app.SetMetadata(fyne.AppMetadata{ID: ID, Name: "caltray", Version: o.Version, Icon: icon})
	a := app.NewWithID(ID)
	a.SetIcon(icon)
	c := newController(a, o)
	c.noTray = first.NoTray
	c.snap, c.haveSnap = first.Loop(), first.HaveSnapshot
	c.signinState = firstSignIn
	c.sources = first.Sources
	quit := func() {
		c.closed.Store(true)
		fyne.Do(a.Driver().Quit)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	c.wg.Go(func() {
		select {
		case <-sigs:
		case <-ctx.Done():
		case <-c.ctx.Done():
			return
		}
		quit()
	})
	o.Logger.Debug("window process: first request read", "view", show.View, "events", len(first.Events))
	c.show(show)
	o.Logger.Debug("window process: window built")
	a.Lifecycle().SetOnStarted(func() {
		o.Logger.Debug("window process: Fyne started")
		c.start()
		// The reader is not one of c's goroutines: it blocks in a read of the pipe, which
		// only the tray's end (or the process's) ends.
		go func() {
			for {
				m, err := conn.Receive()
				if ipc.Dropped(err) {
					dropped(err)
					continue
				}
				if err != nil {
					if !errors.Is(err, io.EOF) {
						o.Logger.Warn("reading from the tray", "err", err)
					}
					quit() // the tray is gone: so is its window
					return
				}
				switch m.Type {
				case ipc.TypeSnapshot:
					// A tray that appears after the start (the tray says so in its snapshots)
					// takes the banner away. Set before the snapshot is published, so the
					// update it brings shows the new state.
					noTray := m.Snapshot.NoTray
					c.ui(func() {
						if c.noTray && !noTray {
							o.Logger.Info("a tray appeared: the agenda window drops its no-tray banner")
						}
						c.noTray = noTray
					})
					rl.publish(m.Snapshot.Loop())
					src := m.Snapshot.Sources
					c.ui(func() { c.sources = src })
				case ipc.TypeShow:
					c.ui(func() { c.show(m) })
				case ipc.TypeSignIn:
					st := *m.SignIn
					c.ui(func() { c.setSignIn(st) })
				default:
					dropped(fmt.Errorf("%w: %q is not for the window", ipc.ErrMalformed, m.Type))
				}
			}
		}()
	})
	a.Run()
	c.closed.Store(true)
	c.stop()
	return nil
}

// show does what a show message asks: a meeting's start window, or a view.
func (c *controller) show(m ipc.Message) {
	switch {
	case m.View == ipc.ViewMeeting && m.Meeting != nil:
		c.showMeeting(*m.Meeting)
	case m.View == ipc.ViewAgenda && m.Event != "":
		c.showAgenda()
		c.agenda.bringIntoView(m.Event)
	default:
		c.showView(m.View)
	}
}

// showView opens (or raises) a view. Raising is best-effort: Wayland, and recent Windows and
// macOS, may flash the task bar entry instead of taking focus from the user's current app.
func (c *controller) showView(view string) {
	switch view {
	case ipc.ViewPrefs:
		c.showPrefs()
	case ipc.ViewSignIn:
		c.showSignIn()
	default:
		c.showAgenda()
	}
}

// remoteLoop is the tray process's sync loop as the window process sees it: the snapshots
// come over the pipe, Refresh is an intent, and SetSettings is not used (SaveSettings is).
type remoteLoop struct {
	conn  *ipc.Conn
	snaps chan calsync.Snapshot // buffered(1), latest wins; one subscriber (the owner)
}

func (r *remoteLoop) Subscribe() (<-chan calsync.Snapshot, func()) { return r.snaps, func() {} }

func (r *remoteLoop) publish(s calsync.Snapshot) {
	for {
		select {
		case r.snaps <- s:
			return
		default:
			select {
			case <-r.snaps: // drop the older one
			default:
			}
		}
	}
}

func (r *remoteLoop) Refresh() {
	_ = r.conn.Send(ipc.Message{Type: ipc.TypeIntent, Intent: &ipc.Intent{Kind: ipc.IntentRefresh}})
}

func (r *remoteLoop) SetSettings(calsync.Settings) error { return nil }
