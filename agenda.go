package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	calsync "caltray/sync"
	"caltray/sync/auth"
	"caltray/sync/origin"
)

// runAgenda is `caltray agenda`: one sync (or, with --serve, the loop) and the agenda printed.
// Usage errors are found before anything else runs: no sign-in, no sync for a bad flag.
func runAgenda(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caltray agenda", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var days daysFlag
	fs.Var(&days, "days", "show `N` days after today, 0 for today only (default: the settings' window, 7)")
	asJSON := fs.Bool("json", false, "print the agenda as JSON (the schema in docs/DESIGN.md)")
	var graphURL string
	urlVar(fs, &graphURL, "graph-url", origin.DefaultGraph, "Microsoft Graph base `URL` (https; http only for loopback)")
	demo := fs.Bool("demo", false, "sync against a simulated Graph started in-process: no account, no network")
	debug := fs.Bool("debug", false, "log debug lines too")
	serve := fs.Bool("serve", false, "keep syncing every interval and print the agenda after each sync, until interrupted")
	healthAddr := fs.String("health-addr", "", "with --serve: serve GET /health/async on this loopback `address`, e.g. 127.0.0.1:8765")
	var authCfg auth.Config
	auth.RegisterFlags(fs, &authCfg)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: caltray agenda [--days N] [--json] [--graph-url URL] [--demo] [--debug] [--serve [--health-addr ADDR]]\n\n"+
			"Syncs once and prints the upcoming meetings, as the account signed in with caltray signin,\n"+
			"or with the bearer token in %s if it is set (used as-is, never stored).\n"+
			"Exit codes: 0 ok, 2 usage or config error, 3 sign-in needed, 4 sync failed (cached agenda printed, marked stale).\n\n", tokenEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "caltray agenda: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if err := checkURLFlags(fs); err != nil {
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitUsage
	}
	managed, _, err := loadManaged(fs.Name(), stderr)
	if err != nil {
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitUsage
	}
	applyManaged(fs, managed, &authCfg, &graphURL)
	if *healthAddr != "" && !*serve {
		fmt.Fprintln(stderr, "caltray agenda: --health-addr needs --serve: a single sync ends before anyone could ask")
		return exitUsage
	}
	if *healthAddr != "" {
		if err := checkEndpointAddr(*healthAddr); err != nil {
			fmt.Fprintf(stderr, "caltray agenda: --health-addr: %v\n", err)
			return exitUsage
		}
	}
	rc, err := runnerConfig()
	if err != nil {
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitUsage
	}
	token := os.Getenv(tokenEnv)

	log, cacheDir, closeLog := openLog(stderr, *debug, token)
	defer closeLog()
	settings := loadSettings(log, managed.Settings)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := loopOptions{
		Runner: rc, Days: days.value(), GraphURL: graphURL, Demo: *demo, Token: token,
		CacheDir: cacheDir, Settings: settings, Logger: log,
	}
	if token == "" && !*demo {
		authCfg.GraphURL, authCfg.Logger = graphURL, log
		sess, p, code := signedIn(authCfg, stderr)
		if code != exitOK {
			return code
		}
		if err := sess.SignedIn(); err != nil {
			if errors.Is(err, auth.ErrNotSignedIn) {
				fmt.Fprintf(stderr, "caltray agenda: nobody is signed in: run caltray signin (README: \"Register caltray in Microsoft Entra ID\"), "+
					"or set %s to a Microsoft Graph access token, or try --demo\n", tokenEnv)
			} else {
				fmt.Fprintf(stderr, "caltray agenda: %v\n", err) // a damaged account record: the message names the file and the fix
			}
			return exitSignIn
		}
		opts.Auth = p
	}
	if *serve {
		return serveAgenda(ctx, opts, *healthAddr, *asJSON, stdout, stderr, log)
	}
	stopWaiting := sayWhileWaiting(stderr, graphURL, *demo, calsync.SlowSync, rc.AttemptTimeout)
	snap, err := syncOnce(ctx, opts)
	stopWaiting()
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitUsage
	case errors.Is(err, errNoCredential):
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitSignIn
	}
	snap = narrowDays(snap, days.value(), time.Local)
	if snap.Generation > 0 { // there is an agenda to show, fresh or cached
		var werr error
		if *asJSON {
			werr = writeJSON(stdout, newAgendaOutput(snap, time.Now(), time.Local))
		} else {
			werr = writeTable(stdout, snap, time.Local)
		}
		if werr != nil {
			fmt.Fprintf(stderr, "caltray agenda: write the agenda: %v\n", werr)
			return exitSync
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "caltray agenda: sync failed: %v\n", err)
		if calsync.SignInNeeded(err) {
			return exitSignIn
		}
		return exitSync
	}
	return exitOK
}

// serveAgenda is `caltray agenda --serve`: the sync loop runs until ctx ends, the agenda is
// printed after each sync, and the health endpoint serves if addr is set.
func serveAgenda(ctx context.Context, opts loopOptions, addr string, asJSON bool, stdout, stderr io.Writer, log *slog.Logger) int {
	loop, closeLoop, err := newLoop(opts)
	if err != nil {
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		if errors.Is(err, errNoCredential) {
			return exitSignIn
		}
		return exitUsage
	}
	defer closeLoop()
	if addr != "" {
		srv, err := startEndpoint(addr, loop.Health, log)
		if err != nil {
			fmt.Fprintf(stderr, "caltray agenda: --health-addr: %v\n", err)
			return exitUsage
		}
		defer srv.Close()
	}
	snaps, cancel := loop.Subscribe()
	defer cancel()
	loop.Start()
	defer loop.Stop()
	var printed uint64
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case s := <-snaps:
			if s.Syncing || s.Syncs == printed {
				continue // print each finished sync once
			}
			printed = s.Syncs
			s = narrowDays(s, opts.Days, time.Local)
			if asJSON {
				err = writeJSONLine(stdout, newAgendaOutput(s, time.Now(), time.Local))
			} else {
				err = writeTable(stdout, s, time.Local)
				fmt.Fprintln(stdout)
			}
			if err != nil {
				fmt.Fprintf(stderr, "caltray agenda: write the agenda: %v\n", err)
				return exitSync
			}
		}
	}
}

// narrowDays cuts a snapshot to the window of --days (negative: unchanged): the meetings that
// overlap today through today+days in loc. The loop syncs at least the settings' window, so
// what is cached never depends on one run's --days.
func narrowDays(s calsync.Snapshot, days int, loc *time.Location) calsync.Snapshot {
	if days < 0 || s.From.IsZero() {
		return s
	}
	w := s.Settings
	w.WindowDays = days
	from, to := w.Window(s.From, loc)
	if !to.Before(s.To) {
		return s
	}
	// The snapshot is already filtered and sorted; Agenda is used for its overlap rule alone.
	kept := calsync.Settings{}.Agenda(s.Appointments, from, to, loc)
	s.Appointments, s.To = kept, to
	return s
}

// sayWhileWaiting tells a person at a terminal what a slow sync is waiting for: a line on
// stderr after `after`, and every 15 s after that, until the returned stop is called. Nothing
// is printed when stderr is not a terminal: scripts read stderr as errors.
func sayWhileWaiting(stderr io.Writer, graphURL string, demo bool, after, attemptTimeout time.Duration) (stop func()) {
	if !isTerminal(stderr) {
		return func() {}
	}
	what := "Microsoft Graph"
	if demo {
		what = "the simulated Graph"
	} else if u, err := url.Parse(graphURL); err == nil && u.Host != "" && u.Host != "graph.microsoft.com" {
		what = "Microsoft Graph at " + u.Host
	}
	return waitNotice(stderr, what, after, 15*time.Second, attemptTimeout)
}

// waitNotice writes "waiting for what" to w after `after` and then every `every`, until stop.
func waitNotice(w io.Writer, what string, after, every, attemptTimeout time.Duration) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		t := time.NewTimer(after)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "caltray agenda: waiting for %s (%s so far; each try may take up to %s, and a failed one is tried again; Ctrl-C stops)\n",
					what, time.Since(start).Round(time.Second), attemptTimeout)
				t.Reset(every)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
