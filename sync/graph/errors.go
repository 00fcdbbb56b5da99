package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	calsync "caltray/sync"
)

// An Error is a request Microsoft Graph answered with an HTTP error status (4xx or 5xx).
//
// The runner reads it through HTTPStatus and RetryAfter (found anywhere in the error chain with
// errors.As), so 429 is throttled, 408/500/502/503/504 are retried and every other status is
// permanent.
type Error struct {
	Op        string        // what was being fetched, e.g. "calendarView page 3"
	Status    int           // HTTP status code
	Code      string        // Graph's error.code, e.g. "TooManyRequests"; empty if the body had none
	Message   string        // Graph's error.message, shortened
	RequestID string        // Graph's request-id header, for support tickets
	Wait      time.Duration // the server's Retry-After, 0 if it sent none
	// RedirectedTo is, for a redirect caltray refused to follow, the origin it pointed to
	// ("https://other.example"); empty otherwise.
	RedirectedTo string
}

// HTTPStatus returns the HTTP status code of the failed request.
func (e *Error) HTTPStatus() int { return e.Status }

// RetryAfter returns how long the server asked us to wait before retrying (0 if it did not say).
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// Error names the status, Graph's code and message, and what the user can do about it.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" || e.Message != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		if e.Code != "" && e.Message != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
		b.WriteString(")")
	}
	if advice := e.advice(); advice != "" {
		b.WriteString(": ")
		b.WriteString(advice)
	}
	if e.RequestID != "" {
		b.WriteString(" [request-id ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// advice says, in a user's words, what the status means for them.
func (e *Error) advice() string {
	switch {
	case e.RedirectedTo != "":
		return "Microsoft Graph redirected to " + e.RedirectedTo + "; caltray does not follow redirects to another host (check the Graph URL, or a proxy in between)"
	case e.Status == http.StatusUnauthorized:
		return "the access token was rejected or has expired; sign in again (caltray signin) or set a fresh CALTRAY_ACCESS_TOKEN"
	case e.Status == http.StatusForbidden:
		return "the account may not read this calendar; the app needs the Calendars.Read permission (ask your administrator to grant consent)"
	case e.Status == http.StatusNotFound:
		return "the calendar was not found; check that the account has an Exchange Online mailbox and that the Graph URL is right"
	case e.Status == http.StatusGone || isSyncStateCode(e.Code):
		return "the delta link has expired; a full sync is needed"
	case e.Status == http.StatusTooManyRequests:
		if e.Wait > 0 {
			return fmt.Sprintf("Microsoft Graph is throttling requests; retry after %s", e.Wait)
		}
		return "Microsoft Graph is throttling requests; retry later"
	case transient(e.Status):
		if e.Wait > 0 {
			return fmt.Sprintf("Microsoft Graph is unavailable; retry after %s", e.Wait)
		}
		return "Microsoft Graph is unavailable; retry later"
	case e.Status >= 500:
		// 501, 505 and the like: the runner does not retry them, so neither should the user.
		return "Microsoft Graph cannot serve this request and retrying will not help; check the Graph URL, and report it if it persists"
	case e.Status >= 300 && e.Status < 400:
		return "the Graph URL redirects too often or without a Location; check the Graph URL"
	case e.Status >= 400:
		return "the request was refused; this is a bug in caltray or an unsupported account, please report it"
	}
	return ""
}

// transient reports whether status is one the runner's classifier retries (besides 429).
func transient(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// isSyncStateCode reports whether code is one of the codes Graph uses for an unknown or expired
// delta token (it sends them with 410 Gone, and for some resources with 400).
func isSyncStateCode(code string) bool {
	return strings.EqualFold(code, "syncStateNotFound") || strings.EqualFold(code, "resyncRequired") ||
		strings.EqualFold(code, "syncStateInvalid")
}

// expiredDelta reports whether err says the server no longer knows a delta link.
func expiredDelta(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && (ge.Status == http.StatusGone || isSyncStateCode(ge.Code))
}

// parseRetryAfter reads a Retry-After header value: delay-seconds or an HTTP-date, the latter
// measured against now. Missing, malformed, negative or past values give 0 (no advice), and
// absurd ones are capped at a day so a bad header cannot park the client forever.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const max = 24 * time.Hour
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(max/time.Second) {
			return max
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	if d > max {
		return max
	}
	// HTTP dates have whole seconds; round up so we never retry early.
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}

// A PayloadError is a response Graph answered with a success status whose body caltray cannot
// use: cut short, not JSON, the wrong content type, or missing a field every event must have.
//
// It carries no HTTP status, so the runner counts it as retryable: each of these can be a
// transient fault of the service or of a proxy in between (a captive portal's HTML page, a body
// cut by a dropped connection), and the circuit breaker stops a persistent one.
type PayloadError struct {
	Op     string // what was being fetched
	Status int    // the (successful) HTTP status of the response
	Reason string // what is wrong, in words
	Err    error  // the underlying parse error, if any
}

// Error says what was wrong with the response and where to look.
func (e *PayloadError) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "unusable response (HTTP %d)", e.Status)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if errors.Is(e.Err, ErrTooLarge) {
		b.WriteString("; shorten the agenda window in Preferences, and report it if it persists")
	} else {
		b.WriteString("; if this persists, check for a proxy or captive portal between caltray and Microsoft Graph")
	}
	return b.String()
}

// Unwrap returns the underlying parse error.
func (e *PayloadError) Unwrap() error { return e.Err }

// Is makes every PayloadError match calsync.ErrUnreadable: its kind, for the health, is
// "unreadable" whatever the parse error inside.
func (e *PayloadError) Is(target error) bool { return target == calsync.ErrUnreadable }

// ErrTooLarge is matched (errors.Is) by a sync refused for its size: a body larger than the
// page we asked for can be, an event larger than any real one, or more than MaxEvents events.
// Such a response is unreadable, not a transient fault: retrying reads the same bytes.
var ErrTooLarge = errors.New("the response is too large to read")

// MaxEvents caps the events one sync keeps: far beyond any real calendar window, and it keeps
// the memory a hostile or broken server can make caltray hold proportional to it.
const MaxEvents = 20000
