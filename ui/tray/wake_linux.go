package tray

import (
	"fmt"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// logind's manager, whose PrepareForSleep(false) marks a wake from suspend or hibernation.
const (
	login1Name  = "org.freedesktop.login1"
	login1Path  = dbus.ObjectPath("/org/freedesktop/login1")
	login1Iface = "org.freedesktop.login1.Manager"
)

// sleepWatch delivers logind's wake signals on a private system-bus connection of its own
// (the tray's other connection is on the session bus).
type sleepWatch struct {
	conn    *dbus.Conn
	signals chan *dbus.Signal
	wake    chan struct{} // buffered(1): woke; one pending is enough
	done    chan struct{}
}

// watchSleep subscribes to logind's PrepareForSleep. Without a system bus or logind (a
// container, a non-systemd system) it returns an error: the tray then relies on its
// once-a-minute check, which notices a wake within a minute.
func watchSleep(log *slog.Logger) (*sleepWatch, error) {
	conn, err := dbus.SystemBusPrivate()
	if err != nil {
		return nil, fmt.Errorf("connect to the system bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("system bus authentication: %w", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("system bus hello: %w", err)
	}
	if err := conn.AddMatchSignal(dbus.WithMatchSender(login1Name), dbus.WithMatchObjectPath(login1Path),
		dbus.WithMatchInterface(login1Iface), dbus.WithMatchMember("PrepareForSleep")); err != nil {
		conn.Close()
		return nil, fmt.Errorf("watch logind's PrepareForSleep: %w", err)
	}
	w := &sleepWatch{conn: conn, signals: make(chan *dbus.Signal, 4), wake: make(chan struct{}, 1), done: make(chan struct{})}
	conn.Signal(w.signals)
	go w.run(log)
	return w, nil
}

func (w *sleepWatch) run(log *slog.Logger) {
	defer close(w.done)
	for s := range w.signals { // closed when the connection closes
		if s.Name != login1Iface+".PrepareForSleep" || len(s.Body) != 1 {
			continue
		}
		if sleeping, ok := s.Body[0].(bool); ok && !sleeping {
			log.Debug("woke from sleep")
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (w *sleepWatch) close() {
	w.conn.Close()
	<-w.done
}
