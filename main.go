// Command caltray shows your Microsoft 365 meetings, and the health of their sync, in the
// system tray. See README.md; the contracts (sub-commands, exit codes, JSON) are in DESIGN.md.
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/agenda"
	"caltray/sync/auth"
	"caltray/sync/fakegraph"
	"caltray/sync/graph"
	"caltray/sync/health"
	"caltray/sync/logging"
	"caltray/ui"
)

// Exit codes, a contract with scripts (DESIGN.md).
const (
	exitOK     = 0
	exitUsage  = 2 // bad flags, arguments or configuration
	exitSignIn = 3 // a sign-in is needed
	exitSync   = 4 // the sync failed; the cached agenda was printed, marked stale
)

// commands maps a sub-command to its implementation. Each returns the exit code.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"version": runVersion,
	"agenda":  runAgenda,
	"signin":  runSignIn,
	"signout": runSignOut,
	"whoami":  runWhoAmI,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			usage(stdout)
			return exitOK
		}
		return runTray(args, stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "caltray: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: caltray [--demo] [--debug] [--graph-url URL] [--health-addr ADDR]
       caltray <command> [flags]

Without a command, caltray runs in the system tray (--demo: on a simulated Microsoft Graph,
with a "Simulate outage" menu entry). --health-addr serves GET /health/async on loopback.

commands:
  agenda    sync once and print the upcoming meetings (caltray agenda -h for its flags)
  signin    sign in with your Microsoft 365 account (--device-code without a browser)
  signout   remove every token and the account record
  whoami    print the signed-in account
  version   print caltray's version
`)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "caltray version: takes no arguments\n")
		return exitUsage
	}
	fmt.Fprintln(stdout, versionLine())
	return exitOK
}

// runAgenda is `caltray agenda`: flags and output here, the work in package agenda.
func runAgenda(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caltray agenda", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var days daysFlag
	fs.Var(&days, "days", "show `N` days after today, 0 for today only (default: the settings' window, 7)")
	asJSON := fs.Bool("json", false, "print the agenda as JSON (the schema in DESIGN.md)")
	graphURL := fs.String("graph-url", graph.DefaultBaseURL, "Microsoft Graph base URL (https; http only for loopback)")
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
			"Exit codes: 0 ok, 2 usage or config error, 3 sign-in needed, 4 sync failed (cached agenda printed, marked stale).\n\n", agenda.TokenEnv)
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
	if *healthAddr != "" && !*serve {
		fmt.Fprintln(stderr, "caltray agenda: --health-addr needs --serve: a single sync ends before anyone could ask")
		return exitUsage
	}
	token := os.Getenv(agenda.TokenEnv)

	log, cacheDir, closeLog := openLog(stderr, *debug, token)
	defer closeLog()
	settings := loadSettings(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := agenda.Options{
		Days: days.value(), GraphURL: *graphURL, Demo: *demo, Token: token,
		CacheDir: cacheDir, Settings: settings, Logger: log,
	}
	if token == "" && !*demo {
		authCfg.GraphURL, authCfg.Log = *graphURL, log
		sess, p, code := signedIn(authCfg, stderr)
		if code != exitOK {
			return code
		}
		if sess.Account() == nil {
			fmt.Fprintf(stderr, "caltray agenda: nobody is signed in: run caltray signin (README: \"Register caltray in Microsoft Entra ID\"), "+
				"or set %s to a Microsoft Graph access token, or try --demo\n", agenda.TokenEnv)
			return exitSignIn
		}
		opts.Auth = p
	}
	if *serve {
		return serveAgenda(ctx, opts, *healthAddr, *asJSON, stdout, stderr, log)
	}
	snap, err := agenda.Run(ctx, opts)
	switch {
	case errors.Is(err, agenda.ErrUsage):
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitUsage
	case errors.Is(err, agenda.ErrNoCredential):
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		return exitSignIn
	}
	if snap.Generation > 0 { // there is an agenda to show, fresh or cached
		var werr error
		if *asJSON {
			werr = agenda.WriteJSON(stdout, agenda.NewOutput(snap, time.Now(), time.Local))
		} else {
			werr = agenda.WriteTable(stdout, snap, time.Local)
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
func serveAgenda(ctx context.Context, opts agenda.Options, addr string, asJSON bool, stdout, stderr io.Writer, log *slog.Logger) int {
	loop, closeLoop, err := agenda.NewLoop(opts)
	if err != nil {
		fmt.Fprintf(stderr, "caltray agenda: %v\n", err)
		if errors.Is(err, agenda.ErrNoCredential) {
			return exitSignIn
		}
		return exitUsage
	}
	defer closeLoop()
	if addr != "" {
		srv, err := health.Start(addr, loop.Health, log)
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
			if asJSON {
				err = agenda.WriteJSONLine(stdout, agenda.NewOutput(s, time.Now(), time.Local))
			} else {
				err = agenda.WriteTable(stdout, s, time.Local)
				fmt.Fprintln(stdout)
			}
			if err != nil {
				fmt.Fprintf(stderr, "caltray agenda: write the agenda: %v\n", err)
				return exitSync
			}
		}
	}
}

// openLog sets up logging to stderr and to the capped log file in the cache directory, which
// it returns too ("" if there is none). Lines never contain token (CALTRAY_ACCESS_TOKEN), with
// or without its "Bearer " prefix.
func openLog(stderr io.Writer, debug bool, token string) (log *slog.Logger, cacheDir string, closeLog func() error) {
	secrets := append([]string{token}, strings.Fields(token)...)
	cacheDir, cacheErr := calsync.CacheDir()
	log, closeLog, err := logging.New(logging.Options{Dir: cacheDir, Stderr: stderr, Debug: debug, Secrets: secrets})
	if err != nil {
		// No log file is no reason to show no agenda: log to stderr alone.
		log, closeLog, _ = logging.New(logging.Options{Stderr: stderr, Debug: debug, Secrets: secrets})
		log.Warn("logging to stderr only", "err", err)
	}
	if cacheErr != nil {
		log.Warn("running without the offline cache", "err", cacheErr)
	}
	return log, cacheDir, closeLog
}

// loadSettings reads the user's settings; a bad file is reported and the defaults are used.
func loadSettings(log *slog.Logger) calsync.Settings {
	path, err := calsync.SettingsPath()
	if err != nil {
		log.Warn("using default settings", "err", err)
		return calsync.DefaultSettings()
	}
	s, err := calsync.LoadSettings(path)
	if err != nil {
		log.Warn(err.Error())
	}
	return s
}

// daysFlag is --days: a count of days, or unset to use the settings' window.
type daysFlag struct {
	n   int
	set bool
}

func (d *daysFlag) String() string {
	if d == nil || !d.set {
		return "" // unset: PrintDefaults shows no default, the usage line says what it is
	}
	return strconv.Itoa(d.n)
}

func (d *daysFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("want a whole number of days, 0 or more")
	}
	d.n, d.set = n, true
	return nil
}

// value is the days for agenda.Options: -1 when unset.
func (d *daysFlag) value() int {
	if !d.set {
		return -1
	}
	return d.n
}

// signedIn opens the sign-in session cfg describes (the account signed in with caltray signin)
// and the Graph authentication provider over it, or says what is wrong and returns the exit code.
func signedIn(cfg auth.Config, stderr io.Writer) (*auth.Session, authentication.AuthenticationProvider, int) {
	sess, err := auth.Open(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return nil, nil, exitUsage
	}
	p, err := auth.Provider(sess, cfg.GraphURL)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return nil, nil, exitUsage
	}
	return sess, p, exitOK
}

// authFlags is the flag set of signin, signout and whoami: the sign-in settings and --graph-url.
func authFlags(name string, stderr io.Writer) (*flag.FlagSet, *auth.Config) {
	fs := flag.NewFlagSet("caltray "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &auth.Config{}
	auth.RegisterFlags(fs, cfg)
	fs.StringVar(&cfg.GraphURL, "graph-url", auth.DefaultGraphURL, "Microsoft Graph base URL the tokens are for")
	return fs, cfg
}

// parseAuthFlags parses args into fs; it returns false (after saying why) if they are wrong.
func parseAuthFlags(fs *flag.FlagSet, args []string, stderr io.Writer) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false
	}
	return true
}

// authExit maps a sign-in command's error to the exit code.
func authExit(stderr io.Writer, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "caltray %s: %v\n", cmd, err)
	if errors.Is(err, auth.ErrBadConfig) || errors.Is(err, calsync.ErrNoKeyring) {
		return exitUsage
	}
	return exitSignIn // still not signed in: declined, expired code, network
}

func runSignIn(args []string, stdout, stderr io.Writer) int {
	fs, cfg := authFlags("signin", stderr)
	deviceCode := fs.Bool("device-code", false, "sign in with a code entered on another device (no browser here, e.g. over SSH)")
	if !parseAuthFlags(fs, args, stderr) {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return authExit(stderr, "signin", auth.SignIn(ctx, *cfg, stdout, *deviceCode))
}

func runSignOut(args []string, stdout, stderr io.Writer) int {
	fs, cfg := authFlags("signout", stderr)
	if !parseAuthFlags(fs, args, stderr) {
		return exitUsage
	}
	return authExit(stderr, "signout", auth.SignOut(context.Background(), *cfg, stdout))
}

func runWhoAmI(args []string, stdout, stderr io.Writer) int {
	fs, cfg := authFlags("whoami", stderr)
	if !parseAuthFlags(fs, args, stderr) {
		return exitUsage
	}
	return authExit(stderr, "whoami", auth.WhoAmI(*cfg, stdout))
}

// runTray is caltray without a command: the tray app, with the signed-in account, the token in
// CALTRAY_ACCESS_TOKEN, or (--demo) the simulated Graph started in-process.
func runTray(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caltray", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run on a simulated Microsoft Graph, with a \"Simulate outage\" menu entry")
	debug := fs.Bool("debug", false, "log debug lines too")
	graphURL := fs.String("graph-url", graph.DefaultBaseURL, "Microsoft Graph base URL (https; http only for loopback)")
	healthAddr := fs.String("health-addr", "", "serve GET /health/async on this loopback `address`, e.g. 127.0.0.1:8765")
	var authCfg auth.Config
	auth.RegisterFlags(fs, &authCfg)
	if !parseAuthFlags(fs, args, stderr) {
		return exitUsage
	}
	token := os.Getenv(agenda.TokenEnv)
	log, cacheDir, closeLog := openLog(stderr, *debug, token)
	defer closeLog()
	settings := loadSettings(log)
	settingsPath, err := calsync.SettingsPath()
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}

	opts := agenda.Options{Days: -1, GraphURL: *graphURL, Demo: *demo, Token: token,
		CacheDir: cacheDir, Settings: settings, Logger: log}
	uiOpts := ui.Options{Settings: settings, SettingsPath: settingsPath,
		AttemptTimeout: runner.DefaultConfig().AttemptTimeout, Version: version, Log: log}
	switch {
	case *demo:
		fake, err := fakegraph.New(fakegraph.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "caltray: start the simulated Graph: %v\n", err)
			return exitSync
		}
		defer fake.Close()
		opts.Fake = fake
		uiOpts.Outage = func(on bool) error {
			if on {
				return fake.SetOutage(fakegraph.Fault{Kind: fakegraph.Unavailable})
			}
			return fake.SetOutage(fakegraph.Fault{})
		}
	case token == "":
		authCfg.GraphURL, authCfg.Log = *graphURL, log
		sess, p, code := signedIn(authCfg, stderr)
		if code != exitOK {
			return code
		}
		opts.Auth, opts.AuthState = p, sess.State
		// The tray signs in with the browser; the loop's next sync picks the account up.
		uiOpts.SignIn = func(ctx context.Context) error { return sess.SignIn(ctx, io.Discard, false) }
		uiOpts.SignOut = func() error { return sess.SignOut(context.Background()) }
	}

	loop, closeLoop, err := agenda.NewLoop(opts)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}
	defer closeLoop()
	uiOpts.Loop = loop
	if *healthAddr != "" {
		srv, err := health.Start(*healthAddr, loop.Health, log)
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
	if err := ui.Run(ctx, uiOpts); err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return exitUsage
	}
	return exitOK
}
