package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"caltray/sync/fakegraph"
)

// TestSignInWindowFirstRun is a person's first start, with nothing but an administrator's
// managed configuration (XDG_CONFIG_DIRS) and no account, on the desktop's session bus (its
// gnome-keyring keeps the sign-in; it has no tray host): the tray process opens the sign-in
// window by itself (a child window process, under Xvfb); Space on its focused "Sign in with the
// browser" button starts the sign-in, which opens the "browser" (an xdg-open on PATH that
// records the address; the test then does what the browser does, against the simulated
// identity platform over TLS); the window closes by itself and the tray syncs at once with the
// new account's token.
func TestSignInWindowFirstRun(t *testing.T) {
	requireDesktop(t)
	const clientID = "4a3b2c1d-5555-4e6f-8a9b-0c1d2e3f4a5b"
	id := fakegraph.NewIdentity(fakegraph.IdentityOptions{ClientID: clientID})
	fake, err := fakegraph.NewTLS(fakegraph.Options{Authorize: id.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	id.Mount(fake)
	dir := t.TempDir()
	cert := filepath.Join(dir, "fake.pem")
	managed := filepath.Join(dir, "xdg", "caltray", "caltray.json")
	bin := filepath.Join(dir, "bin")
	opened := filepath.Join(dir, "opened")
	for _, d := range []string{filepath.Dir(managed), bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf, _ := json.Marshal(map[string]string{"client_id": clientID, "authority": fakegraph.IdentityAuthority(fake), "graph_url": fake.URL()})
	for path, content := range map[string][]byte{
		cert:                           fake.CertPEM(),
		managed:                        conf,
		filepath.Join(bin, "xdg-open"): []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >>\"$CALTRAY_TEST_OPENED\"\n"),
	} {
		if err := os.WriteFile(path, content, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	home := t.TempDir()
	cmd := exec.Command(binary(t))
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_CONFIG_DIRS="+filepath.Join(dir, "xdg"),
		"SSL_CERT_FILE="+cert, "PATH="+bin+":"+os.Getenv("PATH"), "CALTRAY_TEST_OPENED="+opened,
		"CALTRAY_CLIENT_ID=", "CALTRAY_ACCESS_TOKEN=")
	a := &app{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = a.stderr, a.stderr
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
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

	wid := signInWindow(t, a)
	if got := fake.Requests(); len(got) != 0 {
		t.Errorf("requests before anyone signed in: %d", len(got))
	}
	clickBrowserButton(t, wid, func() bool {
		b, _ := os.ReadFile(opened)
		return len(b) > 0
	})
	b, _ := os.ReadFile(opened)
	playBrowser(t, fake, strings.TrimSpace(strings.Split(string(b), "\n")[0]))

	waitFor(t, a, 20*time.Second, "the sign-in window to close", signInWindowGone)
	waitFor(t, a, 20*time.Second, "a sync with the new account's token", func() bool {
		for _, r := range fake.Requests() {
			if r.Authorized && strings.Contains(r.Path, "calendarView") {
				return true
			}
		}
		return false
	})
	a.stop(t)
}

var (
	formAction = regexp.MustCompile(`action="([^"]+)"`)
	formInput  = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)
)

// playBrowser does what the browser does with the sign-in page: the person is signed in to the
// simulated identity platform already, so the page is a form carrying the code to caltray's
// loopback redirect, which the browser submits.
func playBrowser(t *testing.T, fake *fakegraph.Server, authorizeURL string) {
	t.Helper()
	client := fake.Client()
	defer client.CloseIdleConnections()
	resp, err := client.Get(authorizeURL)
	if err != nil {
		t.Fatalf("the sign-in page %q: %v", authorizeURL, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action := formAction.FindStringSubmatch(string(page))
	if action == nil {
		t.Fatalf("the sign-in page: %s: %s", resp.Status, page)
	}
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	local := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer local.CloseIdleConnections()
	resp, err = local.PostForm(action[1], form)
	if err != nil {
		t.Fatalf("the redirect to caltray: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the redirect to caltray: %s", resp.Status)
	}
}

// clickBrowserButton clicks "Sign in with the browser" in the sign-in window wid, the first
// button under the one-line greeting at the window's left edge, until started says the sign-in
// started. Its height depends on the fonts: the clicks go down the left edge, below the greeting
// (the label takes no clicks; the other button is to the right). Without a tray host the agenda
// window opens too, on top at the same place (Xvfb has no window manager): the sign-in window is
// raised before each click.
func clickBrowserButton(t *testing.T, wid string, started func() bool) {
	t.Helper()
	x, y, _, h := geometry(t, wid)
	for dy := 30; dy < min(h, 160); dy += 6 {
		exec.Command("xdotool", "windowraise", wid).Run()
		exec.Command("xdotool", "mousemove", "--sync", strconv.Itoa(x+24), strconv.Itoa(y+dy), "click", "1").Run()
		deadline := time.Now().Add(700 * time.Millisecond)
		for time.Now().Before(deadline) {
			if started() {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	exec.Command("import", "-window", "root", filepath.Join(os.TempDir(), "caltray-e2e-signin.png")).Run()
	t.Fatalf("no click on the sign-in window started the sign-in (screenshot: %s)", filepath.Join(os.TempDir(), "caltray-e2e-signin.png"))
}

// signInWindow waits for the one sign-in window and returns its X id.
func signInWindow(t *testing.T, a *app) string {
	t.Helper()
	var wid string
	waitFor(t, a, 30*time.Second, "the sign-in window", func() bool {
		out, err := exec.Command("xdotool", "search", "--name", "Sign in.*caltray").Output()
		wid = strings.TrimSpace(string(out))
		return err == nil && wid != "" && !strings.Contains(wid, "\n")
	})
	waitFor(t, a, 20*time.Second, "the painted sign-in window", func() bool { return colours(t, wid) >= 8 })
	return wid
}

// signInWindowGone reports whether no sign-in window is left.
func signInWindowGone() bool {
	out, _ := exec.Command("xdotool", "search", "--name", "Sign in.*caltray").Output()
	return strings.TrimSpace(string(out)) == ""
}

// TestDemoSignOutAndIn: `caltray --demo` has an account on the simulated identity platform,
// signed in at start. "Sign out" (clicked over dbusmenu) turns the menu to "Sign in…"; that
// opens the sign-in window, whose browser sign-in the demo's simulated person finishes; the
// window closes and the demo syncs again with the new token.
func TestDemoSignOutAndIn(t *testing.T) {
	requireDesktop(t)
	addr := privateBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	defer conn.Close()
	w := serveWatcher(t, conn)
	a := startDemo(t, "DBUS_SESSION_BUS_ADDRESS="+addr)
	waitFor(t, a, 30*time.Second, "StatusNotifierItem registration", func() bool { return w.item() != "" })
	dest, path, _ := strings.Cut(w.item(), "/")
	tr := tray{conn: conn, dest: dest, item: dbus.ObjectPath("/" + path)}
	v, err := conn.Object(dest, tr.item).GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("the item has no Menu: %v", err)
	}
	tr.menu, _ = v.Value().(dbus.ObjectPath)
	item := func(label string) (menuItem, bool) {
		items := tr.layout(t)
		if len(items) == 0 || items[len(items)-1].label != "Quit" {
			return menuItem{}, false // mid-rebuild
		}
		h, ok := find(items, healthLine)
		it, found := find(items, regexp.MustCompile("^"+regexp.QuoteMeta(label)+"$"))
		return it, found && (label != "Sign out" || ok && strings.HasPrefix(h.label, "Synced"))
	}
	var it menuItem
	waitFor(t, a, 30*time.Second, `"Sign out" with a synced agenda`, func() (ok bool) { it, ok = item("Sign out"); return ok })
	tr.click(t, it.id)
	waitFor(t, a, 30*time.Second, `"Sign in…" after the sign-out`, func() (ok bool) { it, ok = item("Sign in…"); return ok })
	tr.click(t, it.id)
	wid := signInWindow(t, a)
	clickBrowserButton(t, wid, signInWindowGone) // the simulated person finishes at once
	waitFor(t, a, 30*time.Second, `"Sign out" with a synced agenda again`, func() (ok bool) { _, ok = item("Sign out"); return ok })
	a.stop(t)
}
