package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/pkg/browser"

	calsync "caltray/sync"
	"caltray/sync/auth"
	"caltray/sync/fakegraph"
	"caltray/sync/inert"
	"caltray/sync/origin"
	"caltray/ui"
	"caltray/ui/autostart"
	"caltray/ui/ipc"
	"caltray/ui/tray"
)

// The single-instance names on the session bus: the demo has its own, so `make demo` next to
// a running caltray shows the demo rather than the real agenda.
const (
	instanceName     = "app.caltray.Tray"
	demoInstanceName = "app.caltray.Demo"
)

// runTray is caltray without a command: the tray app, with the signed-in account, the token in
// CALTRAY_ACCESS_TOKEN, or (--demo) the simulated Graph started in-process.
func runTray(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caltray", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run on a simulated Microsoft Graph, with a \"Simulate outage\" menu entry")
	debug := fs.Bool("debug", false, "log debug lines too")
	var graphURL string
	urlVar(fs, &graphURL, "graph-url", origin.DefaultGraph, "Microsoft Graph base `URL` (https; http only for loopback)")
	healthAddr := fs.String("health-addr", "", "serve GET /health/async on this loopback `address`, e.g. 127.0.0.1:8765")
	var authCfg auth.Config
	auth.RegisterFlags(fs, &authCfg)
	if !parseAuthFlags(fs, args, stderr) {
		return exitUsage
	}
	token := os.Getenv(tokenEnv)
	managed, managedWarns, err := loadManaged(fs.Name(), stderr)
	if err != nil {
		trayCannotStart(stderr, *debug, token, err, notifyDesktop)
		return exitUsage
	}
	applyManaged(fs, managed, &authCfg, &graphURL)
	if *healthAddr != "" {
		if err := checkEndpointAddr(*healthAddr); err != nil {
			fmt.Fprintf(stderr, "caltray: --health-addr: %v\n", err)
			return exitUsage
		}
	}
	rc, err := runnerConfig()
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}
	log, cacheDir, closeLog := openLog(stderr, *debug, token)
	defer closeLog()
	for _, w := range managedWarns {
		log.Warn(w)
	}
	settings := loadSettings(log, managed.Settings)
	settingsPath, err := calsync.SettingsPath()
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}

	opts := loopOptions{Runner: rc, Days: -1, GraphURL: graphURL, Demo: *demo, Token: token,
		CacheDir: cacheDir, Settings: settings, Logger: log}
	if !tray.HasDisplay() {
		fmt.Fprintf(stderr, "caltray: %v\n", ui.ErrNoDisplay)
		return exitUsage
	}
	// One caltray per session: a second start shows the running one's agenda and exits.
	desktop, err := tray.OpenDesktop(log)
	if err != nil {
		log.Warn("no session bus: no tray icon, no notifications, no single-instance check", "err", err)
		desktop = nil
	} else {
		defer desktop.Close()
		name := instanceName
		if *demo {
			name = demoInstanceName
		}
		if err := desktop.Claim(name); errors.Is(err, tray.ErrRunning) {
			fmt.Fprintln(stdout, "caltray is already running: showing its agenda")
			return exitOK
		} else if err != nil {
			log.Warn("no single-instance check", "err", err)
		}
	}
	// The window names the runner's attempt timeout ("did not answer in 30 s"): it is handed the
	// tray's own, so the two processes cannot drift apart.
	windowArgs := []string{windowCommand, "--attempt-timeout", rc.AttemptTimeout.String()}
	if *debug {
		windowArgs = append(windowArgs, "--debug")
	}
	settingsDefaults := calsync.DefaultSettings()
	if managed.Settings != nil {
		settingsDefaults = *managed.Settings
	}
	uiOpts := tray.Options{Settings: settings, SettingsPath: settingsPath, SettingsDefaults: settingsDefaults, Logger: log,
		Window: tray.ExecWindow(windowArgs...), OpenURL: browser.OpenURL, Autostart: setAutostart}
	if desktop != nil {
		uiOpts.Notify, uiOpts.Remind, uiOpts.Show, uiOpts.Wake = desktop.Notify, desktop.Remind, desktop.Show(), desktop.Wake()
		// The icon is set up even with no tray host yet: fyne.io/systray registers it by
		// itself when a StatusNotifierWatcher appears. Until then the window stands in, with a
		// banner saying why (the watch starts before the check, so nothing falls in between).
		uiOpts.Host = tray.NewSystray("caltray")
		appeared, err := desktop.WatchTrayHost()
		if err != nil {
			log.Warn("a tray host appearing later will not be noticed", "err", err)
		}
		if !desktop.TrayHostPresent() {
			uiOpts.NoTrayHost, uiOpts.TrayHostAppeared = true, appeared
		}
	}
	switch {
	case *demo:
		id := newDemoIdentity()
		fake, err := fakegraph.New(fakegraph.Options{Authorize: id.Authorize})
		if err != nil {
			fmt.Fprintf(stderr, "caltray: start the simulated Graph: %v\n", err)
			return exitSync
		}
		defer fake.Close()
		opts.Fake = fake
		closeAccount, code := demoSignIn(id, fake, &opts, &uiOpts, log, stderr)
		if code != exitOK {
			return code
		}
		defer closeAccount()
	case token == "":
		authCfg.GraphURL, authCfg.Logger = graphURL, log
		sess, p, code := signedIn(authCfg, stderr)
		if code != exitOK {
			return code
		}
		opts.Auth, opts.AuthState = p, sess.State
		// The sign-in window asks; the tray signs in (it holds the token) and the loop's next
		// sync, which the tray asks for at once, picks the account up.
		uiOpts.SignIn = func(ctx context.Context, req tray.SignInRequest) error {
			return sess.SignInWith(ctx, auth.SignInOptions{DeviceCode: req.DeviceCode,
				ClientID: req.ClientID, Tenant: req.Tenant, Progress: req.Progress})
		}
		uiOpts.SignOut = func() error { return sess.SignOut(context.Background()) }
		uiOpts.NeedsClientID = sess.NeedsClientID
		// A first start (nobody has signed in) opens the sign-in window: without it the only
		// way in would be a command line.
		state, _ := sess.State()
		uiOpts.SignInFirst = state == calsync.AuthSignedOut
		uiOpts.SettingSources = func() []ipc.SettingSource {
			var out []ipc.SettingSource
			for _, s := range settingSources(fs, graphURL, sess.Account(), managed) {
				out = append(out, ipc.SettingSource{Name: s.name, Value: s.value, From: s.from})
			}
			return out
		}
	}

	loop, closeLoop, err := newLoop(opts)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}
	defer closeLoop()
	uiOpts.Loop = loop
	if *demo {
		uiOpts.Outage = demoOutage(opts.Fake, loop)
	}
	if *healthAddr != "" {
		srv, err := startEndpoint(*healthAddr, loop.Health, log)
		if err != nil {
			fmt.Fprintf(stderr, "caltray: --health-addr: %v\n", err)
			return exitUsage
		}
		defer srv.Close()
	}
	loop.Start()
	defer loop.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tray.Run(ctx, uiOpts); err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// demoOutage is the demo's "Simulate outage". On: every Graph request fails as in a real outage
// (503 with a Retry-After of 1 s), and the loop runs on the demo's compressed pace
// (calsync.DemoPace: syncs seconds apart, a breaker open for seconds) until it has recovered, so
// degraded, down, half-open and operational play out in about a minute. Off: the outage ends;
// the pace lasts until the next good sync, so the recovery plays at pace too. Without an outage
// the demo keeps the normal interval, so idle measurements on --demo stay meaningful.
func demoOutage(fake *fakegraph.Server, loop *calsync.Loop) func(on bool) error {
	return func(on bool) error {
		if !on {
			return fake.SetOutage(fakegraph.Fault{})
		}
		if err := fake.SetOutage(fakegraph.Fault{Kind: fakegraph.Unavailable}); err != nil {
			return err
		}
		return loop.Hurry(calsync.DemoPace)
	}
}

// setAutostart turns start at login on (for this program file) or off.
func setAutostart(on bool) error {
	if !on {
		return autostart.Disable()
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find caltray's own program file: %w", err)
	}
	return autostart.Enable(exe)
}

// trayCannotStart reports a damaged managed configuration, which stops the tray before it
// runs, everywhere its user may look: stderr (a terminal, when there is one), the log file (a
// tray started at login has no terminal: its stderr goes nowhere) and a desktop notification
// through notify. err names the file and the key (package preset); only an administrator can
// change the file, so the notification says whom to ask.
func trayCannotStart(stderr io.Writer, debug bool, token string, err error, notify func(log *slog.Logger, title, body string)) {
	fmt.Fprintf(stderr, "caltray: %v\n", err)
	// The log file alone: stderr has the line above, in words rather than log fields.
	log, _, closeLog := openLog(nil, debug, token)
	defer closeLog()
	log.Error("caltray cannot start: its managed configuration is not usable; ask your IT department to fix the file", "err", err)
	if notify != nil {
		notify(log, "caltray cannot start",
			inert.String(err.Error())+"\nOnly an administrator can change this file: ask your IT department to fix it, then start caltray again.")
	}
}

// notifyDesktop shows one notification through the desktop's notification service, if one is
// reachable; otherwise it says so in log.
func notifyDesktop(log *slog.Logger, title, body string) {
	d, err := tray.OpenDesktop(log)
	if err != nil {
		log.Warn("no desktop notification of it", "err", err)
		return
	}
	defer d.Close()
	d.Notify(title, body)
}
