package main

// The assembly: what turns flags, environment, settings, the signed-in account and --demo into
// a sync loop. It is the one place that knows sync/graph, sync/fakegraph and sync/auth together;
// sync itself sees only a Source.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/graph"
)

// The kinds of failure syncOnce and newLoop report; each maps to one of the exit codes in docs/DESIGN.md.
var (
	// errUsage: a flag or the configuration is wrong (exit 2).
	errUsage = errors.New("usage")
	// errNoCredential: there is no usable token (exit 3).
	errNoCredential = errors.New("no credential")
	// errSyncFailed: the sync failed; the snapshot Run returns holds the cached agenda, marked
	// stale (exit 4, or 3 when calsync.SignInNeeded says the token was rejected).
	errSyncFailed = errors.New("sync failed")
)

// A runError is a failure of newLoop or syncOnce: Kind is one of errUsage, errNoCredential or errSyncFailed (for
// errors.Is), Err says what went wrong and what to do. Its message is Err's alone.
type runError struct {
	Kind error
	Err  error
}

func (e *runError) Error() string   { return e.Err.Error() }
func (e *runError) Unwrap() []error { return []error{e.Kind, e.Err} }

func fail(kind, err error) error { return &runError{Kind: kind, Err: err} }

// tokenEnv is the environment variable holding a bearer token for Graph, used as-is.
const tokenEnv = "CALTRAY_ACCESS_TOKEN"

// loopOptions configure the loop newLoop builds.
type loopOptions struct {
	// Runner is the runner's configuration (runnerConfig): built once per command, so that
	// what the UI says of it (the attempt timeout) is what the runner does.
	Runner   runner.Config
	Days     int    // days after today to print: the synced window is at least this wide; negative: the settings' window
	GraphURL string // Graph base URL (the --graph-url flag); never empty
	// Demo syncs against the simulated Graph started in-process instead of GraphURL, with its
	// own cache (CacheDir/demo), so the user's real cached agenda is never touched.
	Demo bool
	// Fake is the simulated Graph Demo syncs against; nil starts one, which close stops. The
	// tray app passes its own, to switch the demo's simulated outage on and off.
	Fake  *fakegraph.Server
	Token string // the bearer token (CALTRAY_ACCESS_TOKEN); never stored or logged
	// Auth signs the Graph requests instead of Token: the signed-in account's credential (a
	// kiota provider that sends tokens only to the Graph host) plugs in here.
	Auth authentication.AuthenticationProvider
	// AuthState is the signed-in account's own view of its state, for the snapshots (signed
	// out, no keyring); nil with Token or Demo.
	AuthState func() (calsync.AuthState, string)
	CacheDir  string           // caltray's cache directory; empty: no cache
	Settings  calsync.Settings // filters and window; the zero value means the defaults
	Location  *time.Location   // the viewer's zone; nil means time.Local
	Logger    *slog.Logger     // nil means slog.Default()
	// Transport carries the Graph requests; nil means Go's default (system trust store,
	// SSL_CERT_FILE honoured).
	Transport http.RoundTripper
}

// newLoop builds the sync loop Options describe: the Graph source (or, with Demo, the simulated
// Graph started in-process), the runner, the offline cache and the settings. It does not start
// the loop: syncOnce uses it for one sync; the tray app and --serve Start it. close releases what
// newLoop started (the simulated Graph); call it after the loop has stopped. Its errors match
// errUsage or errNoCredential (errSyncFailed if the simulated Graph cannot start).
func newLoop(o loopOptions) (loop *calsync.Loop, close func(), err error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	close = func() {}
	settings := o.Settings
	if settings == (calsync.Settings{}) {
		settings = calsync.DefaultSettings()
	}
	// --days narrows what is printed, never what is synced and cached: a window wider than the
	// settings' is synced (so the print has its data), a narrower one is cut by the caller
	// (narrowDays), so one `agenda --days 0` cannot shrink the offline agenda to today.
	if o.Days > settings.WindowDays {
		settings.WindowDays = o.Days
	}
	if err := settings.Validate(); err != nil {
		return nil, nil, fail(errUsage, err)
	}

	baseURL, auth, transport, cacheDir := o.GraphURL, o.Auth, o.Transport, o.CacheDir
	if o.Demo {
		fake := o.Fake
		if fake == nil {
			if fake, err = fakegraph.New(fakegraph.Options{}); err != nil {
				return nil, nil, fail(errSyncFailed, fmt.Errorf("start the simulated Graph: %w", err))
			}
			close = fake.Close
			defer func() {
				if err != nil {
					fake.Close()
				}
			}()
		}
		baseURL, transport = fake.URL(), fake.Client().Transport
		if auth == nil { // the tray's demo brings its simulated account; `agenda --demo` has none
			if auth, err = graph.StaticToken(fake.Token(), baseURL); err != nil {
				return nil, nil, fail(errSyncFailed, err)
			}
		}
		if cacheDir != "" {
			cacheDir = filepath.Join(cacheDir, "demo")
		}
		o.Logger.Info("demo: syncing against the simulated Graph", "url", baseURL)
	} else {
		if _, err := graph.ValidateBaseURL(baseURL); err != nil {
			return nil, nil, fail(errUsage, fmt.Errorf("--graph-url: %w", err))
		}
		if auth == nil {
			if o.Token == "" {
				return nil, nil, fail(errNoCredential, fmt.Errorf("no access token: set %s to a Microsoft Graph access token "+
					"with Calendars.Read (for example from Graph Explorer, https://aka.ms/ge), or run with --demo "+
					"to try caltray on simulated data", tokenEnv))
			}
			if auth, err = graph.StaticToken(o.Token, baseURL); err != nil {
				return nil, nil, fail(errNoCredential, fmt.Errorf("%s: %w", tokenEnv, err))
			}
		}
	}
	src, err := graph.New(graph.Options{BaseURL: baseURL, Auth: auth, Transport: transport})
	if err != nil {
		return nil, nil, fail(errUsage, err)
	}
	rc := o.Runner
	rc.Logger = o.Logger
	rc.Classify = calsync.Classify
	r, err := runner.New(rc)
	if err != nil {
		return nil, nil, fail(errUsage, err)
	}
	var cache *calsync.Cache
	if cacheDir != "" {
		cache, err = calsync.NewCache(cacheDir, nil)
		if cache != nil {
			cache.SetLogger(o.Logger)
		}
		if err != nil {
			// An agenda without a cache is still an agenda: go on, but say so.
			o.Logger.Warn("running without the offline cache", "err", err)
			err = nil
		}
	}
	loop, err = calsync.NewLoop(calsync.LoopConfig{Source: src, Runner: r, Settings: settings, Cache: cache,
		Location: o.Location, Logger: o.Logger, Auth: o.AuthState})
	if err != nil {
		return nil, nil, fail(errUsage, err)
	}
	return loop, close, nil
}

// syncOnce runs one sync through the runner and returns the resulting snapshot. Its errors match
// errUsage, errNoCredential or errSyncFailed; with errSyncFailed the snapshot still holds the
// cached agenda (if there is one), marked stale.
func syncOnce(ctx context.Context, o loopOptions) (calsync.Snapshot, error) {
	loop, closeLoop, err := newLoop(o)
	if err != nil {
		return calsync.Snapshot{}, err
	}
	defer closeLoop()
	snap, err := loop.Once(ctx)
	if err != nil {
		return snap, fail(errSyncFailed, err)
	}
	return snap, nil
}

// openLog sets up logging to stderr and to the capped log file in the cache directory, which
// it returns too ("" if there is none). Lines never contain token (CALTRAY_ACCESS_TOKEN), with
// or without its "Bearer " prefix.
func openLog(stderr io.Writer, debug bool, token string) (log *slog.Logger, cacheDir string, closeLog func() error) {
	secrets := append([]string{token}, strings.Fields(token)...)
	cacheDir, cacheErr := calsync.CacheDir()
	log, closeLog, err := newLogger(logOptions{Dir: cacheDir, Stderr: stderr, Debug: debug, Secrets: secrets})
	if err != nil {
		// No log file is no reason to show no agenda: log to stderr alone.
		log, closeLog, _ = newLogger(logOptions{Stderr: stderr, Debug: debug, Secrets: secrets})
		log.Warn("logging to stderr only", "err", err)
	}
	if cacheErr != nil {
		log.Warn("running without the offline cache", "err", cacheErr)
	}
	return log, cacheDir, closeLog
}

// loadSettings reads the user's settings over the managed configuration's settings defaults
// (nil: the built-in defaults), key by key; a bad file is reported and the defaults are used,
// and unknown keys are named (the log reaches stderr too), never silently ignored.
func loadSettings(log *slog.Logger, managed *calsync.Settings) calsync.Settings {
	def := calsync.DefaultSettings()
	if managed != nil {
		def = *managed
	}
	path, err := calsync.SettingsPath()
	if err != nil {
		log.Warn("using default settings", "err", err)
		return def
	}
	s, warnings, err := calsync.ReadSettingsOver(path, def)
	for _, w := range warnings {
		log.Warn(w)
	}
	if err != nil {
		log.Warn(err.Error())
	}
	return s
}

// runnerConfig is the runner's configuration for Graph calls, with the kill switch read from
// the environment (CALTRAY_RUNNER, docs/DESIGN.md): here, in main, and only here. A value other
// than on, off or empty is a usage error, so a typo cannot silently change behaviour.
func runnerConfig() (runner.Config, error) {
	rc := runner.DefaultConfig()
	bypass, err := runner.ParseKillSwitch(os.Getenv(runner.KillSwitchEnv))
	if err != nil {
		return rc, err
	}
	rc.Bypass = bypass
	return rc, nil
}
