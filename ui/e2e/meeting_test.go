package e2e

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"caltray/ui/ipc"
)

// windowProcess is `caltray __window` with the test as its tray: the two pipes on fds 3 and 4,
// the handshake done.
type windowProcess struct {
	cmd  *exec.Cmd
	conn *ipc.Conn
	eof  chan struct{} // closed when the window process closes its end (it quit)
	done chan error

	mu      sync.Mutex
	intents []string // "kind key-or-url", in order
}

func (w *windowProcess) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.intents)
}

func startWindowProcess(t *testing.T) *windowProcess {
	t.Helper()
	toR, toW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromR, fromW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cmd := exec.Command(binary(t), "__window")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	cmd.ExtraFiles = []*os.File{toR, fromW}
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start caltray __window: %v", err)
	}
	toR.Close()
	fromW.Close()
	w := &windowProcess{cmd: cmd, conn: ipc.NewConn(fromR, toW), eof: make(chan struct{}), done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() {
		toW.Close()
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-w.done
		}
		fromR.Close()
	})
	if err := w.conn.Hello(); err != nil {
		t.Fatal(err)
	}
	if err := w.conn.AwaitHello(nil); err != nil {
		t.Fatal(err)
	}
	go func() { // drain the window's messages (its log lines) until it closes its end
		defer close(w.eof)
		for {
			m, err := w.conn.Receive()
			if err == nil && m.Type == ipc.TypeLog {
				t.Logf("window: %s", m.Text)
			}
			if err == nil && m.Type == ipc.TypeIntent {
				w.mu.Lock()
				w.intents = append(w.intents, strings.TrimSpace(m.Intent.Kind+" "+m.Intent.Key+m.Intent.URL))
				w.mu.Unlock()
			}
			if err != nil && !ipc.Dropped(err) {
				if !errors.Is(err, io.EOF) {
					t.Logf("reading the window: %v", err)
				}
				return
			}
		}
	}()
	return w
}

func (w *windowProcess) send(t *testing.T, m ipc.Message) {
	t.Helper()
	if err := w.conn.Send(m); err != nil {
		t.Fatal(err)
	}
}

// meetingWindows returns the X ids of the windows named as the meeting window.
func meetingWindows() []string {
	out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Meeting.*caltray$").Output()
	return strings.Fields(string(out))
}

// TestMeetingWindowOnScreen: the start window is a real window under Xvfb: shown, given the
// focus, one at a time (the second meeting waits until the first is answered), its buttons
// pressed from the keyboard (Tab to the first, Space) tell the tray what the user chose, and the
// window process ends with the last window.
func TestMeetingWindowOnScreen(t *testing.T) {
	requireDesktop(t)
	w := startWindowProcess(t)
	w.send(t, ipc.Message{Type: ipc.TypeSnapshot, Snapshot: &ipc.Snapshot{HaveSnapshot: true, NoAccount: true}})
	for _, m := range []ipc.Meeting{
		{Key: "a", Title: "Standup is starting now", Body: "10:00 – 10:15", JoinURL: "https://teams.microsoft.com/l/meetup-join/x"},
		{Key: "b", Title: "Review is starting now", Body: "10:00 – 11:00"},
	} {
		w.send(t, ipc.Message{Type: ipc.TypeShow, View: ipc.ViewMeeting, Meeting: &m})
	}
	// The first window of a fresh window process can take seconds more than the next ones: the
	// race-enabled binary, the GL libraries and the system fonts are read from disk. Measured
	// here: 2.5 s warm, 12 s after dropping the page cache, over 30 s in a cold make test with
	// the Windows builds running beside it. 90 s is a hang, not a slow start.
	waitWindows := func(what string, n int) []string {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			ids := meetingWindows()
			if len(ids) == n {
				return ids
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d meeting windows, want %d", what, len(ids), n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	first := waitWindows("the first meeting", 1)
	// Given the focus: with no window manager in Xvfb, GLFW sets the X input focus itself.
	waitFocus := func(id string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, _ := exec.Command("xdotool", "getwindowfocus").Output()
			if strings.TrimSpace(string(out)) == id {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("focus on %q, want the meeting window %s", strings.TrimSpace(string(out)), id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFocus(first[0])
	// Join, the first button: the link goes to the tray to open, and the window is done.
	press := func() {
		t.Helper()
		for _, key := range []string{"Tab", "space"} {
			if err := exec.Command("xdotool", "key", key).Run(); err != nil {
				t.Fatalf("xdotool key %s: %v", key, err)
			}
		}
	}
	press()
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Equal(w.got(), []string{"open-url https://teams.microsoft.com/l/meetup-join/x", "dismiss a"}) {
		if time.Now().After(deadline) {
			t.Fatalf("intents after Join: %q", w.got())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The queued meeting comes next, in a window of its own.
	deadline = time.Now().Add(30 * time.Second)
	var second []string
	for {
		if ids := meetingWindows(); len(ids) == 1 && ids[0] != first[0] {
			second = ids
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no second meeting window after the first closed (windows %q)", meetingWindows())
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFocus(second[0])
	press() // no Join here: the first button is Snooze 1 min
	deadline = time.Now().Add(30 * time.Second)
	for !slices.Equal(w.got()[2:], []string{"snooze b"}) {
		if time.Now().After(deadline) {
			t.Fatalf("intents after Snooze: %q", w.got())
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-w.eof:
	case <-time.After(30 * time.Second):
		t.Fatal("the window process did not end with its last window")
	}
}
