// Package e2e runs the built caltray binary the way a person does, under the private desktop
// of scripts/with-desktop.sh (Xvfb, a D-Bus session): `caltray --demo` opens its agenda when
// there is no tray, and registers a StatusNotifierItem whose dbusmenu and icon follow the
// simulated Graph's health when a tray host is there. The tests skip outside such a desktop.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// requireDesktop skips unless the tools of a headless desktop are there.
func requireDesktop(t *testing.T) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no DISPLAY: run under scripts/with-desktop.sh (make test does)")
	}
	for _, tool := range []string{"xdotool", "import", "dbus-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: run scripts/install-deps.sh", tool)
		}
	}
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// binary returns the caltray program: $CALTRAY_BIN if set, else one built from this checkout
// (removed when the tests end).
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CALTRAY_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		var err error
		if binDir, err = os.MkdirTemp("", "caltray-e2e-"); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(binDir, "caltray")
		// -race, like `make test`'s packages: the build then reuses their compiled Fyne
		// instead of compiling it (minutes, on a cold cache) a second time.
		out, err := exec.Command("go", "build", "-race", "-o", binPath, "caltray").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build caltray: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// syncBuffer is a bytes.Buffer safe to write from the process's copier and read from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type app struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

// startDemo runs `caltray --demo` with its own home, config and cache, so the user's files
// are never touched, and env added to the environment.
func startDemo(t *testing.T, env ...string) *app {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(binary(t), "--demo")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	cmd.Env = append(cmd.Env, env...)
	a := &app{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = a.stderr, a.stderr
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start caltray --demo: %v", err)
	}
	go func() { a.done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			cmd.Process.Kill()
			<-a.done
		}
		if t.Failed() {
			t.Logf("caltray output:\n%s", a.stderr)
		}
	})
	return a
}

// exited reports whether the process has ended (and how); it must not have, mid-test.
func (a *app) exited() (bool, error) {
	select {
	case err := <-a.done:
		a.done <- err
		return true, err
	default:
		return false, nil
	}
}

// stop sends SIGTERM and requires a clean exit within ten seconds.
func (a *app) stop(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-a.done:
		a.done <- err
		if err != nil {
			t.Errorf("caltray did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("caltray still running 10 s after SIGTERM")
	}
}

// waitFor polls cond every 50 ms until it holds or limit passes.
func waitFor(t *testing.T, a *app, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if done, err := a.exited(); done {
			t.Fatalf("caltray exited (%v) while waiting for %s", err, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDemoWindowWithoutTray: on a desktop without a tray host (a private session bus with no
// StatusNotifierWatcher, whatever desktop the test runs in), caltray says so once and opens
// the agenda, which paints something other than a blank screen; when a watcher appears later
// (the GNOME extension enabled), the icon registers with it by itself and the window stays;
// SIGTERM ends it cleanly.
func TestDemoWindowWithoutTray(t *testing.T) {
	requireDesktop(t)
	addr := privateBus(t)
	a := startDemo(t, "DBUS_SESSION_BUS_ADDRESS="+addr)

	var wid string
	waitFor(t, a, 30*time.Second, "agenda window", func() bool {
		out, err := exec.Command("xdotool", "search", "--name", "Agenda.*caltray").Output()
		wid = strings.TrimSpace(string(out))
		return err == nil && wid != ""
	})
	waitFor(t, a, 20*time.Second, "painted agenda", func() bool {
		return colours(t, wid) >= 16
	})
	if n := strings.Count(a.stderr.String(), "no system tray found"); n != 1 {
		t.Errorf("said %d times that there is no tray, want once", n)
	}

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	defer conn.Close()
	w := serveWatcher(t, conn)
	waitFor(t, a, 20*time.Second, "the icon registering with the new tray", func() bool { return w.item() != "" })
	waitFor(t, a, 10*time.Second, "the tray process noticing the tray", func() bool {
		return strings.Contains(a.stderr.String(), "a system tray appeared")
	})
	waitFor(t, a, 10*time.Second, "the window dropping its banner", func() bool {
		return strings.Contains(a.stderr.String(), "window: ") &&
			strings.Contains(a.stderr.String(), "drops its no-tray banner")
	})
	if out, err := exec.Command("xdotool", "search", "--name", "Agenda.*caltray").Output(); err != nil || strings.TrimSpace(string(out)) == "" {
		t.Errorf("the agenda window went away when the tray appeared")
	}
	a.stop(t)
}

// colours counts the distinct colours of a screenshot of the root window cropped to the
// window wid: a blank (unpainted) window has one or two.
func colours(t *testing.T, wid string) int {
	t.Helper()
	x, y, w, h := geometry(t, wid)
	if w == 0 {
		return 0
	}
	// Fyne's in-process capture comes back white under Xvfb; the X server's own picture is
	// what a person sees.
	shot, err := exec.Command("import", "-window", "root", "png:-").Output()
	if err != nil {
		t.Logf("import: %v", err)
		return 0
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	seen := map[[4]uint32]bool{}
	r := image.Rect(x, y, x+w, y+h).Intersect(img.Bounds())
	for py := r.Min.Y; py < r.Max.Y; py += 2 {
		for px := r.Min.X; px < r.Max.X; px += 2 {
			cr, cg, cb, ca := img.At(px, py).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	return len(seen)
}

// geometry is the window wid's position and size on the screen (zero if xdotool cannot say).
func geometry(t *testing.T, wid string) (x, y, w, h int) {
	t.Helper()
	geo, err := exec.Command("xdotool", "getwindowgeometry", "--shell", wid).Output()
	if err != nil {
		return 0, 0, 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(geo))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		var n int
		fmt.Sscan(v, &n)
		switch k {
		case "X":
			x = n
		case "Y":
			y = n
		case "WIDTH":
			w = n
		case "HEIGHT":
			h = n
		}
	}
	return x, y, w, h
}
