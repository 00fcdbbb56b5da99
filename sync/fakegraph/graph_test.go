package fakegraph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func viewURL(s *Server, from, to time.Time, extra ...string) string {
	q := url.Values{}
	q.Set("startDateTime", from.UTC().Format(time.RFC3339))
	q.Set("endDateTime", to.UTC().Format(time.RFC3339))
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return s.URL() + "/me/calendarView?" + q.Encode()
}

func deltaURL(s *Server, from, to time.Time) string {
	q := url.Values{}
	q.Set("startDateTime", from.UTC().Format(time.RFC3339))
	q.Set("endDateTime", to.UTC().Format(time.RFC3339))
	return s.URL() + "/me/calendarView/delta?" + q.Encode()
}

func TestPagingAndOrdering(t *testing.T) {
	from := refNow.Truncate(24 * time.Hour)
	to := from.Add(7 * 24 * time.Hour)
	const n = 1050
	s := startServer(t, Options{Events: Spread(n, from, to)})
	tests := []struct {
		name      string
		query     []string
		prefer    []string
		wantPages int
		wantOrder string // "asc", "desc" or "" (not by start)
		wantPref  string
	}{
		{"top", []string{"$top", "100", "$orderby", "start/dateTime"}, nil, 11, "asc", ""},
		{"maxpagesize", []string{"$orderby", "start/dateTime desc"}, []string{"Prefer", "odata.maxpagesize=100"}, 11, "desc", "odata.maxpagesize=100"},
		{"smaller of top and maxpagesize", []string{"$top", "500"}, []string{"Prefer", "odata.maxpagesize=250"}, 5, "", "odata.maxpagesize=250"},
		{"both prefers in one header", []string{"$orderby", "start/dateTime"}, []string{"Prefer", `outlook.timezone="UTC", odata.maxpagesize=1000`}, 2, "asc", `odata.maxpagesize=1000, outlook.timezone="UTC"`},
		{"both prefers in two headers", []string{"$orderby", "start/dateTime"}, []string{"Prefer", `outlook.timezone="UTC"`, "Prefer", "odata.maxpagesize=300"}, 4, "asc", `odata.maxpagesize=300, outlook.timezone="UTC"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetRequests()
			// $select keeps the pages small: decoding 1,050 whole events six times is slow under -race.
			pages, evs, last := fetchAll(t, s, viewURL(s, from, to, append(tc.query, "$select", "start")...), tc.prefer...)
			if pages != tc.wantPages {
				t.Errorf("pages = %d, want %d", pages, tc.wantPages)
			}
			if last.DeltaLink != "" {
				t.Errorf("calendarView sent a deltaLink: %s", last.DeltaLink)
			}
			seen := map[string]bool{}
			for _, e := range evs {
				if seen[e.ID] {
					t.Fatalf("event %s twice", e.ID)
				}
				seen[e.ID] = true
			}
			if len(seen) != n {
				t.Fatalf("got %d distinct events, want %d", len(seen), n)
			}
			starts := make([]string, len(evs))
			for i, e := range evs {
				starts[i] = e.Start.DateTime // all in UTC: comparable as strings
			}
			switch tc.wantOrder {
			case "asc":
				if !slices.IsSorted(starts) {
					t.Error("events are not in ascending start order")
				}
			case "desc":
				slices.Reverse(starts)
				if !slices.IsSorted(starts) {
					t.Error("events are not in descending start order")
				}
			case "":
				if slices.IsSorted(starts) {
					t.Error("without $orderby the events came sorted by start: a client forgetting $orderby would go unnoticed")
				}
			}
			for i, r := range s.Requests() {
				if got := r.ResponseHeader.Get("Preference-Applied"); got != tc.wantPref {
					t.Errorf("request %d: Preference-Applied = %q, want %q", i, got, tc.wantPref)
				}
				if i > 0 && (r.Query.Get("$skiptoken") == "" || len(r.Query) != 1) {
					t.Errorf("request %d: next link query %v, want only an opaque $skiptoken", i, r.Query)
				}
			}
		})
	}
}

func TestDefaultPageSize(t *testing.T) {
	from := refNow.Truncate(24 * time.Hour)
	s := startServer(t, Options{Events: Spread(25, from, from.Add(24*time.Hour))})
	for _, u := range []string{viewURL(s, from, from.Add(24*time.Hour)), deltaURL(s, from, from.Add(24*time.Hour))} {
		pages, evs, _ := fetchAll(t, s, u)
		if pages != 3 || len(evs) != 25 {
			t.Errorf("%s: %d events in %d pages, want 25 in 3 (Graph's default of 10 a page)", u, len(evs), pages)
		}
	}
}

func TestPagingStableUnderChanges(t *testing.T) {
	from := refNow.Truncate(24 * time.Hour)
	to := from.Add(24 * time.Hour)
	s := startServer(t, Options{Events: Spread(30, from, to)})
	resp, body := do(t, s, nil, viewURL(s, from, to, "$top", "10", "$orderby", "start/dateTime"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	p, first := decodePage(t, body)
	// Between pages: remove an event already sent and one not yet sent, and add one early in
	// the window. Offset paging would now skip an event; key paging must not.
	all := s.Events()
	if err := s.Remove(first[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(all[25].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(Event{Subject: "early", Start: from, End: from.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	_, rest, _ := fetchAll(t, s, p.NextLink)
	got := map[string]bool{}
	for _, e := range append(first, rest...) {
		got[e.ID] = true
	}
	for i, e := range all {
		if i == 25 {
			if got[e.ID] {
				t.Errorf("event %s removed before its page was read still came", e.ID)
			}
			continue
		}
		if !got[e.ID] {
			t.Errorf("event %d (%s) was skipped", i, e.ID)
		}
	}
}

func TestSelect(t *testing.T) {
	s := startServer(t, Options{})
	from, to := refNow.Add(-7*24*time.Hour), refNow.Add(28*24*time.Hour)
	tests := []struct {
		name, sel string
		wantKeys  []string
	}{
		{"two fields", "subject,start", []string{"@odata.etag", "id", "start", "subject"}},
		{"case and spaces", " Subject , isAllDay,ONLINEMEETING", []string{"@odata.etag", "id", "isAllDay", "onlineMeeting", "subject"}},
		{"the client's set", "id,subject,start,end,isAllDay,location,onlineMeeting,webLink,organizer,responseStatus,showAs,isCancelled,isOnlineMeeting,bodyPreview",
			[]string{"@odata.etag", "bodyPreview", "end", "id", "isAllDay", "isCancelled", "isOnlineMeeting", "location", "onlineMeeting", "organizer", "responseStatus", "showAs", "start", "subject", "webLink"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, s, nil, viewURL(s, from, to, "$select", tc.sel, "$top", "50"))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			p, _ := decodePage(t, body)
			if len(p.Value) == 0 {
				t.Fatal("no events")
			}
			for _, raw := range p.Value {
				var m map[string]json.RawMessage
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if !slices.Equal(keys, tc.wantKeys) {
					t.Fatalf("keys = %v, want %v", keys, tc.wantKeys)
				}
			}
		})
	}
	t.Run("unknown field", func(t *testing.T) {
		resp, body := do(t, s, nil, viewURL(s, from, to, "$select", "subject,colour"))
		e := decodeError(t, body)
		if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "RequestBroker--ParseUri" || !strings.Contains(e.Error.Message, "'colour'") {
			t.Errorf("got %d %+v", resp.StatusCode, e)
		}
	})
}

func TestFullEventShape(t *testing.T) {
	s := startServer(t, Options{})
	want, ok := s.Event(s.Events()[0].ID)
	if !ok {
		t.Fatal("no events")
	}
	// Every field a client reads, with the value stored.
	_, evs, _ := fetchAll(t, s, viewURL(s, want.Start.Add(-time.Minute), want.Start.Add(time.Minute), "$top", "1000"))
	for _, got := range evs {
		if got.ID != want.ID {
			continue
		}
		var join string
		if got.OnlineMeeting != nil {
			join = got.OnlineMeeting.JoinURL
		}
		var master string
		if got.SeriesMasterID != nil {
			master = *got.SeriesMasterID
		}
		fields := []struct{ name, got, want string }{
			{"subject", got.Subject, want.Subject},
			{"location", got.Location.DisplayName, want.Location},
			{"joinUrl", join, want.JoinURL},
			{"response", got.ResponseStatus.Response, want.Response},
			{"showAs", got.ShowAs, want.ShowAs},
			{"type", got.Type, want.Type},
			{"seriesMasterId", master, want.SeriesMasterID},
			{"provider", got.Provider, want.Provider},
			{"organizer", got.Organizer.EmailAddress.Name + " <" + got.Organizer.EmailAddress.Address + ">", want.OrganizerName + " <" + want.OrganizerAddress + ">"},
			{"bodyPreview", got.BodyPreview, want.BodyPreview},
			{"isOnlineMeeting", fmt.Sprint(got.IsOnlineMeeting), fmt.Sprint(want.IsOnlineMeeting)},
			{"start", got.Start.DateTime + " " + got.Start.TimeZone, want.Start.UTC().Format(graphDateTime) + " UTC"},
		}
		for _, f := range fields {
			if f.got != f.want {
				t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
			}
		}
		if !strings.HasPrefix(got.WebLink, "https://outlook.office365.com/owa/?itemid=") {
			t.Errorf("webLink = %q", got.WebLink)
		}
		return
	}
	t.Fatalf("event %s not in its own window", want.ID)
}

func TestTimeZones(t *testing.T) {
	pst := mustZone("Pacific Standard Time")
	nz := mustZone("New Zealand Standard Time")
	events := []Event{
		// 08:00 in Los Angeles on both sides of the US DST change of 1 November 2026.
		{ID: "before-dst", Subject: "sync", TimeZone: "Pacific Standard Time", Start: time.Date(2026, 10, 29, 8, 0, 0, 0, pst), End: time.Date(2026, 10, 29, 9, 0, 0, 0, pst)},
		{ID: "after-dst", Subject: "sync", TimeZone: "Pacific Standard Time", Start: time.Date(2026, 11, 5, 8, 0, 0, 0, pst), End: time.Date(2026, 11, 5, 9, 0, 0, 0, pst)},
		{ID: "all-day", Subject: "Waitangi Day", TimeZone: "New Zealand Standard Time", AllDay: true, Start: time.Date(2026, 11, 2, 0, 0, 0, 0, nz), End: time.Date(2026, 11, 4, 0, 0, 0, 0, nz)},
	}
	s := startServer(t, Options{Events: events})
	tests := []struct {
		prefer   string // "" sends none
		wantZone string
		before   string
		after    string
		applied  bool
	}{
		{"", "UTC", "2026-10-29T15:00:00.0000000", "2026-11-05T16:00:00.0000000", false},
		{`outlook.timezone="UTC"`, "UTC", "2026-10-29T15:00:00.0000000", "2026-11-05T16:00:00.0000000", true},
		{`outlook.timezone="Pacific Standard Time"`, "Pacific Standard Time", "2026-10-29T08:00:00.0000000", "2026-11-05T08:00:00.0000000", true},
		{`outlook.timezone="W. Europe Standard Time"`, "W. Europe Standard Time", "2026-10-29T16:00:00.0000000", "2026-11-05T17:00:00.0000000", true},
		{`outlook.timezone="India Standard Time"`, "India Standard Time", "2026-10-29T20:30:00.0000000", "2026-11-05T21:30:00.0000000", true},
		{`outlook.timezone="New Zealand Standard Time"`, "New Zealand Standard Time", "2026-10-30T04:00:00.0000000", "2026-11-06T05:00:00.0000000", true},
		{`outlook.timezone="America/Los_Angeles"`, "America/Los_Angeles", "2026-10-29T08:00:00.0000000", "2026-11-05T08:00:00.0000000", true},
		{`outlook.timezone="Atlantis Standard Time"`, "UTC", "2026-10-29T15:00:00.0000000", "2026-11-05T16:00:00.0000000", false},
	}
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.prefer, func(t *testing.T) {
			var hdr []string
			if tc.prefer != "" {
				hdr = []string{"Prefer", tc.prefer}
			}
			resp, body := do(t, s, nil, viewURL(s, from, to, "$orderby", "start/dateTime"), hdr...)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Preference-Applied") != ""; got != tc.applied {
				t.Errorf("Preference-Applied present = %v, want %v", got, tc.applied)
			}
			_, evs := decodePage(t, body)
			byID := map[string]wireEvent{}
			for _, e := range evs {
				byID[e.ID] = e
				if e.Start.TimeZone != tc.wantZone || e.End.TimeZone != tc.wantZone {
					t.Errorf("%s: zones %q/%q, want %q", e.ID, e.Start.TimeZone, e.End.TimeZone, tc.wantZone)
				}
			}
			if got := byID["before-dst"].Start.DateTime; got != tc.before {
				t.Errorf("before DST: %s, want %s", got, tc.before)
			}
			if got := byID["after-dst"].Start.DateTime; got != tc.after {
				t.Errorf("after DST: %s, want %s", got, tc.after)
			}
			ad := byID["all-day"]
			if !ad.IsAllDay || ad.Start.DateTime != "2026-11-02T00:00:00.0000000" || ad.End.DateTime != "2026-11-04T00:00:00.0000000" {
				t.Errorf("all-day event moved: %+v %+v", ad.Start, ad.End)
			}
		})
	}
}

func TestZonesResolve(t *testing.T) {
	for win, iana := range WindowsZones {
		loc, err := LoadZone(win)
		if err != nil {
			t.Errorf("%s: %v", win, err)
			continue
		}
		if want, _ := time.LoadLocation(iana); loc.String() != want.String() && win != "UTC" {
			t.Errorf("%s resolved to %s, want %s", win, loc, iana)
		}
	}
	for _, bad := range []string{"", "Local", "Atlantis Standard Time", "Mars/Olympus_Mons"} {
		if _, err := LoadZone(bad); err == nil {
			t.Errorf("LoadZone(%q) succeeded", bad)
		}
	}
	// Windows names match in any case (clients send them in Prefer headers), but the cache
	// holds each zone once, under its own spelling.
	cached := func() (n int) {
		zoneCache.Range(func(any, any) bool { n++; return true })
		return n
	}
	before := cached()
	for _, name := range []string{"pacific standard time", "PACIFIC STANDARD TIME", " Pacific Standard Time ", "pACIFIC sTANDARD tIME"} {
		if loc, err := LoadZone(name); err != nil || loc.String() != "America/Los_Angeles" {
			t.Errorf("LoadZone(%q) = %v, %v", name, loc, err)
		}
	}
	if after := cached(); after != before {
		t.Errorf("the zone cache grew from %d to %d entries for spellings of one cached zone", before, after)
	}
}

func TestPageSize(t *testing.T) {
	tests := []struct {
		top         int
		maxPageSize string // "" sends none
		want        int
	}{
		{0, "", defaultPageSize},
		{-5, "", defaultPageSize}, // only a forged $skiptoken can carry it; never a panic
		{25, "", 25},
		{25, "10", 10},
		{10, "25", 10},
		{0, "5000", maxPageSize},
		{0, "-3", defaultPageSize},
		{0, "x", defaultPageSize},
	}
	for _, tt := range tests {
		prefs := map[string]string{}
		if tt.maxPageSize != "" {
			prefs["odata.maxpagesize"] = tt.maxPageSize
		}
		var applied []string
		if got := pageSize(tt.top, prefs, &applied); got != tt.want {
			t.Errorf("pageSize(%d, %q) = %d, want %d", tt.top, tt.maxPageSize, got, tt.want)
		}
	}
}

func TestBadRequests(t *testing.T) {
	s := startServer(t, Options{})
	from, to := refNow, refNow.Add(24*time.Hour)
	tests := []struct {
		name, url  string
		method     string
		wantStatus int
		wantCode   string
	}{
		{"no window", s.URL() + "/me/calendarView", "", 400, "ErrorInvalidParameter"},
		{"bad start", s.URL() + "/me/calendarView?startDateTime=tomorrow&endDateTime=2026-11-28T00:00:00Z", "", 400, "ErrorInvalidParameter"},
		{"end before start", viewURL(s, to, from), "", 400, "ErrorInvalidParameter"},
		{"top zero", viewURL(s, from, to, "$top", "0"), "", 400, "BadRequest"},
		{"top too big", viewURL(s, from, to, "$top", "1001"), "", 400, "BadRequest"},
		{"order by subject", viewURL(s, from, to, "$orderby", "subject"), "", 400, "BadRequest"},
		{"order direction", viewURL(s, from, to, "$orderby", "start/dateTime up"), "", 400, "BadRequest"},
		{"filter not simulated", viewURL(s, from, to, "$filter", "isCancelled eq false"), "", 400, "BadRequest"},
		{"forged skiptoken", s.URL() + "/me/calendarView?$skiptoken=bm90LWEtdG9rZW4", "", 400, "BadRequest"},
		{"unknown path", s.URL() + "/me/events", "", 404, "ResourceNotFound"},
		{"POST", viewURL(s, from, to), http.MethodPost, 405, "BadRequest"},
		{"delta without window", s.URL() + "/me/calendarView/delta", "", 400, "ErrorInvalidParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, tc.url, nil)
			req.Header.Set("Authorization", "Bearer "+s.Token())
			req.Header.Set("client-request-id", "c0ffee")
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e wireError
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("error body: %v", err)
			}
			if resp.StatusCode != tc.wantStatus || e.Error.Code != tc.wantCode || e.Error.Message == "" {
				t.Errorf("got %d %q %q, want %d %q", resp.StatusCode, e.Error.Code, e.Error.Message, tc.wantStatus, tc.wantCode)
			}
			if e.Error.InnerError.ClientRequestID != "c0ffee" || e.Error.InnerError.RequestID == "" || e.Error.InnerError.Date != "2026-11-27T09:00:00" {
				t.Errorf("innerError = %+v", e.Error.InnerError)
			}
		})
	}
}

func TestWindowOverlap(t *testing.T) {
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	s := startServer(t, Options{Events: []Event{
		{ID: "ends-at-start", Start: at(8), End: at(9)},
		{ID: "spans-start", Start: at(8), End: at(10)},
		{ID: "inside", Start: at(10), End: at(11)},
		{ID: "zero-length-at-start", Start: at(9), End: at(9)},
		{ID: "spans-all", Start: at(0), End: at(23)},
		{ID: "starts-at-end", Start: at(12), End: at(13)},
	}})
	_, evs, _ := fetchAll(t, s, viewURL(s, at(9), at(12), "$orderby", "start/dateTime"))
	var got []string
	for _, e := range evs {
		got = append(got, e.ID)
	}
	want := []string{"spans-all", "spans-start", "zero-length-at-start", "inside"}
	if !slices.Equal(got, want) {
		t.Errorf("in view [9:00, 12:00): %v, want %v", got, want)
	}
	// Windows without offset are UTC, as in Graph.
	_, evs, _ = fetchAll(t, s, s.URL()+"/me/calendarView?startDateTime=2026-11-27T10:30:00.0000000&endDateTime=2026-11-27T10:45:00")
	if len(evs) != 2 {
		t.Errorf("%d events in a window without offsets, want 2 (inside, spans-all)", len(evs))
	}
}

// FuzzQuery: whatever a client sends in the query and the Prefer header, the server answers
// with a Graph status and body, never with the 500 its panic guard produces.
func FuzzQuery(f *testing.F) {
	s, err := New(Options{Now: newClock(refNow).Now, Events: Spread(30, refNow, refNow.Add(24*time.Hour))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Add("me/calendarView", "startDateTime=2026-11-27T00:00:00Z&endDateTime=2026-11-28T00:00:00Z&$top=7&$select=subject,start&$orderby=start/dateTime%20desc", `outlook.timezone="India Standard Time", odata.maxpagesize=3`)
	f.Add("/me/calendarView/delta", "startDateTime=2026-11-27&endDateTime=2026-11-28T00:00", "odata.maxpagesize=0")
	f.Add("/me/calendarView/delta", "$deltatoken=eyJpIjoiIiwiayI6ImRlbHRhIn0", `outlook.timezone="\"`)
	f.Add("/me/calendarView", "$skiptoken=eyJrIjoidmlldyIsImEiOnsidCI6MX19", "")
	f.Fuzz(func(t *testing.T, path, rawQuery, prefer string) {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/v1.0", nil)
		req.URL.Path = "/v1.0/" + strings.TrimPrefix(path, "/")
		req.URL.RawQuery = rawQuery
		req.Header.Set("Authorization", "Bearer "+s.Token())
		req.Header.Set("Prefer", prefer)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusMovedPermanently {
			return // net/http's ServeMux cleaning a path like "/v1.0/./x": not the fake's answer
		}
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s?%s (Prefer %q): %d %.300s", path, rawQuery, prefer, rec.Code, rec.Body.Bytes())
		}
	})
}

// BenchmarkCalendarView measures the server's side of a 1,000-event sync in pages of 100, as
// the Graph client's benchmark sees it.
func BenchmarkCalendarView(b *testing.B) {
	from := refNow.Truncate(24 * time.Hour)
	to := from.Add(7 * 24 * time.Hour)
	s, err := New(Options{Now: newClock(refNow).Now, Events: Spread(1000, from, to)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	first := viewURL(s, from, to, "$orderby", "start/dateTime", "$select", "subject,start,end,isAllDay,location,onlineMeeting,webLink,organizer,responseStatus,showAs,isCancelled,isOnlineMeeting,bodyPreview")
	client := s.Client()
	var bytes int64
	for b.Loop() {
		bytes = 0
		for u := first; u != ""; {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+s.Token())
			req.Header.Set("Prefer", "odata.maxpagesize=100")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var p struct {
				Next string `json:"@odata.nextLink"`
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bytes += int64(len(body))
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
			u = p.Next
		}
	}
	b.ReportMetric(float64(bytes), "bytes/sync")
}
