package fakegraph

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEveryFaultKind scripts each fault for one request and looks at it through a plain
// net/http client, then checks the next request is answered normally.
func TestEveryFaultKind(t *testing.T) {
	clk := newClock(refNow.Add(500 * time.Millisecond))
	s := startServer(t, Options{Now: clk.Now})
	from, to := refNow, refNow.Add(7*24*time.Hour)
	url := viewURL(s, from, to)
	deltaLink := s.URL() + "/me/calendarView/delta?startDateTime=2026-11-27T00:00:00Z&endDateTime=2026-11-28T00:00:00Z"
	client := &http.Client{Transport: s.transport, Timeout: 300 * time.Millisecond}

	tests := []struct {
		fault      Fault
		url        string
		wantErr    bool // the client gets no response
		wantStatus int
		wantCode   string
		retryAfter string // "" = no header
		check      func(t *testing.T, resp *http.Response, body []byte)
	}{
		{fault: Fault{Kind: Throttled, RetryAfter: 2 * time.Second}, wantStatus: 429, wantCode: "TooManyRequests", retryAfter: "2"},
		{fault: Fault{Kind: Throttled, RetryAfter: 1500 * time.Millisecond}, wantStatus: 429, wantCode: "TooManyRequests", retryAfter: "2"},
		// now is 09:00:00.5; +2 s is 09:00:02.5, rounded up to the next whole second.
		{fault: Fault{Kind: ThrottledDate, RetryAfter: 2 * time.Second}, wantStatus: 429, wantCode: "TooManyRequests", retryAfter: "Fri, 27 Nov 2026 09:00:03 GMT"},
		{fault: Fault{Kind: InternalError}, wantStatus: 500, wantCode: "generalException"},
		{fault: Fault{Kind: BadGateway}, wantStatus: 502, wantCode: "badGateway"},
		{fault: Fault{Kind: Unavailable}, wantStatus: 503, wantCode: "serviceNotAvailable", retryAfter: "1"},
		{fault: Fault{Kind: Unavailable, RetryAfter: 30 * time.Second}, wantStatus: 503, wantCode: "serviceNotAvailable", retryAfter: "30"},
		{fault: Fault{Kind: UnavailableBare}, wantStatus: 503, wantCode: "serviceNotAvailable"},
		{fault: Fault{Kind: GatewayTimeout}, wantStatus: 504, wantCode: "gatewayTimeout"},
		{fault: Fault{Kind: ExpiredToken}, url: deltaLink, wantStatus: 410, wantCode: "syncStateNotFound"},
		{fault: Fault{Kind: Slow}, wantErr: true, check: func(t *testing.T, _ *http.Response, _ []byte) {}},
		{fault: Fault{Kind: Slow, Delay: 50 * time.Millisecond}, wantStatus: 200},
		{fault: Fault{Kind: Dropped}, wantErr: true},
		{fault: Fault{Kind: Reset}, wantErr: true},
		{fault: Fault{Kind: Truncated}, wantStatus: 200, check: func(t *testing.T, resp *http.Response, body []byte) {
			if json.Valid(body) || !strings.HasPrefix(string(body), `{"@odata.context":`) {
				t.Errorf("body is not a truncated page: %.80s", body)
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("Content-Length %d, body %d bytes: the HTTP layer must be intact", resp.ContentLength, len(body))
			}
		}},
		{fault: Fault{Kind: NotJSON}, wantStatus: 200, check: func(t *testing.T, resp *http.Response, body []byte) {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Valid(body) {
				t.Errorf("want a JSON content type with a non-JSON body, got %q %.40s", resp.Header.Get("Content-Type"), body)
			}
		}},
		{fault: Fault{Kind: WrongType}, wantStatus: 200, check: func(t *testing.T, resp *http.Response, body []byte) {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !json.Valid(body) {
				t.Errorf("want valid JSON labelled text/html, got %q", resp.Header.Get("Content-Type"))
			}
		}},
	}
	covered := map[FaultKind]bool{}
	for _, tc := range tests {
		covered[tc.fault.Kind] = true
		t.Run(tc.fault.String(), func(t *testing.T) {
			// A fresh connection per case: the Reset case must not be replayed by net/http.
			s.transport.CloseIdleConnections()
			s.ResetRequests()
			if err := s.Fail(tc.fault); err != nil {
				t.Fatal(err)
			}
			u := tc.url
			if u == "" {
				u = url
			}
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+s.Token())
			resp, err := client.Do(req)
			if tc.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %d, want a transport error", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				if got := resp.Header.Get("Retry-After"); got != tc.retryAfter {
					t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
				}
				if tc.wantCode != "" {
					e := decodeError(t, body)
					if e.Error.Code != tc.wantCode || e.Error.Message == "" || e.Error.InnerError.RequestID == "" {
						t.Errorf("error body %+v, want code %s", e, tc.wantCode)
					}
				}
				if tc.check != nil {
					tc.check(t, resp, body)
				}
			}
			recs := s.Requests()
			if len(recs) != 1 || recs[0].Fault != tc.fault.Kind {
				t.Fatalf("records %+v, want one with fault %s", recs, tc.fault.Kind)
			}
			if tc.wantErr && recs[0].Status != 0 {
				t.Errorf("recorded status %d for a request that got no answer", recs[0].Status)
			}
			if !tc.wantErr && recs[0].Status != tc.wantStatus {
				t.Errorf("recorded status %d, want %d", recs[0].Status, tc.wantStatus)
			}
			// The fault is used up: the next request is answered normally.
			resp, body := do(t, s, nil, url)
			if resp.StatusCode != http.StatusOK || !json.Valid(body) {
				t.Errorf("after the fault: %d %.80s", resp.StatusCode, body)
			}
		})
	}
	for _, k := range Kinds() {
		if !covered[k] {
			t.Errorf("fault kind %s is not covered", k)
		}
	}
}

// TestThrottledDateOnWholeSecond: a Retry-After date that falls on a whole second is sent as
// it is, also when the clock's times carry a monotonic reading (as time.Now's do).
func TestThrottledDateOnWholeSecond(t *testing.T) {
	wall := time.Now()
	monotonic := wall.Add(wall.Truncate(time.Second).Add(time.Second).Sub(wall)) // whole second, monotonic kept
	tests := []struct {
		name string
		now  time.Time
	}{
		{"plain", refNow},
		{"with a monotonic reading", monotonic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, Options{Now: func() time.Time { return tt.now }, Events: []Event{}})
			if err := s.Fail(Fault{Kind: ThrottledDate, RetryAfter: 2 * time.Second}); err != nil {
				t.Fatal(err)
			}
			resp, _ := do(t, s, nil, viewURL(s, refNow, refNow.Add(time.Hour)))
			want := tt.now.Add(2 * time.Second).UTC().Format(http.TimeFormat)
			if got := resp.Header.Get("Retry-After"); resp.StatusCode != 429 || got != want {
				t.Errorf("%d, Retry-After %q, want 429 and %q", resp.StatusCode, got, want)
			}
		})
	}
}

func TestResetIsReplayedByNetHTTPOnReusedConnections(t *testing.T) {
	s := startServer(t, Options{Events: []Event{}})
	url := viewURL(s, refNow, refNow.Add(time.Hour))
	do(t, s, nil, url) // leaves a keep-alive connection for the next request
	s.ResetRequests()
	if err := s.Fail(Fault{Kind: Reset}); err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, s, nil, url)
	recs := s.Requests()
	// Documented behaviour the Graph client must expect: one call, two requests.
	if resp.StatusCode != http.StatusOK || len(recs) != 2 || recs[0].Fault != Reset || recs[1].Fault != None {
		t.Errorf("got %d and records %+v; want net/http to replay the reset GET once", resp.StatusCode, recs)
	}
}

func TestScriptedQueue(t *testing.T) {
	clk := newClock(refNow)
	s := startServer(t, Options{Now: clk.Now, Events: []Event{}})
	url := viewURL(s, refNow, refNow.Add(time.Hour))
	if err := s.Fail(Fault{}, Fault{Kind: Throttled, RetryAfter: 2 * time.Second}, Fault{Kind: InternalError}); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for range 4 {
		resp, _ := do(t, s, nil, url)
		statuses = append(statuses, resp.StatusCode)
		clk.Advance(2 * time.Second)
	}
	if want := []int{200, 429, 500, 200}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if s.Pending() != 0 {
		t.Errorf("%d faults left", s.Pending())
	}
	recs := s.Requests()
	if gap := recs[2].Time.Sub(recs[1].Time); gap != 2*time.Second {
		t.Errorf("recorded times are %s apart, want the injected clock's 2s", gap)
	}
	// A rejected token uses no fault.
	s.Fail(Fault{Kind: BadGateway})
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || s.Pending() != 1 {
		t.Errorf("unauthenticated request: %d, %d faults left; want 401 and 1", resp.StatusCode, s.Pending())
	}
}

func TestRandomFaults(t *testing.T) {
	run := func(seed int64) []FaultKind {
		s := startServer(t, Options{Events: []Event{}})
		if err := s.SetRandomFaults(0.3, seed, Throttled, InternalError, Unavailable); err != nil {
			t.Fatal(err)
		}
		url := viewURL(s, refNow, refNow.Add(time.Hour))
		var kinds []FaultKind
		for range 200 {
			do(t, s, nil, url)
		}
		for _, r := range s.Requests() {
			kinds = append(kinds, r.Fault)
		}
		return kinds
	}
	a, b, c := run(7), run(7), run(8)
	count := map[FaultKind]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different fault at request %d: %s vs %s", i, a[i], b[i])
		}
		count[a[i]]++
	}
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("seeds 7 and 8 gave the same faults")
	}
	failed := 200 - count[None]
	if failed < 35 || failed > 85 {
		t.Errorf("%d of 200 requests failed at rate 0.3", failed)
	}
	for k := range count {
		if k != None && k != Throttled && k != InternalError && k != Unavailable {
			t.Errorf("fault %s was not asked for", k)
		}
	}

	s := startServer(t, Options{Events: []Event{}})
	for _, bad := range []struct {
		rate  float64
		kinds []FaultKind
	}{{-0.1, nil}, {1.5, nil}, {0.5, []FaultKind{"gremlins"}}, {0.5, []FaultKind{None}}} {
		if err := s.SetRandomFaults(bad.rate, 1, bad.kinds...); err == nil {
			t.Errorf("SetRandomFaults(%v, %v) accepted", bad.rate, bad.kinds)
		}
	}
}

func TestOutage(t *testing.T) {
	s := startServer(t, Options{Events: []Event{}})
	url := viewURL(s, refNow, refNow.Add(time.Hour))
	s.Fail(Fault{Kind: InternalError})
	if err := s.SetOutage(Fault{Kind: Unavailable}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if resp, _ := do(t, s, nil, url); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("during the outage: %d", resp.StatusCode)
		}
	}
	if s.Pending() != 1 {
		t.Error("the outage used up scripted faults")
	}
	s.SetOutage(Fault{})
	if resp, _ := do(t, s, nil, url); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("after the outage the scripted fault should come: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, nil, url); resp.StatusCode != http.StatusOK {
		t.Errorf("after everything: %d", resp.StatusCode)
	}
	if err := s.SetOutage(Fault{Kind: "meteor"}); err == nil {
		t.Error("unknown outage kind accepted")
	}
	if err := s.Fail(Fault{Kind: Throttled, RetryAfter: -time.Second}); err == nil {
		t.Error("negative Retry-After accepted")
	}
}

// TestCloseEndsHangingRequests: a request hanging in the Slow fault must not keep Close (or a
// goroutine) waiting; goleak in TestMain checks nothing is left.
func TestCloseEndsHangingRequests(t *testing.T) {
	s, err := NewTLS(Options{Events: []Event{}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetOutage(Fault{Kind: Slow})
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, viewURL(s, refNow, refNow.Add(time.Hour)), nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		resp, err := s.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for len(s.Requests()) == 0 { // wait until the request is inside the server
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %s with a hanging request", d)
	}
	err = <-errc
	var netErr net.Error
	if err == nil || (!errors.As(err, &netErr) && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF")) {
		t.Errorf("the hanging client got %v, want a connection error", err)
	}
	s.Close() // twice is fine
}
