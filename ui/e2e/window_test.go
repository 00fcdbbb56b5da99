package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// ppid is the parent of pid, from /proc.
func ppid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces: fields start after the last ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// children lists the tray's child processes that are still alive (not zombies).
func children(pid int) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		n, _ := strconv.Atoi(filepath.Base(d))
		if ppid(n) != pid {
			continue
		}
		if b, err := os.ReadFile(d + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			out = append(out, n)
		}
	}
	return out
}

// TestAgendaAcrossProcesses: the tray process shows no window until "Open agenda…" is clicked
// over D-Bus; then a child process of it (the window process) paints the agenda, xdotool finds
// it, and asking again starts no second one. Killing the window's X client (a crash) leaves the
// tray running; a second `caltray --demo` in the same session exits 0 and has the running one
// show its agenda again, in a new window process.
func TestAgendaAcrossProcesses(t *testing.T) {
	requireDesktop(t)
	addr := privateBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	defer conn.Close()
	w := serveWatcher(t, conn)
	a := startDemo(t, "DBUS_SESSION_BUS_ADDRESS="+addr)
	trayPID := a.cmd.Process.Pid
	waitFor(t, a, 30*time.Second, "StatusNotifierItem registration", func() bool { return w.item() != "" })
	dest, path, _ := strings.Cut(w.item(), "/")
	tr := tray{conn: conn, dest: dest, item: dbus.ObjectPath("/" + path)}
	v, err := conn.Object(dest, tr.item).GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("the item has no Menu: %v", err)
	}
	tr.menu, _ = v.Value().(dbus.ObjectPath)

	var open menuItem
	waitFor(t, a, 30*time.Second, `"Open agenda…" in the menu after the first sync`, func() bool {
		items := tr.layout(t)
		h, synced := find(items, healthLine)
		var ok bool
		open, ok = find(items, regexp.MustCompile(`^Open agenda…$`))
		return ok && synced && strings.HasPrefix(h.label, "Synced")
	})
	if n := len(children(trayPID)); n != 0 {
		t.Fatalf("the tray runs %d child processes before any window was asked for", n)
	}

	findWindow := func(what string) (wid string, pid int) {
		t.Helper()
		waitFor(t, a, 30*time.Second, what, func() bool {
			out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "Agenda.*caltray").Output()
			wid = strings.TrimSpace(string(out))
			if err != nil || wid == "" || strings.Contains(wid, "\n") {
				return false
			}
			p, err := exec.Command("xdotool", "getwindowpid", wid).Output()
			pid, _ = strconv.Atoi(strings.TrimSpace(string(p)))
			return err == nil && pid > 0
		})
		waitFor(t, a, 20*time.Second, "painted agenda", func() bool { return colours(t, wid) >= 16 })
		if pid == trayPID {
			t.Fatalf("the agenda window belongs to the tray process (%d), not a window process", pid)
		}
		if pp := ppid(pid); pp != trayPID {
			t.Fatalf("the window's process %d has parent %d, want the tray %d", pid, pp, trayPID)
		}
		return wid, pid
	}

	start := time.Now()
	tr.click(t, open.id)
	wid, winPID := findWindow("agenda window after the click")
	t.Logf("click → agenda painted in %v (window process %d)", time.Since(start).Round(time.Millisecond), winPID)

	tr.click(t, open.id) // again: the same window process comes to the front
	time.Sleep(500 * time.Millisecond)
	if kids := children(trayPID); len(kids) != 1 || kids[0] != winPID {
		t.Fatalf("after a second click the tray's children are %v, want only %d", kids, winPID)
	}

	// A crash of the window process: its X connection killed under it.
	if out, err := exec.Command("xdotool", "windowkill", wid).CombinedOutput(); err != nil {
		t.Fatalf("xdotool windowkill: %v %s", err, out)
	}
	waitFor(t, a, 20*time.Second, "the window process gone", func() bool { return len(children(trayPID)) == 0 })
	if _, ok := find(tr.layout(t), regexp.MustCompile(`^Refresh`)); !ok {
		t.Fatal("the tray's menu is gone after the window crashed")
	}

	// A second caltray in this session finds this one, which shows its agenda again.
	second := exec.Command(binary(t), "--demo")
	second.Env = a.cmd.Env
	dieWithTest(second)
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("second caltray: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "already running") {
		t.Errorf("second caltray said %q, want that caltray is already running", out)
	}
	_, pid2 := findWindow("agenda window shown for the second start")
	if pid2 == winPID {
		t.Errorf("the crashed window process %d is back", winPID)
	}
	a.stop(t)
	waitFor(t, &app{done: make(chan error)}, 10*time.Second, "the window process to end with the tray", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid2))
		return err != nil || strings.Contains(readStat(pid2), ") Z ")
	})
}

func readStat(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return string(b)
}
