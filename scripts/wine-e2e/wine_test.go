// Package wine holds the end-to-end tests of the Windows build under Wine. They drive the
// binaries scripts/build-windows.sh made (caltray.exe, the GUI app, and caltray-cli.exe, its
// console twin) as Windows programs in a throwaway Wine prefix. scripts/wine-test.sh (part of
// make test) creates the prefix and sets the environment; anywhere else these tests skip.
//
// Environment: CALTRAY_WINE_BIN (the folder with caltray.exe, caltray-cli.exe and
// trustcert.exe), CALTRAY_WINE_VERSION and CALTRAY_WINE_COMMIT (what the binaries were built
// as), CALTRAY_WINE_ARTIFACTS (where screenshots go), and WINEPREFIX, WINEDEBUG,
// WINEDLLOVERRIDES, DISPLAY for Wine itself.
package wine

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caltray/sync/fakegraph"
)

// Exit codes of caltray (DESIGN.md).
const (
	exitOK     = 0
	exitSignIn = 3
)

// wineEnv returns the folder of the Windows binaries, or skips the test when not run by
// scripts/wine-test.sh.
func wineEnv(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CALTRAY_WINE_BIN")
	if dir == "" || os.Getenv("WINEPREFIX") == "" {
		t.Skip("Windows end-to-end test: scripts/wine-test.sh runs it under Wine (make test does)")
	}
	return dir
}

// appData returns the prefix's %APPDATA% (roaming) and %LOCALAPPDATA% folders as Linux paths.
func appData(t *testing.T) (roaming, local string) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "users", u.Username, "AppData")
	return filepath.Join(base, "Roaming"), filepath.Join(base, "Local")
}

type result struct {
	stdout, stderr string
	code           int
}

// wine runs a Windows program to its end (at most a minute) and returns what it printed.
func wine(t *testing.T, exe string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("wine %s %s: no exit within a minute\n%s%s", filepath.Base(exe), strings.Join(args, " "), out.String(), errb.String())
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("wine %s: %v", filepath.Base(exe), err)
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

// TestVersion: both binaries say the version and commit they were built with, for Windows.
func TestVersion(t *testing.T) {
	dir := wineEnv(t)
	want := "caltray " + os.Getenv("CALTRAY_WINE_VERSION") + " (commit " + os.Getenv("CALTRAY_WINE_COMMIT") + ", "
	for _, exe := range []string{"caltray-cli.exe", "caltray.exe"} {
		t.Run(exe, func(t *testing.T) {
			r := wine(t, filepath.Join(dir, exe), "version")
			if r.code != exitOK || !strings.HasPrefix(r.stdout, want) || !strings.HasSuffix(r.stdout, " windows/amd64)\n") {
				t.Errorf("version: exit %d, stdout %q, want it to start %q and end with windows/amd64\nstderr: %s", r.code, r.stdout, want, r.stderr)
			}
		})
	}
}

// agendaJSON is the part of `caltray agenda --json` (DESIGN.md) these tests read.
type agendaJSON struct {
	Health struct {
		Healthy bool   `json:"healthy"`
		Status  string `json:"status"`
	} `json:"health"`
	Events []struct {
		ID      string `json:"id"`
		Subject string `json:"subject"`
		Start   string `json:"start"`
	} `json:"events"`
}

func parseAgenda(t *testing.T, r result) agendaJSON {
	t.Helper()
	var a agendaJSON
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
		t.Fatalf("agenda --json printed no JSON (%v), exit %d:\n%s\nstderr:\n%s", err, r.code, r.stdout, r.stderr)
	}
	return a
}

// TestAgendaDemo: the console twin syncs against the in-process simulated Graph, prints the
// JSON agenda with events, exits 0, and keeps its cache under %LOCALAPPDATA%.
func TestAgendaDemo(t *testing.T) {
	dir := wineEnv(t)
	r := wine(t, filepath.Join(dir, "caltray-cli.exe"), "agenda", "--demo", "--json")
	a := parseAgenda(t, r)
	if r.code != exitOK || !a.Health.Healthy || a.Health.Status != "operational" || len(a.Events) == 0 {
		t.Fatalf("agenda --demo --json: exit %d, health %+v, %d events\nstderr: %s", r.code, a.Health, len(a.Events), r.stderr)
	}
	for _, e := range a.Events {
		if e.ID == "" || e.Subject == "" {
			t.Errorf("event without id or subject: %+v", e)
		}
		if _, err := time.Parse(time.RFC3339, e.Start); err != nil {
			t.Errorf("event %s: start %q is not RFC 3339", e.ID, e.Start)
		}
	}
	_, local := appData(t)
	if _, err := os.Stat(filepath.Join(local, "caltray")); err != nil {
		t.Errorf("no cache folder under %%LOCALAPPDATA%%: %v", err)
	}
}

// credentials lists the entries of Wine's Credential Manager whose name mentions caltray.
// Wine keeps them in the registry, under HKCU\Software\Wine\Credential Manager.
func credentials(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wine", "reg", "query", `HKCU\Software\Wine\Credential Manager`).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "unable to find") {
		// reg fails when the key does not exist yet: no credential at all.
		t.Logf("reg query: %v: %s", err, out)
	}
	var found []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(strings.ToLower(line), "caltray") {
			found = append(found, line)
		}
	}
	return found
}

// TestSignInRoundTrip is the path a person takes on Windows, through the console twin against
// the simulated identity platform and Graph over TLS: signin --device-code, then whoami and
// agenda in new processes, the key in Wine's Credential Manager, no token in any file, and
// signout leaving neither a credential nor an account record behind.
func TestSignInRoundTrip(t *testing.T) {
	dir := wineEnv(t)
	cli := filepath.Join(dir, "caltray-cli.exe")
	const clientID = "3f2a1b0c-1111-4a2b-9c3d-5e6f7a8b9c0d"
	id := fakegraph.NewIdentity(fakegraph.IdentityOptions{ClientID: clientID})
	fake, err := fakegraph.NewTLS(fakegraph.Options{Authorize: id.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	id.Mount(fake)
	// Windows verifies TLS through its certificate store, and Wine 8's SSL policy does not
	// match IP addresses ("valid for 127.0.0.1, not 127.0.0.1"): trust the certificate in the
	// prefix and use the name the certificate also carries, localhost.
	base := strings.Replace(strings.TrimSuffix(fake.URL(), "/v1.0"), "127.0.0.1", "localhost", 1)
	fake.SetLinkBase(base + "/v1.0")
	id.SetAudience(base)
	cert := filepath.Join(t.TempDir(), "fake.pem")
	if err := os.WriteFile(cert, fake.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := wine(t, filepath.Join(dir, "trustcert.exe"), cert); r.code != 0 {
		t.Fatalf("trustcert: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if creds := credentials(t); len(creds) != 0 {
		t.Fatalf("the prefix holds caltray credentials before sign-in: %q", creds)
	}
	settings := []string{"--graph-url", base + "/v1.0"}

	// signin: the test plays the user, who reads the code and enters it on the page.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", append([]string{cli, "signin", "--device-code", "--client-id", clientID,
		"--authority", base + "/"}, settings...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	printed, err := fake.EnterDeviceCodes(stdout)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("signin: %v\nstdout:\n%s\nstderr:\n%s", err, printed, errb.String())
	}

	r := wine(t, cli, "whoami")
	if r.code != exitOK || !strings.Contains(r.stdout, fakegraph.DefaultIdentityUPN) {
		t.Fatalf("whoami: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = wine(t, cli, append([]string{"agenda", "--json"}, settings...)...)
	if a := parseAgenda(t, r); r.code != exitOK || len(a.Events) == 0 {
		t.Fatalf("agenda after signin: exit %d, %d events\n%s", r.code, len(a.Events), r.stderr)
	}
	if creds := credentials(t); len(creds) == 0 {
		t.Errorf("after signin, Wine's Credential Manager holds no caltray entry")
	} else {
		t.Logf("Credential Manager after signin: %q", creds)
	}

	// The account record and the sealed token cache live under %APPDATA%\caltray; no issued
	// token is in any file in plain form.
	roaming, local := appData(t)
	config := filepath.Join(roaming, "caltray")
	if entries, err := os.ReadDir(config); err != nil || len(entries) == 0 {
		t.Errorf("nothing under %%APPDATA%%\\caltray after signin (%v)", err)
	}
	tokens := id.IssuedTokens()
	if len(tokens) == 0 {
		t.Fatal("the identity platform issued no token")
	}
	for _, d := range []string{config, filepath.Join(local, "caltray")} {
		filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, tok := range tokens {
				if bytes.Contains(data, []byte(tok)) {
					t.Errorf("%s holds an issued token in plain form", path)
				}
			}
			return nil
		})
	}

	r = wine(t, cli, "signout")
	if r.code != exitOK || !strings.Contains(r.stdout, "Signed out") {
		t.Fatalf("signout: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if creds := credentials(t); len(creds) != 0 {
		t.Errorf("signout left credentials in Wine's Credential Manager: %q", creds)
	}
	filepath.WalkDir(config, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.Contains(e.Name(), "account") || strings.Contains(e.Name(), "token")) {
			t.Errorf("signout left %s", path)
		}
		return nil
	})
	r = wine(t, cli, append([]string{"agenda"}, settings...)...)
	if r.code != exitSignIn || !strings.Contains(r.stderr, "caltray signin") {
		t.Fatalf("agenda after signout: exit %d, want %d with advice to sign in\n%s", r.code, exitSignIn, r.stderr)
	}
}

// TestTrayDemo: caltray.exe --demo, the GUI-subsystem app, puts its icon in Wine's system tray
// (Wine's own tray window, "Wine System Tray", as the display has no other tray), which a
// screenshot shows to be drawn, not blank; then it exits cleanly through its menu's Quit.
// (Ctrl+C does not reach a GUI-subsystem program under Wine: it has no console.)
func TestTrayDemo(t *testing.T) {
	dir := wineEnv(t)
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no DISPLAY: scripts/wine-test.sh runs these tests on Xvfb")
	}
	for _, tool := range []string{"xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	before := trayWindows(t)

	cmd := exec.Command("wine", filepath.Join(dir, "caltray.exe"), "--demo")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()

	// The tray window appears when the first icon is added; wait for it and for a drawn icon.
	var shot []byte
	var win string
	deadline := time.Now().Add(90 * time.Second)
	// Wine's standalone tray window, shown once it holds an icon.
	for {
		select {
		case err := <-done:
			t.Fatalf("caltray.exe --demo exited early: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
		case <-time.After(time.Second):
		}
		for w := range trayWindows(t) {
			if before[w] {
				continue
			}
			if png, err := exec.Command("import", "-window", w, "png:-").Output(); err == nil && drawn(png) {
				shot, win = png, w
			}
		}
		if shot != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drawn tray icon within 90 s (tray windows: %v)\nstderr:\n%s", trayWindows(t), errb.String())
		}
	}
	if dir := os.Getenv("CALTRAY_WINE_ARTIFACTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "wine-tray.png"), shot, 0o644)
		full, _ := exec.Command("import", "-window", "root", "png:-").Output()
		os.WriteFile(filepath.Join(dir, "wine-screen.png"), full, 0o644)
	}
	t.Logf("tray window %s: %d-byte screenshot", win, len(shot))

	// Quit as a user does: right-click the icon, and in the menu that opens choose its last
	// item, Quit (Up from no selection goes to the last item). A clean exit, code 0, in 20 s.
	// A menu refreshed while it is open (the countdown, a sync) drops the chosen item's ID
	// ("systray error: no menu item with ID …"), and the choice does nothing: up to 3 tries.
	baseline := visible(t, "caltray.exe")
	for try := 1; ; try++ {
		if err := exec.Command("xdotool", "mousemove", "--window", win, "9", "10", "click", "3").Run(); err != nil {
			t.Fatalf("right-click the tray icon: %v", err)
		}
		menu := false
		for range 20 {
			for w := range visible(t, "caltray.exe") {
				menu = menu || !baseline[w]
			}
			if menu {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !menu {
			t.Fatalf("no menu after a right-click on the tray icon\nstderr:\n%s", errb.String())
		}
		if dir := os.Getenv("CALTRAY_WINE_ARTIFACTS"); dir != "" && try == 1 {
			full, _ := exec.Command("import", "-window", "root", "png:-").Output()
			os.WriteFile(filepath.Join(dir, "wine-menu.png"), full, 0o644)
		}
		if err := exec.Command("xdotool", "key", "--delay", "300", "Up", "Return").Run(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("caltray.exe did not exit cleanly on Quit: %v\nstderr:\n%s", err, errb.String())
			}
			return
		case <-time.After(20 * time.Second):
		}
		if try == 3 {
			t.Fatalf("caltray.exe still running 20 s after each of 3 Quits\nstderr:\n%s", errb.String())
		}
		t.Logf("Quit try %d did nothing; again", try)
	}
}

// visible returns the visible windows of a Windows program by its class name (the .exe).
func visible(t *testing.T, class string) map[string]bool {
	t.Helper()
	out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--classname", class).Output()
	ws := map[string]bool{}
	for _, w := range strings.Fields(string(out)) {
		ws[w] = true
	}
	return ws
}

// trayWindows returns the visible "Wine System Tray" windows (explorer.exe draws the tray).
func trayWindows(t *testing.T) map[string]bool {
	t.Helper()
	out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Wine System Tray$").Output()
	ws := map[string]bool{}
	for _, w := range strings.Fields(string(out)) {
		ws[w] = true
	}
	return ws
}

// drawn reports whether a screenshot shows something: at least 1/100 of its pixels (and 40 or
// more) differ clearly from its most common colour, the background (a 16 px icon in Wine's
// 160x20 tray window is about 200 of 3,200). A blank or single-colour
// window, or a PNG that does not decode, is not drawn.
func drawn(data []byte) bool {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return false
	}
	b := img.Bounds()
	counts := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[rgb(img, x, y)]++
		}
	}
	var bg [3]uint32
	for c, n := range counts {
		if n > counts[bg] {
			bg = c
		}
	}
	differ := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c, d := rgb(img, x, y), uint32(0)
			for i := range c {
				if c[i] > bg[i] {
					d += c[i] - bg[i]
				} else {
					d += bg[i] - c[i]
				}
			}
			if d > 96 {
				differ++
			}
		}
	}
	return differ >= 40 && differ*100 >= b.Dx()*b.Dy()
}

func rgb(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}
