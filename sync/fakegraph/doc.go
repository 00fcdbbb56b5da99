// Package fakegraph is a loopback Microsoft Graph for caltray's tests and its --demo mode: it
// serves a user's calendar in Graph's HTTP and JSON shapes, lets tests change the calendar while
// it runs, misbehaves on request, and records every request for assertions.
//
// # What it serves
//
// New starts it on http://127.0.0.1:PORT, NewTLS on https with a certificate generated at start
// for 127.0.0.1, ::1 and localhost (Client, CertPool and CertPEM trust it). URL returns the base,
// ending in /v1.0. Under it:
//
//   - GET /me/calendarView?startDateTime=…&endDateTime=… — the events overlapping the window
//     (start < end of window and end > start of window; ISO 8601, UTC when there is no offset),
//     occurrences of recurring series expanded. It honours $select (the named properties plus
//     id and @odata.etag), $orderby=start/dateTime or end/dateTime [asc|desc] (without it the
//     order is not by time, as in Graph), $top and Prefer: odata.maxpagesize=N (the smaller
//     wins; default 10, at most 1000; Preference-Applied echoes what was honoured), and
//     Prefer: outlook.timezone="Windows or IANA name" (start and end converted into that zone
//     and labelled with it; UTC without the header or for an unknown zone; all-day events keep
//     their dates). Pages are chained by @odata.nextLink with an opaque $skiptoken holding the
//     whole query: a client must resend its Prefer headers on every page, as with Graph. Pages
//     are cut by sort key, not offset, so changes between two pages never skip an event.
//   - GET /me/calendarView/delta?startDateTime=…&endDateTime=… — a delta round: pages of
//     events (ID order, with @odata.type, sized by odata.maxpagesize only; $select is ignored,
//     as Graph ignores it there) chained by $skiptoken, the last one carrying
//     @odata.deltaLink with an opaque $deltatoken that encodes the window and the server's change
//     sequence. Calling the deltaLink returns what changed since: events now in the window
//     whole, and {"id":…,"@removed":{"reason":"deleted"}} for events deleted or moved out of it.
//     A token that is expired (ExpireDeltaTokens), forged, or from another server instance gets
//     410 Gone with code syncStateNotFound.
//
// Every request needs Authorization: Bearer TOKEN, where TOKEN is Options.Token (or the random
// Token()); otherwise 401 with code InvalidAuthenticationToken. Options.Authorize replaces that
// check (the identity endpoints, added in identity*.go through Handle, use it to accept only
// tokens they issued). Errors have Graph's body,
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
// Query options Graph has but the fake does not simulate ($filter, $search, $expand, $skip,
// $count) are refused with 400 rather than silently ignored.
//
// # Data
//
// Options.Events is the initial calendar; nil means Calendar(Now(), Seed), a realistic month of
// meetings around Options.Now (see Calendar for its cases), and Spread makes N plain meetings for
// load tests. Add, Update and Remove change the calendar while the server runs and feed delta;
// Events and Event return what is stored, flat, for field-by-field comparison with a client's
// result. Events are stored in the zones their organizers use (Windows names; WindowsZones maps
// them to IANA names).
//
// # Faults
//
// Each Graph request first passes the token check, then takes its fault from, in order: the
// outage (SetOutage(f) fails every request with f until SetOutage(Fault{})), the script (Fail
// queues faults used one per request in order; Fault{} lets one request through), or chance
// (SetRandomFaults(rate, seed, kinds...), reproducible for a given seed and request order).
// The kinds: Throttled (429 TooManyRequests, Retry-After seconds) and ThrottledDate (the same
// with an HTTP-date from Options.Now), InternalError (500 generalException), BadGateway (502),
// Unavailable (503 serviceNotAvailable with Retry-After) and UnavailableBare (without),
// GatewayTimeout (504), Slow (answers after Fault.Delay, or never: it ends when the client
// leaves or the server closes), Dropped (the connection closes in the middle of the response
// head), Reset (the connection closes before a byte is sent; note that net/http replays a GET
// by itself once when this happens on a reused keep-alive connection, so a client then sees the
// next planned answer and Requests shows two requests), Truncated (half of the JSON body, with a
// matching Content-Length), NotJSON (an HTML proxy page labelled application/json), WrongType
// (the right JSON labelled text/html) and ExpiredToken (410 syncStateNotFound).
//
//	s, _ := fakegraph.New(fakegraph.Options{Now: clock.Now})
//	defer s.Close()
//	s.Fail(fakegraph.Fault{Kind: fakegraph.Throttled, RetryAfter: 2 * time.Second})
//	// … run the client; then:
//	reqs := s.Requests() // reqs[0].Status == 429, reqs[1].Status == 200, reqs[1].Time.Sub(reqs[0].Time) >= 2s
//
// # Records
//
// Requests returns every request in arrival order: method, path, query, headers (the bearer
// credential redacted), time from Options.Now, whether the token was accepted, the fault, the
// status and headers sent, and the body bytes written; Request.Preferences parses its Prefer
// headers. A record's status and size are noted before the bytes reach the client, so a test
// that has read a response always finds it recorded. ResetRequests clears them.
//
// Close ends everything the server started, including requests held by Slow; it uses only the
// standard library, so any caltray binary can embed it.
package fakegraph
