package tray

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"caltray/sync/inert"
	"caltray/ui/ipc"
)

// A WindowStarter starts the window process and returns its end of the pipes. noTray tells it
// the window stands in for a missing tray (its closing quits caltray).
type WindowStarter func(ctx context.Context, noTray bool) (*Child, error)

// A Child is a running window process as the tray sees it.
type Child struct {
	In   io.ReadCloser  // what the window writes (its fd 4)
	Out  io.WriteCloser // what the window reads (its fd 3)
	Wait func() error   // waits for the process to end; called once
	Kill func()         // ends it at once
}

// window is one window process and the goroutines that talk to it. The owner goroutine holds
// it; the goroutines report back through Tray.Post.
type window struct {
	child *Child
	conn  *ipc.Conn
	done  chan struct{} // closed when the process has ended and the reader has stopped

	mu      sync.Mutex
	snap    *ipc.Message  // the latest snapshot not yet written (latest wins)
	queue   []ipc.Message // show requests, in order, written after any pending snapshot
	wake    chan struct{} // buffered(1)
	stopped bool
}

// show asks the window process for a view, starting one if none runs. A window that died
// (crashed, was killed as hung, or its last window closed) is started again only here, that is
// when the user asks again.
//
// The messages in before are sent ahead of the show (the sign-in window's state, so the window
// opens with it).
func (t *Tray) show(view string, before ...ipc.Message) {
	t.showMessage(ipc.Message{Type: ipc.TypeShow, View: view}, before...)
}

// showMessage sends a show message to the window process, after the messages in before,
// starting the process if it is not running.
func (t *Tray) showMessage(m ipc.Message, before ...ipc.Message) {
	view := m.View
	if t.win != nil {
		select {
		case <-t.win.done:
			t.win = nil
		default:
			for _, b := range before {
				t.win.push(b)
			}
			t.win.push(m)
			return
		}
	}
	t.o.Logger.Debug("starting the window process", "view", view)
	child, err := t.o.Window(t.ctx, t.noHost.Load())
	if err != nil {
		t.o.Logger.Error("start the window", "err", err)
		t.notify("Could not open the window", err.Error())
		if t.noHost.Load() {
			t.cancel() // the window was the only way to see caltray
		}
		return
	}
	w := &window{child: child, conn: ipc.NewConn(child.In, child.Out), done: make(chan struct{}), wake: make(chan struct{}, 1)}
	t.win = w
	w.snap = t.snapshotMessage()
	w.queue = append(w.queue, before...)
	w.queue = append(w.queue, m)
	t.startWindow(w)
}

func (t *Tray) snapshotMessage() *ipc.Message {
	s := ipc.FromSnapshot(t.snap, t.o.Clock.Now())
	s.HaveSnapshot = t.haveSnap
	s.Settings = t.settings
	s.NoAccount = t.o.SignIn == nil
	s.NoTray = t.noHost.Load()
	if t.o.SettingSources != nil {
		s.Sources = t.o.SettingSources()
	}
	return &ipc.Message{Type: ipc.TypeSnapshot, Snapshot: &s}
}

// sendSnapshot hands the latest snapshot to the window, if one runs.
func (t *Tray) sendSnapshot() {
	if t.win != nil {
		t.win.pushSnapshot(t.snapshotMessage())
	}
}

func (w *window) push(m ipc.Message) {
	w.mu.Lock()
	w.queue = append(w.queue, m)
	w.mu.Unlock()
	w.signal()
}

func (w *window) pushSnapshot(m *ipc.Message) {
	w.mu.Lock()
	w.snap = m
	w.mu.Unlock()
	w.signal()
}

func (w *window) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// next takes what to write next: the pending snapshot first, so a show never comes before the
// state it shows.
func (w *window) next() (ipc.Message, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.snap != nil {
		m := *w.snap
		w.snap = nil
		return m, true
	}
	if len(w.queue) > 0 {
		m := w.queue[0]
		w.queue = w.queue[1:]
		return m, true
	}
	return ipc.Message{}, false
}

// startWindow runs the window's three goroutines: the writer (hello, then snapshots and shows),
// the reader (the window's hello within HelloTimeout, then intents), and the waiter.
func (t *Tray) startWindow(w *window) {
	log := t.o.Logger
	stop := make(chan struct{}) // closed when the process has ended: the writer stops
	var kill sync.Once
	killChild := func(why string, err error) {
		kill.Do(func() {
			log.Warn("stopping the window process", "why", why, "err", err)
			w.child.Kill()
		})
	}

	// The writer. A window that stops reading makes Send fail after ipc.WriteTimeout (pipes
	// with deadlines) and is killed; the owner goroutine never writes, so it never blocks.
	t.wg.Go(func() {
		defer w.child.Out.Close() // the window reads EOF and exits
		if err := w.conn.Hello(); err != nil {
			killChild("cannot write to it", err)
			return
		}
		for {
			for {
				m, ok := w.next()
				if !ok {
					break
				}
				if err := w.conn.Send(m); err != nil {
					killChild("cannot write to it", err)
					return
				}
			}
			select {
			case <-w.wake:
			case <-stop:
				return
			case <-t.ctx.Done():
				return // closing Out ends the window: the tray is quitting
			}
		}
	})

	// The reader, and the watchdog on the hello.
	hello := make(chan struct{})
	readerDone := make(chan struct{})
	t.wg.Go(func() {
		defer close(readerDone)
		// The error may quote what the window sent: inert before it reaches the log.
		dropped := func(err error) {
			log.Warn("dropped a malformed message from the window", "err", inert.Line(err.Error()))
		}
		if err := w.conn.AwaitHello(dropped); err != nil {
			killChild("no valid hello", err)
			return
		}
		close(hello)
		log.Debug("the window process said hello")
		for {
			m, err := w.conn.Receive()
			if ipc.Dropped(err) {
				dropped(err)
				continue
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					log.Warn("reading from the window", "err", err)
				}
				return
			}
			switch m.Type {
			case ipc.TypeIntent:
				in := *m.Intent
				t.Post(func() { t.intent(in) })
			case ipc.TypeLog:
				log.Info("window: " + inert.Line(m.Text))
			default:
				dropped(fmt.Errorf("%w: %q is not for the tray", ipc.ErrMalformed, m.Type))
			}
		}
	})
	t.wg.Go(func() {
		timer := t.o.Clock.NewTimer(t.o.HelloTimeout)
		defer timer.Stop()
		select {
		case <-hello:
		case <-timer.C():
			killChild("it did not say hello in time", fmt.Errorf("no hello after %v", t.o.HelloTimeout))
		case <-stop:
		}
	})

	// The waiter: when the process ends, stop the writer, let the reader drain, and tell the
	// owner. Without a tray the window was caltray's face: its end is caltray's end.
	t.wg.Go(func() {
		err := w.child.Wait()
		close(stop)
		w.child.In.Close()
		<-readerDone
		close(w.done)
		if err != nil {
			log.Warn("the window process ended", "err", err)
		} else {
			log.Debug("the window process ended")
		}
		if t.noHost.Load() {
			t.cancel()
		}
	})
}

// closeWindow ends the window process as the tray quits: the writer closes the window's input
// (Close's cancel), which makes the window exit; one that does not within two seconds is
// killed. It runs on the owner goroutine as it returns.
func (t *Tray) closeWindow() {
	w := t.win
	if w == nil {
		return
	}
	t.cancel()
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
		w.child.Kill()
	}
}
