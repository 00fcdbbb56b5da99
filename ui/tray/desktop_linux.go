package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/esiqveland/notify"
	"github.com/godbus/dbus/v5"

	"caltray/ui/ipc"
)

// Desktop is the tray process's own, private session-bus connection, for everything but the
// tray icon: the single-instance name, notifications and the tray-host check. Private because
// fyne.io/systray reads every signal of the shared connection and stops re-registering after
// a panel restart when it sees one with fewer than three arguments (the notification server's
// ActionInvoked has two).
type Desktop struct {
	conn     *dbus.Conn
	log      *slog.Logger
	notifier notify.Notifier
	actions  bool        // the server lists "actions": reminders get their buttons
	markup   bool        // the server lists "body-markup": a body is markup there, so its text is escaped
	show     chan string // buffered(1): Show calls from a second caltray, or a clicked notification

	nmu  sync.Mutex                  // guards the notifier's start: notifications come from several goroutines
	mu   sync.Mutex                  // guards acts: the notifier's signal goroutine reads it
	acts map[uint32]func(NoteAction) // notification ID -> where its actions go, until it closes

	sleep *sleepWatch // logind's wake signals; nil without a system bus or logind
}

// The single-instance name's object and interface.
const (
	instancePath  = dbus.ObjectPath("/app/caltray/Tray")
	instanceIface = "app.caltray.Tray"
)

// OpenDesktop connects to the session bus. Without one there is no tray, no notification and
// no other instance to find.
func OpenDesktop(log *slog.Logger) (*Desktop, error) {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return nil, fmt.Errorf("connect to the session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session bus authentication: %w", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session bus hello: %w", err)
	}
	d := &Desktop{conn: conn, log: log, show: make(chan string, 1)}
	if d.sleep, err = watchSleep(log); err != nil {
		log.Info("no wake-from-sleep signal; reminders are checked every minute", "err", err)
	}
	return d, nil
}

// Wake delivers a value when the computer wakes from sleep; nil (never) without logind.
func (d *Desktop) Wake() <-chan struct{} {
	if d.sleep == nil {
		return nil
	}
	return d.sleep.wake
}

// Close ends the connection (and with it the instance name).
func (d *Desktop) Close() {
	if d.notifier != nil {
		d.notifier.Close()
	}
	if d.sleep != nil {
		d.sleep.close()
	}
	d.conn.Close()
}

// Show delivers the requests to show a view: from a second caltray, or a clicked reminder.
func (d *Desktop) Show() <-chan string { return d.show }

func (d *Desktop) requestShow(view string) {
	select {
	case d.show <- view:
	default: // one is pending: it shows the window too
	}
}

// instance is the object a second caltray calls.
type instance struct{ d *Desktop }

// Show brings the agenda (or another view) to the front.
func (i instance) Show(view string) *dbus.Error {
	if view != ipc.ViewAgenda && view != ipc.ViewPrefs {
		view = ipc.ViewAgenda
	}
	i.d.requestShow(view)
	return nil
}

// ErrRunning says another caltray already runs in this session (and was asked to show its
// agenda).
var ErrRunning = errors.New("caltray already runs in this session")

// Claim makes this process the session's caltray under name, a D-Bus name: one session bus is
// one user session, so autostart plus a manual start no longer give two icons and double
// reminders. If another process owns the name, Claim asks it to show the agenda and returns
// ErrRunning.
func (d *Desktop) Claim(name string) error {
	if err := d.conn.Export(instance{d}, instancePath, instanceIface); err != nil {
		return fmt.Errorf("export %s: %w", instanceIface, err)
	}
	reply, err := d.conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("request the name %s: %w", name, err)
	}
	if reply == dbus.RequestNameReplyPrimaryOwner || reply == dbus.RequestNameReplyAlreadyOwner {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	call := d.conn.Object(name, instancePath).CallWithContext(ctx, instanceIface+".Show", 0, ipc.ViewAgenda)
	if call.Err != nil {
		return fmt.Errorf("%w, but it did not answer: %v", ErrRunning, call.Err)
	}
	return ErrRunning
}

// TrayHostPresent asks whether a StatusNotifierWatcher runs and has a host registered, which
// is what showing an icon takes (GNOME has none without the AppIndicator extension). If the
// bus does not answer within a second, it assumes a tray rather than open a window nobody
// asked for.
func (d *Desktop) TrayHostPresent() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var owned bool
	if err := d.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned); err != nil {
		return true
	}
	if !owned {
		return false
	}
	var v dbus.Variant
	err := d.conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered").Store(&v)
	if err != nil {
		return true
	}
	registered, ok := v.Value().(bool)
	return !ok || registered
}

// The tray host's well-known name: a panel's StatusNotifierWatcher (KDE, XFCE, the GNOME
// AppIndicator extension, …).
const watcherName = "org.kde.StatusNotifierWatcher"

// WatchTrayHost returns a channel that is closed when a StatusNotifierWatcher takes its name on
// the session bus: a tray to show the icon in has appeared (the GNOME extension was enabled, a
// panel started). fyne.io/systray registers its item with the new watcher by itself (it watches
// the same signal on its own connection); this tells the tray that the icon is there. Call it
// before TrayHostPresent, so that a watcher appearing in between is not missed. The watch ends
// with the Desktop.
func (d *Desktop) WatchTrayHost() (<-chan struct{}, error) {
	if err := d.conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchObjectPath("/org/freedesktop/DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName),
	); err != nil {
		return nil, fmt.Errorf("watch for a tray host: %w", err)
	}
	// A watcher may run with no host registered yet (TrayHostPresent says no): its host
	// registering is the tray appearing too.
	if err := d.conn.AddMatchSignal(
		dbus.WithMatchInterface(watcherName),
		dbus.WithMatchMember("StatusNotifierHostRegistered"),
	); err != nil {
		return nil, fmt.Errorf("watch for a tray host: %w", err)
	}
	sigs := make(chan *dbus.Signal, 8)
	d.conn.Signal(sigs)
	appeared := make(chan struct{})
	go func() {
		defer d.conn.RemoveSignal(sigs)
		for sig := range sigs { // closed when the connection closes
			switch {
			case sig.Name == watcherName+".StatusNotifierHostRegistered":
			case sig.Name == "org.freedesktop.DBus.NameOwnerChanged" && len(sig.Body) == 3:
				name, _ := sig.Body[0].(string)
				owner, _ := sig.Body[2].(string)
				if name != watcherName || owner == "" {
					continue
				}
			default:
				continue // the connection's other signals (a notification's action)
			}
			close(appeared)
			return
		}
	}()
	return appeared, nil
}

// Notify shows a notification through org.freedesktop.Notifications, with the agenda as its
// default action where the server supports actions. The text is data in a D-Bus message,
// never a script; the caller has made it inert, and the body is escaped where the server
// reads it as markup (see notification).
func (d *Desktop) Notify(title, body string) {
	if !d.openNotifier() {
		return
	}
	note := d.notification(title, body)
	if d.actions {
		note.Actions = []notify.Action{{Key: string(NoteOpen), Label: NoteOpen.Label()}}
	}
	d.send(note, func(a NoteAction) {
		if a == NoteOpen {
			d.requestShow(ipc.ViewAgenda)
		}
	})
}

// Remind shows a meeting's reminder with its buttons (Join, Snooze, Dismiss; a click on the
// body opens the agenda) where the server lists the "actions" capability, and as a plain
// notification elsewhere. act gets the action the user picks, on the notifier's goroutine.
// A reminder stays until the user acts on it (where the server honours the timeout).
func (d *Desktop) Remind(n Note, act func(NoteAction)) {
	if !d.openNotifier() {
		return
	}
	note := d.notification(n.Title, n.Body)
	note.ExpireTimeout = notify.ExpireTimeoutNever
	if d.actions {
		for _, a := range n.Actions() {
			note.Actions = append(note.Actions, notify.Action{Key: string(a), Label: a.Label()})
		}
	}
	d.send(note, act)
}

// send shows note and, where the server has actions, routes its actions to act.
func (d *Desktop) send(note notify.Notification, act func(NoteAction)) {
	// Held across the call: an action on this notification must find its act.
	d.mu.Lock()
	defer d.mu.Unlock()
	id, err := d.notifier.SendNotification(note)
	if err != nil {
		d.log.Warn("notification not shown", "err", err) // never its text: the user's meeting
		return
	}
	if d.actions {
		d.acts[id] = act
	}
}

// debugLog takes esiqveland/notify's log lines (its start and stop) into caltray's log at
// debug level; by default the package prints them to stderr.
type debugLog struct{ l *slog.Logger }

func (d debugLog) Printf(format string, v ...any) { d.l.Debug(fmt.Sprintf(format, v...)) }

// notification is a notification of title and body, the body escaped where the server reads
// it as markup. The Desktop Notifications Specification lets a server that lists the
// "body-markup" capability interpret a small HTML subset in the body (Plasma, dunst, mako,
// xfce4-notifyd; GNOME Shell honours <b>, <i>, <u>), and with "body-hyperlinks" and
// "body-images" <a href> becomes a clickable link (past the http/https check Join makes) and
// <img> an image. The body holds meeting text anyone can send (a location), which inert.String
// does not escape: so &, < and > become entities there, and show as themselves. The spec
// defines markup for the body alone: the summary is plain text and is sent as it is. A server
// without the capability shows the body as plain text, so escaping it there would show
// "&amp;".
func (d *Desktop) notification(title, body string) notify.Notification {
	if d.markup {
		body = markupEscaper.Replace(body)
	}
	return notify.Notification{AppName: "caltray", Summary: title, Body: body, ExpireTimeout: notify.ExpireTimeoutSetByNotificationServer,
		Hints: map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant("caltray")}}
}

// markupEscaper makes text inert as notification body markup: & (an entity), < and > (a tag).
// Quotes mean something only inside a tag, which escaped text never opens.
var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// openNotifier connects to the notification server on first use and asks what it can do.
func (d *Desktop) openNotifier() bool {
	d.nmu.Lock()
	defer d.nmu.Unlock()
	if d.notifier != nil {
		return true
	}
	n, err := notify.New(d.conn, notify.WithOnAction(d.onAction), notify.WithOnClosed(d.onClosed),
		notify.WithLogger(debugLog{d.log}))
	if err != nil {
		d.log.Warn("no desktop notifications", "err", err)
		return false
	}
	d.notifier = n
	d.acts = map[uint32]func(NoteAction){}
	caps, err := n.GetCapabilities()
	d.actions = err == nil && slices.Contains(caps, "actions")
	// Unknown capabilities (the call failed) are taken as markup: "&amp;" shown literally is
	// a lesser harm than a link or an image from a stranger's meeting text.
	d.markup = err != nil || slices.Contains(caps, "body-markup")
	return true
}

// onAction routes a clicked action to its notification's act. The signal is broadcast:
// other applications' notifications carry IDs caltray never got, and are ignored.
func (d *Desktop) onAction(s *notify.ActionInvokedSignal) {
	d.mu.Lock()
	act := d.acts[s.ID]
	d.mu.Unlock()
	if act != nil {
		act(NoteAction(s.ActionKey))
	}
}

func (d *Desktop) onClosed(s *notify.NotificationClosedSignal) {
	d.mu.Lock()
	delete(d.acts, s.ID)
	d.mu.Unlock()
}

// HasDisplay reports whether there is a graphical session for the window process.
func HasDisplay() bool { return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" }
