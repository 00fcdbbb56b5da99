// Package graph is caltray's Microsoft Graph calendar Source: it lists the signed-in user's
// calendarView, follows every page, syncs incrementally with calendarView/delta, and maps
// Graph's failures to errors the runner can classify.
//
// It is built on msgraph-sdk-go's models, msgraph-sdk-go-core's request adapter and kiota's
// RequestInformation, not on the SDK's generated request builders, whose package takes half a
// minute to link (see docs/DESIGN.md). It sends one request per page and never retries a failure:
// the runner is the only retry layer. (A page costs more than one request only when Graph
// redirects it, or answers 401 with a Conditional Access claims challenge, which kiota's
// adapter meets by asking the authentication provider for a token with those claims and
// sending the request once more.)
package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"

	calsync "caltray/sync"
	"caltray/sync/origin"
)

// Page sizes: Graph's default calendarView page is 10 events, far too many round trips for an
// agenda; 1000 is the most Prefer: odata.maxpagesize may ask for.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// maxPages stops a server whose nextLinks never end; 10,000 pages of 1,000 events is far beyond
// any real calendar window.
const maxPages = 10000

// A Clock tells the time; Source reads it only to turn a Retry-After HTTP-date into a delay.
// The runner's clocks (runner.SystemClock, fakeclock) satisfy it.
type Clock interface{ Now() time.Time }

// Options configure a Source.
type Options struct {
	// BaseURL is the Graph endpoint, origin.DefaultGraph if empty; see ValidateBaseURL.
	BaseURL string
	// Auth signs each request: StaticToken for CALTRAY_ACCESS_TOKEN, or kiota's Azure identity
	// provider after sign-in. It must attach tokens only to BaseURL's host. Required.
	Auth authentication.AuthenticationProvider
	// PageSize is sent as Prefer: odata.maxpagesize; DefaultPageSize if 0.
	PageSize int
	// Transport carries the requests under caltray's middleware (tests give the simulated
	// Graph's TLS transport here); a clone of http.DefaultTransport if nil.
	Transport http.RoundTripper
	// Timeout bounds each HTTP request, body included, as a last resort: the runner's attempt
	// timeout (the caller's context) normally ends it first. 100 s if 0, as in kiota.
	Timeout time.Duration
	// Clock is the time Retry-After dates are measured against; the wall clock if nil.
	Clock Clock
}

// A Source reads the signed-in user's calendar from Microsoft Graph. It holds no sync state
// (that is the caller's Delta) and is safe for concurrent use.
type Source struct {
	base     *url.URL
	adapter  *msgraphgocore.GraphRequestAdapterBase
	pageSize int
	clock    Clock
	parent   http.RoundTripper // under the middleware, for closing idle connections
}

var (
	_ calsync.Source      = (*Source)(nil)
	_ calsync.DeltaSource = (*Source)(nil)
)

// New returns a Source for opts, or an error saying which option is wrong.
func New(opts Options) (*Source, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = origin.DefaultGraph
	}
	base, err := ValidateBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Auth == nil {
		return nil, errors.New("graph: no authentication provider; sign in (caltray signin) or set CALTRAY_ACCESS_TOKEN")
	}
	switch {
	case opts.PageSize == 0:
		opts.PageSize = DefaultPageSize
	case opts.PageSize < 1 || opts.PageSize > MaxPageSize:
		return nil, fmt.Errorf("graph: page size %d is out of range; use 1 to %d", opts.PageSize, MaxPageSize)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("graph: timeout %s is negative", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 100 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Transport == nil {
		opts.Transport = khttp.GetDefaultTransport()
	}
	client := newHTTPClient(opts.Transport, opts.Timeout)
	adapter, err := msgraphgocore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		opts.Auth, msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0"}, nil, nil, client)
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	adapter.SetBaseUrl(base.String())
	return &Source{base: base, adapter: adapter, pageSize: opts.PageSize, clock: opts.Clock, parent: opts.Transport}, nil
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// List returns every appointment overlapping [from, to), sorted by start, reading
// GET /me/calendarView page by page. Events it cannot read are left out (Sync reports them).
func (s *Source) List(ctx context.Context, from, to time.Time) ([]calsync.Appointment, error) {
	appts, _, err := s.list(ctx, from, to)
	return appts, err
}

// list is List, also returning the events skipped.
func (s *Source) list(ctx context.Context, from, to time.Time) ([]calsync.Appointment, []calsync.Skip, error) {
	if err := checkWindow(from, to); err != nil {
		return nil, nil, err
	}
	ri := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET,
		"{+baseurl}/me/calendarView{?startDateTime,endDateTime,%24select,%24orderby}", map[string]string{})
	ri.QueryParameters["startDateTime"] = formatWindow(from, false)
	ri.QueryParameters["endDateTime"] = formatWindow(to, true)
	ri.QueryParameters["%24select"] = strings.Join(selectFields, ",")
	ri.QueryParameters["%24orderby"] = "start/dateTime"

	byID := make(map[string]calsync.Appointment)
	seen := make(map[string]bool)
	var skipped []calsync.Skip
	for n := 1; ri != nil; n++ {
		op := fmt.Sprintf("calendarView page %d", n)
		if n > maxPages {
			return nil, nil, &PayloadError{Op: op, Status: http.StatusOK, Reason: fmt.Sprintf("more than %d pages of @odata.nextLink", maxPages)}
		}
		page, err := s.fetch(ctx, op, ri, calendarViewPage, MaxEvents-len(byID))
		if err != nil {
			return nil, nil, err
		}
		if !page.hasValue {
			return nil, nil, &PayloadError{Op: op, Status: http.StatusOK, Reason: `the response has no "value" array of events`}
		}
		for _, a := range page.appts {
			// Pages can overlap when the calendar changes while we read it; the later copy wins.
			byID[a.ID] = a
		}
		skipped = append(skipped, page.skipped...)
		if err := checkCount(op, len(byID)); err != nil {
			return nil, nil, err
		}
		if ri, err = s.nextRequest(op, seen, page.nextLink); err != nil {
			return nil, nil, err
		}
	}
	return inWindow(byID, from, to), skipped, nil
}

// checkCount stops a sync that would keep more than MaxEvents appointments.
func checkCount(op string, n int) error {
	if n <= MaxEvents {
		return nil
	}
	return tooLarge(op, http.StatusOK, fmt.Errorf("%w: more than %d events in one sync; caltray keeps at most %d", ErrTooLarge, MaxEvents, MaxEvents))
}

// Sync brings prev up to date for [from, to) with GET /me/calendarView/delta. It runs a full
// sync (a new delta round) when prev has no link, covers another window, holds a link to
// another Graph URL, or when Graph no longer knows the link (410 Gone, syncStateNotFound).
func (s *Source) Sync(ctx context.Context, from, to time.Time, prev calsync.Delta) (calsync.Delta, error) {
	if err := checkWindow(from, to); err != nil {
		return calsync.Delta{}, err
	}
	ctx, bytes := withByteCounter(ctx)
	if prev.Link != "" && prev.From.Equal(from) && prev.To.Equal(to) {
		if link, err := s.parseLink(prev.Link); err == nil {
			d, err := s.delta(ctx, from, to, linkRequest(link), prev.Appointments)
			switch {
			case err == nil:
				d.Kind, d.Bytes = calsync.SyncDelta, bytes.Load()
				return d, nil
			case !expiredDelta(err):
				return calsync.Delta{}, err
			}
			// The server forgot the round: start a new one below.
		}
	}
	ri := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET,
		"{+baseurl}/me/calendarView/delta{?startDateTime,endDateTime}", map[string]string{})
	ri.QueryParameters["startDateTime"] = formatWindow(from, false)
	ri.QueryParameters["endDateTime"] = formatWindow(to, true)
	d, err := s.delta(ctx, from, to, ri, nil)
	if err != nil {
		return calsync.Delta{}, err
	}
	d.Kind, d.Bytes = calsync.SyncFull, bytes.Load()
	return d, nil
}

// delta runs one delta round from ri to its @odata.deltaLink, applying every change to base.
// Graph's delta function takes no $select or $orderby (the state token fixes the query), so
// these pages carry whole events; Prefer headers are honoured.
func (s *Source) delta(ctx context.Context, from, to time.Time, ri *abs.RequestInformation, base []calsync.Appointment) (calsync.Delta, error) {
	byID := make(map[string]calsync.Appointment, len(base))
	for _, a := range base {
		byID[a.ID] = a
	}
	seen := make(map[string]bool)
	var skipped []calsync.Skip
	for n := 1; ; n++ {
		op := fmt.Sprintf("calendarView/delta page %d", n)
		if n > maxPages {
			return calsync.Delta{}, &PayloadError{Op: op, Status: http.StatusOK, Reason: fmt.Sprintf("more than %d pages of @odata.nextLink", maxPages)}
		}
		// A delta page may update events already kept, so a page may add at most MaxEvents
		// (checkCount below counts what is kept after it).
		page, err := s.fetch(ctx, op, ri, deltaPageKind, MaxEvents)
		if err != nil {
			return calsync.Delta{}, err
		}
		if !page.hasValue {
			return calsync.Delta{}, &PayloadError{Op: op, Status: http.StatusOK, Reason: `the response has no "value" array of events`}
		}
		for _, id := range page.removed {
			delete(byID, id)
		}
		for _, a := range page.appts {
			byID[a.ID] = a // an event moved out of the window is dropped by inWindow below
		}
		for _, sk := range page.skipped {
			// An event that changed into something unreadable: its old version is no longer
			// what the calendar says (it may have moved), so it goes too.
			delete(byID, sk.ID)
		}
		skipped = append(skipped, page.skipped...)
		if err := checkCount(op, len(byID)); err != nil {
			return calsync.Delta{}, err
		}
		next, deltaLink := page.nextLink, page.deltaLink
		switch {
		case next != "":
			if ri, err = s.nextRequest(op, seen, next); err != nil {
				return calsync.Delta{}, err
			}
		case deltaLink != "":
			if _, err := s.parseLink(deltaLink); err != nil {
				return calsync.Delta{}, &PayloadError{Op: op, Status: http.StatusOK, Reason: "@odata.deltaLink", Err: err}
			}
			return calsync.Delta{From: from, To: to, Link: deltaLink, Appointments: inWindow(byID, from, to), Skipped: skipped}, nil
		default:
			return calsync.Delta{}, &PayloadError{Op: op, Status: http.StatusOK, Reason: "the last page has neither @odata.nextLink nor @odata.deltaLink"}
		}
	}
}

// nextRequest builds the request for a page's @odata.nextLink (nil when there is none); fetch
// gives it the same Prefer headers as the first page, which Graph does not remember. seen holds
// the links already followed in this round, so that links going round in a circle end the
// round at once rather than after maxPages requests.
func (s *Source) nextRequest(op string, seen map[string]bool, next string) (*abs.RequestInformation, error) {
	if next == "" {
		return nil, nil
	}
	u, err := s.parseLink(next)
	if err != nil {
		return nil, &PayloadError{Op: op, Status: http.StatusOK, Reason: "@odata.nextLink", Err: err}
	}
	if seen[u.String()] {
		return nil, &PayloadError{Op: op, Status: http.StatusOK, Reason: "@odata.nextLink points back to a page already read"}
	}
	seen[u.String()] = true
	return linkRequest(u), nil
}

// linkRequest is a GET of a link Graph handed out (nextLink, deltaLink), sent as is.
func linkRequest(u *url.URL) *abs.RequestInformation {
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.SetUri(*u)
	return ri
}

// parseLink accepts a nextLink or deltaLink only under the configured Graph URL, so a payload
// cannot send caltray (and a token provider less careful than StaticToken) to another host.
func (s *Source) parseLink(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("%q is not an absolute URL", clip(raw, 80))
	}
	if !origin.Same(u, s.base) || !strings.HasPrefix(u.Path, s.base.Path+"/") {
		return nil, fmt.Errorf("link to %s://%s%s is outside the Graph URL %s; refusing to follow it", u.Scheme, u.Host, clip(u.Path, 40), s.base)
	}
	return u, nil
}

// checkWindow rejects a window the caller got wrong.
func checkWindow(from, to time.Time) error {
	if from.IsZero() || to.IsZero() {
		return errors.New("graph: the sync window has no start or end")
	}
	if !to.After(from) {
		return fmt.Errorf("graph: the sync window ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return nil
}

// formatWindow writes a window bound for Graph in UTC whole seconds, rounding the end up so the
// window never shrinks.
func formatWindow(t time.Time, roundUp bool) string {
	t = t.UTC()
	if r := t.Truncate(time.Second); roundUp && !r.Equal(t) {
		t = r.Add(time.Second)
	} else {
		t = r
	}
	return t.Format("2006-01-02T15:04:05Z")
}

// allDaySlack widens the window for all-day events, which are dates: the window's instants fall
// on different dates in different zones (UTC-12 to UTC+14), and Graph decides by the user's.
const allDaySlack = 14 * time.Hour

// inWindow returns the appointments overlapping [from, to), sorted by start, then end, then id.
func inWindow(byID map[string]calsync.Appointment, from, to time.Time) []calsync.Appointment {
	out := make([]calsync.Appointment, 0, len(byID))
	for _, a := range byID {
		lo, hi := from, to
		if a.AllDay {
			lo, hi = from.Add(-allDaySlack), to.Add(allDaySlack)
		}
		overlaps := a.Start.Before(hi) && (a.End.After(lo) || (a.End.Equal(a.Start) && !a.Start.Before(lo)))
		if overlaps {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if !a.End.Equal(b.End) {
			return a.End.Before(b.End)
		}
		return a.ID < b.ID
	})
	return out
}
