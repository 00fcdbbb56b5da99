package sync

import (
	"errors"
	"time"

	"caltray/runner"
)

// ErrSignInNeeded is matched (errors.Is) by source errors that no retry can fix until the user
// signs in again: no account, an expired or revoked refresh token. The loop stops syncing on
// it and the UI offers sign-in.
var ErrSignInNeeded = errors.New("sign-in needed")

// ErrNoKeyring is matched by errors that come from having no OS keyring to keep tokens in.
var ErrNoKeyring = errors.New("no OS keyring")

// AuthState says whether caltray can get tokens.
type AuthState string

// The auth states a Snapshot reports.
const (
	AuthOK           AuthState = "ok"            // tokens come silently (or CALTRAY_ACCESS_TOKEN)
	AuthSignInNeeded AuthState = "signin-needed" // the account's tokens stopped working
	AuthSignedOut    AuthState = "signed-out"    // nobody has signed in
	AuthNoKeyring    AuthState = "no-keyring"    // signed in for this run only: tokens are in memory
)

// A SyncRecord is one finished sync, for the health panel's plot of recent durations.
type SyncRecord struct {
	At       time.Time     // when it ended
	Duration time.Duration // how long it took, retries included
	Err      string        // empty on success
	ErrKind  runner.Kind   // what kind of failure Err is; empty on success
	Kind     SyncKind      // full or delta; empty on failure
}

// A Snapshot is the sync loop's state at one moment. The loop never changes a Snapshot it has
// published: subscribers may keep and read it from any goroutine.
type Snapshot struct {
	Appointments []Appointment // in the window, filtered by the settings, sorted by start
	From, To     time.Time     // the window
	Health       Health        // the one health: status, breaker, last error and its kind, staleness
	LastSync     time.Time     // last successful sync; zero if none yet (cache included)
	Syncing      bool          // a sync is running now
	StaleAt      time.Time     // when the data turns stale without another good sync; zero if never synced
	Auth         AuthState
	AuthMessage  string       // what to do, when Auth is not AuthOK
	Recent       []SyncRecord // the last 20 syncs, oldest first
	Generation   uint64       // increases with every published snapshot
	Syncs        uint64       // syncs finished since the loop started, failed ones included
	Settings     Settings     // the settings the agenda was cut with
	// Skipped is how many events the sync that produced Appointments could not read and left
	// out (the log names them by id); 0 for a cached agenda. The health panel shows it.
	Skipped int
	// SyncStarted is when the running sync began; zero when none runs. A sync running for
	// SlowSync or more is waiting on Microsoft Graph: the tray and the agenda command say so
	// (the loop publishes a snapshot at that moment, so subscribers need no timer of their own).
	SyncStarted time.Time
	// NextSync is when the next sync is due: the schedule (the interval, or the sooner retry
	// after a failure), never before a retry time the breaker or the service set; zero while a
	// sync runs or polling waits for a sign-in. The health line names it ("next try 10:47").
	NextSync time.Time
}

// SlowSync is how long a sync may run before caltray tells the user it is waiting for
// Microsoft Graph: longer than a normal sync (well under a second), short enough that a
// hanging server (up to three 30 s attempts) does not look like a frozen app.
const SlowSync = 5 * time.Second
