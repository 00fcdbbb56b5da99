package model

import (
	"fmt"
	"strings"
	"time"

	"caltray/assets"
	"caltray/runner"
	calsync "caltray/sync"
)

// clock formats a time of day as the menu shows it ("10:42").
func clock(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") }

// when formats a time as the menu shows it, with its date when it is not today ("10:42",
// "Sat 28 Nov 00:51"): a retry time a day away must not read as today. runner.ClockTime is
// the one helper for this, shared with the runner's errors.
func when(t, now time.Time, loc *time.Location) string {
	return runner.ClockTime(t.In(loc), now, "15:04")
}

// waitingForGraph reports whether a sync has run for calsync.SlowSync or more at now.
func waitingForGraph(s calsync.Snapshot, now time.Time) bool {
	return s.Syncing && !s.SyncStarted.IsZero() && now.Sub(s.SyncStarted) >= calsync.SlowSync
}

// waitingSuffix is what the health line adds while a sync is slow.
const waitingSuffix = " — waiting for Microsoft Graph…"

// IconState picks the tray icon for a snapshot. Sign-in problems come first, since no sync
// can fix them; then the runner's health, with stale data counted as degraded.
func IconState(s calsync.Snapshot) assets.State {
	switch s.Auth {
	case calsync.AuthSignedOut:
		return assets.SignedOut
	case calsync.AuthSignInNeeded:
		return assets.SignInNeeded
	}
	switch s.Health.Status {
	case runner.StatusDown:
		return assets.Down
	case runner.StatusDegraded:
		return assets.Degraded
	case runner.StatusBypassed:
		if s.Health.ConsecutiveFailures > 0 {
			return assets.Degraded
		}
	}
	if s.Health.Stale {
		return assets.Degraded
	}
	return assets.Operational
}

// HealthLine is the menu's one-line summary of the sync at now: "Synced 10:42", "Offline —
// next try 10:47", "Throttled by Microsoft — next try 10:45", "Sync failing — next try
// 10:44", "Sign-in needed". A failing sync names its next attempt (NextAttempt); while that
// attempt runs the line says so ("trying again…"), so it never promises "soon" for minutes nor
// names a time that has gone by.
func HealthLine(s calsync.Snapshot, now time.Time, loc *time.Location) string {
	if t, ok := signInText(s); ok {
		return t
	}
	h := s.Health
	retry := " — trying again…"
	if next, ok := NextAttempt(s, now); ok {
		retry = " — next try " + when(next, now, loc)
	}
	// A sync running for a while is the retry under way: say what it is waiting for.
	waiting := waitingForGraph(s, now)
	if waiting {
		retry = waitingSuffix
	}
	switch {
	case h.LastErrorKind == runner.KindThrottled && (h.Status == runner.StatusDegraded || h.Status == runner.StatusDown):
		return "Throttled by Microsoft" + retry
	case h.Status == runner.StatusDown:
		return "Offline" + retry
	case h.Status == runner.StatusDegraded && h.Breaker == "half-open":
		return "Reconnecting…"
	case h.Status == runner.StatusDegraded || (h.Status == runner.StatusBypassed && h.ConsecutiveFailures > 0):
		return "Sync failing" + retry
	}
	if s.LastSync.IsZero() {
		switch {
		case waiting:
			return "Syncing" + waitingSuffix
		case s.Syncing:
			return "Syncing…"
		}
		return "Not synced yet"
	}
	line := "Synced " + when(s.LastSync, now, loc)
	if s.Health.Stale {
		line += " (out of date)"
	}
	if waiting {
		line += waitingSuffix
	}
	return line
}

// NextAttempt is when the next sync will be tried, if it lies after now and no sync is running:
// the loop's schedule (Snapshot.NextSync, which already waits for the breaker and any
// Retry-After), else the health's retry time.
func NextAttempt(s calsync.Snapshot, now time.Time) (time.Time, bool) {
	if s.Syncing {
		return time.Time{}, false
	}
	switch {
	case s.NextSync.After(now):
		return s.NextSync, true
	case s.NextSync.IsZero() && s.Health.RetryAt != nil && s.Health.RetryAt.After(now):
		return *s.Health.RetryAt, true
	}
	return time.Time{}, false
}

// NoTrayText is the agenda window's banner when the desktop has no tray to show caltray's icon
// in: why, how to get one (on GNOME, the extension and its package, the same name on Debian,
// Ubuntu and Fedora), and that the icon then appears by itself.
const NoTrayText = "No tray icon: this desktop has no system tray, so caltray shows this window instead, and closing it quits caltray. " +
	"On GNOME, install and enable the \u201cAppIndicator and KStatusNotifierItem Support\u201d extension " +
	"(package gnome-shell-extension-appindicator on Debian, Ubuntu and Fedora; then log out and in). " +
	"The icon appears by itself once a tray is there."

// Troubled reports whether something is wrong that the user should see: the icon is anything
// but operational (a failing or paused sync, stale data, a sign-in needed). The agenda window
// then shows the full health panel; otherwise one line. Nobody signed in is not trouble: the
// sync has not failed, it has not started, and the window's empty state offers Sign in… (a
// first run would otherwise open on a panel of failures that never happened).
func Troubled(s calsync.Snapshot) bool {
	return s.Auth != calsync.AuthSignedOut && IconState(s) != assets.Operational
}

// SummaryLine is the agenda window's health in one line, shown instead of the full panel while
// nothing is wrong (Troubled is false): "Up to date · synced 10:42". Otherwise, and before the
// first sync, it is the menu's HealthLine.
func SummaryLine(s calsync.Snapshot, now time.Time, loc *time.Location) string {
	if Troubled(s) || s.LastSync.IsZero() || s.Auth == calsync.AuthSignedOut {
		return HealthLine(s, now, loc)
	}
	line := "Up to date · synced " + when(s.LastSync, now, loc)
	if waitingForGraph(s, now) {
		line += waitingSuffix
	}
	return line
}

// FirstSyncFailed reports whether there is nothing to show because every sync so far failed
// (as opposed to the first one still running).
func FirstSyncFailed(s calsync.Snapshot) bool {
	return s.LastSync.IsZero() && !s.Syncing && (s.Health.LastError != "" || s.Health.ConsecutiveFailures > 0)
}

// ErrorText says in plain words what an error of kind means. The words are chosen by the
// kind the runner's classifier gave the error, never by searching its text, so rewording an
// error in graph, runner or auth cannot change what the user is told; lastError (already inert)
// is shown, shortened, only for a failure no kind names. timeout is the per-attempt limit, for
// "did not answer in 30 s".
func ErrorText(kind runner.Kind, lastError string, timeout time.Duration) string {
	switch kind {
	case runner.KindNone:
		if lastError == "" {
			return "None"
		}
	case runner.KindSignIn:
		return "Your sign-in expired or was refused: sign in again"
	case runner.KindKeyring:
		return "No keyring to keep your sign-in in: it lasts until caltray quits"
	case runner.KindBreakerOpen:
		return "Paused calls to Microsoft Graph after repeated failures"
	case runner.KindThrottled:
		return "Microsoft Graph asked caltray to slow down (throttled)"
	case runner.KindServer:
		return "Microsoft Graph had a server error"
	case runner.KindTimeout:
		if timeout > 0 {
			return fmt.Sprintf("Microsoft Graph did not answer in %s", humanDuration(timeout))
		}
		return "Microsoft Graph did not answer in time"
	case runner.KindNetwork:
		return "Could not reach Microsoft Graph, or the connection broke off: check the network"
	case runner.KindUnreadable:
		return "Microsoft Graph sent an answer caltray could not read (malformed, or more than it can hold)"
	case runner.KindRefused:
		return "Microsoft Graph refused the request (or redirected it elsewhere)"
	}
	return shorten(lastError, 120)
}

// humanDuration writes d as "30 s", "2 min", "1 h 5 min".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// shorten cuts s to at most n runes, ending with "…" if it was cut.
func shorten(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Panel holds the health panel's texts.
type Panel struct {
	Status      string // "Operational", "Degraded", …, with why
	Breaker     string // "Closed", "Open", "Half-open (testing the connection)"
	Failures    string // "0", "3 in a row"
	LastSuccess string // "10:42 (3 min ago)", "Never"
	LastError   string // ErrorText of the last error
	NextRetry   string // "10:47", "—"
	Bars        []Bar  // the last syncs, oldest first
	// Unreadable counts the meetings the last sync could not read ("2 meetings could not be
	// read"); empty when there were none. Status ends with it too.
	Unreadable string
}

// A Bar is one sync in the duration plot.
type Bar struct {
	Duration time.Duration
	Failed   bool
	Label    string // "10:42: 1.2 s, delta" or "10:42: failed after 30 s: …"
}

// MaxBars is how many syncs the plot shows.
const MaxBars = 20

// HealthPanel computes the health panel's texts at now.
func HealthPanel(s calsync.Snapshot, now time.Time, loc *time.Location, timeout time.Duration) Panel {
	h := s.Health
	p := Panel{
		Status:    statusText(s),
		LastError: ErrorText(h.LastErrorKind, h.LastError, timeout),
		NextRetry: "—",
	}
	switch h.Breaker {
	case "open":
		p.Breaker = "Open (calls paused)"
	case "half-open":
		p.Breaker = "Half-open (testing the connection)"
	case "closed", "":
		p.Breaker = "Closed"
	default:
		p.Breaker = h.Breaker
	}
	switch n := h.ConsecutiveFailures; n {
	case 0:
		p.Failures = "None"
	case 1:
		p.Failures = "1"
	default:
		p.Failures = fmt.Sprintf("%d in a row", n)
	}
	switch {
	case h.LastSuccess != nil:
		p.LastSuccess = when(*h.LastSuccess, now, loc) + " (" + Ago(*h.LastSuccess, now) + ")"
	case !s.LastSync.IsZero():
		p.LastSuccess = when(s.LastSync, now, loc) + " (" + Ago(s.LastSync, now) + ", from the cache)"
	default:
		p.LastSuccess = "Never"
	}
	if next, ok := NextAttempt(s, now); ok && Troubled(s) {
		p.NextRetry = when(next, now, loc)
	}
	recent := s.Recent
	if len(recent) > MaxBars {
		recent = recent[len(recent)-MaxBars:]
	}
	for _, r := range recent {
		b := Bar{Duration: r.Duration, Failed: r.Err != ""}
		if b.Failed {
			b.Label = fmt.Sprintf("%s: failed after %s: %s", when(r.At, now, loc), seconds(r.Duration), ErrorText(r.ErrKind, r.Err, timeout))
		} else {
			b.Label = fmt.Sprintf("%s: %s, %s", when(r.At, now, loc), seconds(r.Duration), r.Kind)
		}
		p.Bars = append(p.Bars, b)
	}
	switch {
	case s.Skipped == 1:
		p.Unreadable = "1 meeting could not be read"
	case s.Skipped > 1:
		p.Unreadable = fmt.Sprintf("%d meetings could not be read", s.Skipped)
	}
	if p.Unreadable != "" {
		// In Status too, which the panel already shows; the log names them by id.
		p.Status += "; " + p.Unreadable
	}
	return p
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// Ago writes how long before now t was: "just now", "3 min ago", "2 h ago", "3 days ago".
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// signInText names a sign-in problem, which comes before anything the sync could say: no sync
// can fix it.
func signInText(s calsync.Snapshot) (string, bool) {
	switch s.Auth {
	case calsync.AuthSignedOut:
		return "Signed out", true
	case calsync.AuthSignInNeeded:
		return "Sign-in needed", true
	}
	return "", false
}

func statusText(s calsync.Snapshot) string {
	if t, ok := signInText(s); ok {
		return t
	}
	h := s.Health
	var t string
	switch h.Status {
	case runner.StatusOperational:
		t = "Operational"
	case runner.StatusDegraded:
		t = "Degraded"
		switch {
		case h.LastErrorKind == runner.KindThrottled:
			t += ": throttled by Microsoft"
		case h.Breaker == "half-open":
			t += ": testing the connection again"
		case h.ConsecutiveFailures > 0:
			t += ": retrying after failures"
		}
	case runner.StatusDown:
		t = "Down: calls to Microsoft Graph are paused"
	case runner.StatusBypassed:
		t = "Resilience off (CALTRAY_RUNNER=off)"
	default:
		t = "Starting"
	}
	if h.Stale && h.Status != runner.StatusDown {
		t += "; the agenda may be out of date"
	}
	if s.Auth == calsync.AuthNoKeyring {
		t += "; no keyring, so the sign-in lasts until caltray quits"
	}
	return t
}
