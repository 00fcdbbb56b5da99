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
	if s.Stale {
		return assets.Degraded
	}
	return assets.Operational
}

// HealthLine is the menu's one-line summary of the sync at now: "Synced 10:42", "Offline —
// retrying 10:47", "Throttled by Microsoft — retrying 10:45", "Sign-in needed". A retry time
// already past reads "retrying soon", so the line never names a time that has gone by.
func HealthLine(s calsync.Snapshot, now time.Time, loc *time.Location) string {
	switch s.Auth {
	case calsync.AuthSignedOut:
		return "Signed out"
	case calsync.AuthSignInNeeded:
		return "Sign-in needed"
	}
	h := s.Health
	retry := ""
	if h.RetryAt != nil && h.RetryAt.After(now) {
		retry = " — retrying " + when(*h.RetryAt, now, loc)
	}
	// A sync running for a while is the retry under way: say what it is waiting for.
	waiting := waitingForGraph(s, now)
	if waiting {
		retry = waitingSuffix
	}
	switch {
	case h.Throttled && (h.Status == runner.StatusDegraded || h.Status == runner.StatusDown):
		return "Throttled by Microsoft" + or(retry, " — retrying soon")
	case h.Status == runner.StatusDown:
		return "Offline" + or(retry, " — retrying soon")
	case h.Status == runner.StatusDegraded && h.Breaker == "half-open":
		return "Reconnecting…"
	case h.Status == runner.StatusDegraded || (h.Status == runner.StatusBypassed && h.ConsecutiveFailures > 0):
		return "Sync failing" + or(retry, " — retrying soon")
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
	if s.Stale {
		line += " (out of date)"
	}
	if waiting {
		line += waitingSuffix
	}
	return line
}

// FirstSyncFailed reports whether there is nothing to show because every sync so far failed
// (as opposed to the first one still running).
func FirstSyncFailed(s calsync.Snapshot) bool {
	return s.LastSync.IsZero() && !s.Syncing && (s.Health.LastError != "" || s.Health.ConsecutiveFailures > 0)
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// ErrorText says in plain words what a runner's last error means. Errors reach the UI as
// strings (runner.Health.LastError), so this matches the phrases the Graph source and the
// runner use; anything unknown is shown shortened, as it is. timeout is the per-attempt limit,
// for "did not answer in 30 s".
func ErrorText(lastError string, timeout time.Duration) string {
	e := strings.ToLower(lastError)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(e, s) {
				return true
			}
		}
		return false
	}
	switch {
	case e == "":
		return "None"
	case has("sign-in needed", "invalid_grant", "interaction_required"):
		return "Your sign-in expired: sign in again"
	case has("no os keyring"):
		return "No keyring to keep your sign-in in: it lasts until caltray quits"
	case has("circuit breaker open"):
		return "Paused calls to Microsoft Graph after repeated failures"
	case has("http 429", "toomanyrequests"):
		return "Microsoft Graph asked caltray to slow down (throttled)"
	case has("http 401", "http 403"):
		return "Microsoft Graph refused the request: sign in again"
	case has("http 5"):
		if i := strings.Index(e, "http 5"); i >= 0 && len(e) >= i+8 {
			return fmt.Sprintf("Microsoft Graph had a server error (HTTP %s)", e[i+5:i+8])
		}
		return "Microsoft Graph had a server error"
	case has("deadline exceeded", "timed out", "timeout"):
		if timeout > 0 {
			return fmt.Sprintf("Microsoft Graph did not answer in %s", humanDuration(timeout))
		}
		return "Microsoft Graph did not answer in time"
	case has("no such host", "connection refused", "network is unreachable", "no route to host", "dial tcp"):
		return "Could not reach Microsoft Graph: check the network"
	case has("connection reset", "eof", "broken pipe"):
		return "The connection to Microsoft Graph broke off"
	case has("too large to read"): // graph.ErrTooLarge
		return "Microsoft Graph sent more than caltray can read (too many or too large meetings)"
	case has("not json", "invalid character", "unexpected end of json", "content-type"):
		return "Microsoft Graph sent an answer caltray could not read"
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
		LastError: ErrorText(h.LastError, timeout),
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
	if h.RetryAt != nil && h.RetryAt.After(now) {
		p.NextRetry = when(*h.RetryAt, now, loc)
	}
	recent := s.Recent
	if len(recent) > MaxBars {
		recent = recent[len(recent)-MaxBars:]
	}
	for _, r := range recent {
		b := Bar{Duration: r.Duration, Failed: r.Err != ""}
		if b.Failed {
			b.Label = fmt.Sprintf("%s: failed after %s: %s", when(r.At, now, loc), seconds(r.Duration), ErrorText(r.Err, timeout))
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

func statusText(s calsync.Snapshot) string {
	switch s.Auth {
	case calsync.AuthSignedOut:
		return "Signed out"
	case calsync.AuthSignInNeeded:
		return "Sign-in needed"
	}
	h := s.Health
	var t string
	switch h.Status {
	case runner.StatusOperational:
		t = "Operational"
	case runner.StatusDegraded:
		t = "Degraded"
		switch {
		case h.Throttled:
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
	if s.Stale && h.Status != runner.StatusDown {
		t += "; the agenda may be out of date"
	}
	if s.Auth == calsync.AuthNoKeyring {
		t += "; no keyring, so the sign-in lasts until caltray quits"
	}
	return t
}
