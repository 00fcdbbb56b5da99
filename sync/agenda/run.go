package agenda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/graph"
)

// The kinds of failure Run reports; each maps to one of the exit codes in DESIGN.md.
var (
	// ErrUsage: a flag or the configuration is wrong (exit 2).
	ErrUsage = errors.New("usage")
	// ErrNoCredential: there is no usable token (exit 3).
	ErrNoCredential = errors.New("no credential")
	// ErrSyncFailed: the sync failed; the snapshot Run returns holds the cached agenda, marked
	// stale (exit 4, or 3 when calsync.SignInNeeded says the token was rejected).
	ErrSyncFailed = errors.New("sync failed")
)

// An Error is a failure of Run: Kind is one of ErrUsage, ErrNoCredential or ErrSyncFailed (for
// errors.Is), Err says what went wrong and what to do. Its message is Err's alone.
type Error struct {
	Kind error
	Err  error
}

func (e *Error) Error() string   { return e.Err.Error() }
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

func fail(kind, err error) error { return &Error{Kind: kind, Err: err} }

// TokenEnv is the environment variable holding a bearer token for Graph, used as-is.
const TokenEnv = "CALTRAY_ACCESS_TOKEN"

// Options configure one run.
type Options struct {
	Days     int    // days after today the agenda covers; negative means the settings' window
	GraphURL string // Graph base URL; empty means graph.DefaultBaseURL
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

// NewLoop builds the sync loop Options describe: the Graph source (or, with Demo, the simulated
// Graph started in-process), the runner, the offline cache and the settings. It does not start
// the loop: Run uses it for one sync; the tray app and --serve Start it. close releases what
// NewLoop started (the simulated Graph); call it after the loop has stopped. Its errors match
// ErrUsage or ErrNoCredential (ErrSyncFailed if the simulated Graph cannot start).
func NewLoop(o Options) (loop *calsync.Loop, close func(), err error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	close = func() {}
	settings := o.Settings
	if settings == (calsync.Settings{}) {
		settings = calsync.DefaultSettings()
	}
	if o.Days >= 0 {
		if o.Days > calsync.MaxWindowDays {
			return nil, nil, fail(ErrUsage, fmt.Errorf("--days %d: the agenda covers at most %d days ahead (0 is today only)", o.Days, calsync.MaxWindowDays))
		}
		settings.WindowDays = o.Days
	}
	if err := settings.Validate(); err != nil {
		return nil, nil, fail(ErrUsage, err)
	}

	baseURL, auth, transport, cacheDir := o.GraphURL, o.Auth, o.Transport, o.CacheDir
	if o.Demo {
		fake := o.Fake
		if fake == nil {
			if fake, err = fakegraph.New(fakegraph.Options{}); err != nil {
				return nil, nil, fail(ErrSyncFailed, fmt.Errorf("start the simulated Graph: %w", err))
			}
			close = fake.Close
			defer func() {
				if err != nil {
					fake.Close()
				}
			}()
		}
		baseURL, transport, auth = fake.URL(), fake.Client().Transport, nil
		if auth, err = graph.StaticToken(fake.Token(), baseURL); err != nil {
			return nil, nil, fail(ErrSyncFailed, err)
		}
		if cacheDir != "" {
			cacheDir = filepath.Join(cacheDir, "demo")
		}
		o.Logger.Info("demo: syncing against the simulated Graph", "url", baseURL)
	} else {
		if baseURL == "" {
			baseURL = graph.DefaultBaseURL
		}
		if _, err := graph.ValidateBaseURL(baseURL); err != nil {
			return nil, nil, fail(ErrUsage, fmt.Errorf("--graph-url: %w", err))
		}
		if auth == nil {
			if o.Token == "" {
				return nil, nil, fail(ErrNoCredential, fmt.Errorf("no access token: set %s to a Microsoft Graph access token "+
					"with Calendars.Read (for example from Graph Explorer, https://aka.ms/ge), or run with --demo "+
					"to try caltray on simulated data", TokenEnv))
			}
			if auth, err = graph.StaticToken(o.Token, baseURL); err != nil {
				return nil, nil, fail(ErrNoCredential, fmt.Errorf("%s: %w", TokenEnv, err))
			}
		}
	}
	src, err := graph.New(graph.Options{BaseURL: baseURL, Auth: auth, Transport: transport})
	if err != nil {
		return nil, nil, fail(ErrUsage, err)
	}
	rc := runner.DefaultConfig()
	rc.Logger = o.Logger
	rc.Classify = calsync.Classify
	r, err := runner.New(rc)
	if err != nil {
		return nil, nil, fail(ErrUsage, err)
	}
	var cache *calsync.Cache
	if cacheDir != "" {
		if cache, err = calsync.NewCache(cacheDir, nil); err != nil {
			// An agenda without a cache is still an agenda: go on, but say so.
			o.Logger.Warn("running without the offline cache", "err", err)
			err = nil
		}
	}
	loop, err = calsync.New(calsync.Config{Source: src, Runner: r, Settings: settings, Cache: cache,
		Location: o.Location, Logger: o.Logger, Auth: o.AuthState})
	if err != nil {
		return nil, nil, fail(ErrUsage, err)
	}
	return loop, close, nil
}

// Run runs one sync through the runner and returns the resulting snapshot. Its errors match
// ErrUsage, ErrNoCredential or ErrSyncFailed; with ErrSyncFailed the snapshot still holds the
// cached agenda (if there is one), marked stale.
func Run(ctx context.Context, o Options) (calsync.Snapshot, error) {
	loop, closeLoop, err := NewLoop(o)
	if err != nil {
		return calsync.Snapshot{}, err
	}
	defer closeLoop()
	snap, err := loop.Once(ctx)
	if err != nil {
		return snap, fail(ErrSyncFailed, err)
	}
	return snap, nil
}
