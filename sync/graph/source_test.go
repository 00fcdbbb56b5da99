package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/origin"
)

// recorder is an httptest handler that records requests and answers from a script.
type recorder struct {
	mu    gosync.Mutex
	reqs  []*http.Request
	serve func(w http.ResponseWriter, r *http.Request, n int) // n counts from 0
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	n := len(rec.reqs)
	rec.reqs = append(rec.reqs, r.Clone(context.Background()))
	rec.mu.Unlock()
	// A client that stops reading (the source refusing an oversized page) and closes its
	// connection fails a blocked write at once on Linux; under Wine the write stayed blocked,
	// and srv.Close waited for it until the test binary's timeout. The deadline ends such a
	// write, far beyond what any test here takes to be answered (milliseconds).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(3 * time.Second))
	rec.serve(w, r, n)
}

func (rec *recorder) requests() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]*http.Request(nil), rec.reqs...)
}

func serve(t *testing.T, fn func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{serve: fn}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv, rec
}

func newTestSource(t *testing.T, base string, opts ...func(*Options)) *Source {
	t.Helper()
	auth, err := StaticToken(testToken, base)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{BaseURL: base, Auth: auth, PageSize: 2}
	for _, f := range opts {
		f(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeIdle(s) })
	return s
}

// closeIdle closes the source's idle keep-alive connections so goleak sees no transport goroutines.
func closeIdle(s *Source) {
	if t, ok := s.parent.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

func jsonEvent(id string, start time.Time) string {
	return fmt.Sprintf(`{"id":%q,"subject":"Meeting %s","start":{"dateTime":%q,"timeZone":"UTC"},"end":{"dateTime":%q,"timeZone":"UTC"}}`,
		id, id, start.UTC().Format("2006-01-02T15:04:05.0000000"), start.Add(30*time.Minute).UTC().Format("2006-01-02T15:04:05.0000000"))
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

var (
	t0   = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	from = t0
	to   = t0.Add(7 * 24 * time.Hour)
)

func TestListFollowsNextLinksWithHeaders(t *testing.T) {
	var srv *httptest.Server
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		pages := [][]string{
			{jsonEvent("a", t0.Add(1*time.Hour)), jsonEvent("b", t0.Add(2*time.Hour))},
			{jsonEvent("c", t0.Add(3*time.Hour)), jsonEvent("b", t0.Add(2*time.Hour))}, // b again: calendar changed mid-read
			{jsonEvent("d", t0.Add(4*time.Hour))},
		}
		if n >= len(pages) {
			t.Errorf("unexpected request %d: %s", n, r.URL)
			return
		}
		next := ""
		if n+1 < len(pages) {
			next = fmt.Sprintf(`,"@odata.nextLink":%q`, srv.URL+"/v1.0/me/calendarView?startDateTime=x&$skiptoken=page"+fmt.Sprint(n+1))
		}
		writeJSON(w, 200, `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users('x')/calendarView","value":[`+strings.Join(pages[n], ",")+`]`+next+`}`)
	})
	s := newTestSource(t, srv.URL+"/v1.0")
	got, err := s.List(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "a,b,c,d" {
		t.Fatalf("ids = %v, want a,b,c,d", ids)
	}
	reqs := rec.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	q := reqs[0].URL.Query()
	wantQuery := map[string]string{
		"startDateTime": "2026-11-27T00:00:00Z", "endDateTime": "2026-12-04T00:00:00Z",
		"$orderby": "start/dateTime", "$select": strings.Join(selectFields, ","),
	}
	for k, v := range wantQuery {
		if q.Get(k) != v {
			t.Errorf("query %s = %q, want %q (raw %s)", k, q.Get(k), v, reqs[0].URL.RawQuery)
		}
	}
	if reqs[0].URL.Path != "/v1.0/me/calendarView" {
		t.Errorf("path = %s", reqs[0].URL.Path)
	}
	for i, r := range reqs {
		prefer := strings.Join(r.Header.Values("Prefer"), ", ")
		if !strings.Contains(prefer, `outlook.timezone="UTC"`) || !strings.Contains(prefer, "odata.maxpagesize=2") {
			t.Errorf("request %d Prefer = %q", i, prefer)
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("request %d lacks the token", i)
		}
		if i > 0 && r.URL.Query().Get("$skiptoken") != fmt.Sprint("page", i) {
			t.Errorf("request %d did not follow the nextLink: %s", i, r.URL)
		}
	}
}

func TestListFiltersAndSorts(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, page(
			jsonEvent("late", t0.Add(5*time.Hour)),
			jsonEvent("outside", t0.Add(-2*time.Hour)), // ends before the window
			jsonEvent("early", t0.Add(1*time.Hour)),
			`{"id":"allday","isAllDay":true,"start":{"dateTime":"2026-11-27T00:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-11-28T00:00:00.0000000","timeZone":"UTC"}}`,
		))
	})
	got, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "allday,early,late" {
		t.Fatalf("ids = %v", ids)
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		wantCode   string
		wantWait   time.Duration
		wantReqID  string
		wantInText string
	}{
		{"429 seconds", 429, map[string]string{"Retry-After": "2", "request-id": "req-429"},
			`{"error":{"code":"TooManyRequests","message":"Please retry again later."}}`, "TooManyRequests", 2 * time.Second, "req-429", "retry after 2s"},
		{"503 HTTP-date", 503, map[string]string{"Retry-After": "Fri, 27 Nov 2026 09:00:05 GMT"},
			`{"error":{"code":"serviceNotAvailable","message":"Service unavailable","innerError":{"request-id":"inner-id"}}}`, "serviceNotAvailable", 5 * time.Second, "inner-id", "unavailable"},
		{"502 HTML from a proxy", 502, nil, `<html><body>Bad Gateway</body></html>`, "", 0, "", "HTTP 502 Bad Gateway"},
		{"401", 401, nil, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}`, "InvalidAuthenticationToken", 0, "", "sign in again"},
		{"410 delta", 410, nil, `{"error":{"code":"syncStateNotFound","message":"The sync state generation is not found."}}`, "syncStateNotFound", 0, "", "full sync"},
		{"control characters in message", 400, nil, `{"error":{"code":"BadRequest","message":"line1\nline2"}}`, "BadRequest", 0, "", "line1 line2"},
	}
	clock := fixedClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				writeJSON(w, tt.status, tt.body)
			})
			s := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.Clock = clock })
			_, err := s.List(context.Background(), from, to)
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if ge.Status != tt.status || ge.Code != tt.wantCode || ge.Wait != tt.wantWait || ge.RequestID != tt.wantReqID {
				t.Errorf("got %+v", ge)
			}
			if !strings.Contains(err.Error(), tt.wantInText) || strings.Contains(err.Error(), testToken) {
				t.Errorf("message %q lacks %q or shows the token", err, tt.wantInText)
			}
			if n := len(rec.requests()); n != 1 {
				t.Errorf("%d requests, want 1: the source must not retry", n)
			}
		})
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestPayloadErrors(t *testing.T) {
	good := page(jsonEvent("a", t0.Add(time.Hour)))
	tests := []struct {
		name, contentType, body, want string
	}{
		{"truncated", "application/json", good[:len(good)/2], "cut short"},
		{"HTML page", "application/json", "<html><head><title>Sign in to Wi-Fi</title></head></html>", "not JSON"},
		{"wrong content type", "text/html; charset=utf-8", good, `content type is "text/html; charset=utf-8"`},
		{"no content type", "", good, "content type"},
		{"empty body", "application/json", "", "empty"},
		{"no value", "application/json", `{"@odata.context":"x"}`, `no "value" array`},
		{"value null", "application/json", `{"value":null}`, `no "value" array`},
		{"value not an array", "application/json", `{"value":{"id":"a"}}`, "Graph's shape"},
		{"array at top level", "application/json", `[1,2]`, `no "value" array`},
		{"link is a number", "application/json", `{"value":[],"@odata.nextLink":5}`, "Graph's shape"},
		{"data after the object", "application/json", `{"value":[]} {}`, "data after the top-level object"},
		{"malformed in the middle", "application/json", `{"value":[{"id":"a",,}]}`, "malformed at byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				} else {
					w.Header()["Content-Type"] = nil // stop net/http from sniffing one
				}
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
			var pe *PayloadError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "calendarView page 1") {
				t.Fatalf("err = %v, want a PayloadError saying %q", err, tt.want)
			}
		})
	}
}

func TestNextLinkToAnotherHostIsRefused(t *testing.T) {
	other, otherRec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, page()) })
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"value":[],"@odata.nextLink":"`+other.URL+`/v1.0/me/calendarView?$skiptoken=x"}`)
	})
	_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
	if err == nil || !strings.Contains(err.Error(), "outside the Graph URL") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if n := len(otherRec.requests()); n != 0 {
		t.Fatalf("the other host got %d requests", n)
	}
}

func TestNextLinkLoopIsAnError(t *testing.T) {
	tests := []struct {
		name      string
		links     []string // the nextLink of page n is links[n % len(links)]
		wantPages int
	}{
		{"to itself", []string{"same"}, 2},
		{"in a circle of two", []string{"a", "b"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				next := srv.URL + "/v1.0/me/calendarView?$skiptoken=" + tt.links[n%len(tt.links)]
				writeJSON(w, 200, `{"value":[],"@odata.nextLink":"`+next+`"}`)
			})
			_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
			if err == nil || !strings.Contains(err.Error(), "points back to a page already read") || len(rec.requests()) != tt.wantPages {
				t.Fatalf("err = %v after %d requests, want a loop error after %d", err, len(rec.requests()), tt.wantPages)
			}
		})
	}
}

// TestClaimsChallenge: a 401 carrying a Conditional Access claims challenge. kiota's adapter
// answers a well-formed one by fetching a token with the claims and sending the request once
// more; one it cannot read must give the 401 as an error, not a panic.
func TestClaimsChallenge(t *testing.T) {
	tests := []struct {
		name, challenge string
		wantRequests    int
	}{
		{"unquoted claims", `Bearer claims=eyJhY2Nlc3NfdG9rZW4iOnt9fQ`, 1},
		{"empty claims", `Bearer realm="", claims`, 1},
		{"no claims", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`, 1},
		{"well-formed claims", `Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("WWW-Authenticate", tt.challenge)
				writeJSON(w, 401, `{"error":{"code":"InvalidAuthenticationToken","message":"Continuous access evaluation resulted in challenge."}}`)
			})
			_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
			var ge *Error
			if !errors.As(err, &ge) || ge.Status != 401 || ge.Code != "InvalidAuthenticationToken" {
				t.Fatalf("err = %v, want the 401", err)
			}
			if n := len(rec.requests()); n != tt.wantRequests {
				t.Fatalf("%d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

// TestErrorStatusWithBodyCutShort: an error answer whose body breaks off still gives the
// status and Retry-After, so the runner throttles a 429 rather than retrying at once.
func TestErrorStatusWithBodyCutShort(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Type: application/json\r\n" +
			"Content-Length: 500\r\n\r\n{\"error\":{\"code\":\"TooMany")
		buf.Flush()
	})
	_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 429 || ge.Wait != 2*time.Second || firstClass(runner.DefaultClassify(err)) != runner.ClassThrottled {
		t.Fatalf("err = %v, want a throttled 429 with a 2s Retry-After", err)
	}
}

func TestRedirectKeepsTokenOnSameHost(t *testing.T) {
	var srv *httptest.Server
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/v1.0/moved" {
			writeJSON(w, 200, page(jsonEvent("a", t0.Add(time.Hour))))
			return
		}
		http.Redirect(w, r, "/v1.0/moved", http.StatusMovedPermanently)
	})
	if _, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 2 || reqs[1].Header.Get("Authorization") != "Bearer "+testToken {
		t.Fatalf("%d requests; same-host redirect lost the token", len(reqs))
	}
}

func TestTooManyRedirects(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, fmt.Sprintf("/v1.0/r%d", n), http.StatusFound)
	})
	_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != http.StatusFound || len(rec.requests()) != 6 {
		t.Fatalf("err = %v after %d requests, want a 302 error after 6", err, len(rec.requests()))
	}
}

func TestNewValidation(t *testing.T) {
	auth, _ := StaticToken(testToken, origin.DefaultGraph)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no auth", Options{}, "no authentication provider"},
		{"bad URL", Options{Auth: auth, BaseURL: "http://graph.microsoft.com"}, "plain http"},
		{"page size", Options{Auth: auth, PageSize: 5000}, "page size 5000 is out of range"},
		{"negative page size", Options{Auth: auth, PageSize: -1}, "out of range"},
		{"negative timeout", Options{Auth: auth, Timeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	s, err := New(Options{Auth: auth})
	if err != nil || s.base.String() != origin.DefaultGraph || s.pageSize != DefaultPageSize {
		t.Fatalf("defaults: %v %+v", err, s)
	}
}

func TestWindowValidation(t *testing.T) {
	s := newTestSource(t, "http://127.0.0.1:1/v1.0")
	for _, w := range [][2]time.Time{{to, from}, {from, from}, {{}, to}} {
		if _, err := s.List(context.Background(), w[0], w[1]); err == nil || !strings.Contains(err.Error(), "window") {
			t.Errorf("List(%v, %v) err = %v", w[0], w[1], err)
		}
		if _, err := s.Sync(context.Background(), w[0], w[1], calsync.Delta{}); err == nil {
			t.Errorf("Sync(%v, %v) accepted a bad window", w[0], w[1])
		}
	}
}

func TestFormatWindow(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 500, time.FixedZone("x", 3600))
	if got := formatWindow(at, false); got != "2026-11-27T08:00:00Z" {
		t.Errorf("start = %s", got)
	}
	if got := formatWindow(at, true); got != "2026-11-27T08:00:01Z" {
		t.Errorf("end = %s", got)
	}
}

func TestNoMiddlewareRetries(t *testing.T) {
	for _, m := range middlewares() {
		if strings.Contains(fmt.Sprintf("%T", m), "Retry") {
			t.Fatalf("middleware chain has %T; the runner must be the only retry layer", m)
		}
	}
}

func TestTransportErrorIsWrapped(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/v1.0"
	srv.Close() // nothing listens there now
	_, err := newTestSource(t, base).List(context.Background(), from, to)
	var ue *url.Error
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "graph: calendarView page 1") {
		t.Fatalf("err = %v (%T), want a wrapped *url.Error", err, err)
	}
}

func firstClass(c runner.Class, _ runner.Kind) runner.Class { return c }

// Each event's own reminder comes through the real request and parse path: the calendarView
// request selects isReminderOn and reminderMinutesBeforeStart, and the page's values become
// the appointment's Reminder (off, missing and out-of-range values included).
func TestListReadsReminders(t *testing.T) {
	tests := []struct {
		id     string
		fields string // JSON members added to the event
		want   calsync.Reminder
	}{
		{"default", `"isReminderOn":true,"reminderMinutesBeforeStart":15`, calsync.RemindBefore(15)},
		{"custom", `"isReminderOn":true,"reminderMinutesBeforeStart":90`, calsync.RemindBefore(90)},
		{"at-start", `"isReminderOn":true,"reminderMinutesBeforeStart":0`, calsync.RemindBefore(0)},
		{"off", `"isReminderOn":false,"reminderMinutesBeforeStart":15`, calsync.Reminder{}},
		{"unsaid", ``, calsync.Reminder{}},
		{"no-minutes", `"isReminderOn":true`, calsync.RemindBefore(15)},
		{"negative", `"isReminderOn":true,"reminderMinutesBeforeStart":-5`, calsync.RemindBefore(0)},
		{"huge", `"isReminderOn":true,"reminderMinutesBeforeStart":2000000000`, calsync.RemindBefore(calsync.MaxReminderMinutes)},
	}
	var evs []string
	for i, tt := range tests {
		ev := jsonEvent(tt.id, t0.Add(time.Duration(i+1)*time.Hour))
		if tt.fields != "" {
			ev = strings.TrimSuffix(ev, "}") + "," + tt.fields + "}"
		}
		evs = append(evs, ev)
	}
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, page(evs...)) })
	got, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]calsync.Reminder{}
	for _, a := range got {
		byID[a.ID] = a.Reminder
	}
	for _, tt := range tests {
		if r, ok := byID[tt.id]; !ok || r != tt.want {
			t.Errorf("%s: reminder %+v (found %v), want %+v", tt.id, r, ok, tt.want)
		}
	}
	sel := strings.Split(rec.requests()[0].URL.Query().Get("$select"), ",")
	for _, f := range []string{"isReminderOn", "reminderMinutesBeforeStart"} {
		if !slices.Contains(sel, f) {
			t.Errorf("$select %v lacks %s", sel, f)
		}
	}
}
