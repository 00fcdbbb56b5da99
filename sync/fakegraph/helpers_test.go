package fakegraph

import (
	"encoding/json"
	"io"
	"net/http"
	gosync "sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is an injectable Options.Now.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// refNow is a Friday in November 2026, after the European and US DST changes.
var refNow = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = newClock(refNow).Now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

type dateTimeTZ struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type wireEvent struct {
	ID              string     `json:"id"`
	Subject         string     `json:"subject"`
	Start           dateTimeTZ `json:"start"`
	End             dateTimeTZ `json:"end"`
	IsAllDay        bool       `json:"isAllDay"`
	IsCancelled     bool       `json:"isCancelled"`
	ShowAs          string     `json:"showAs"`
	Type            string     `json:"type"`
	SeriesMasterID  *string    `json:"seriesMasterId"`
	BodyPreview     string     `json:"bodyPreview"`
	WebLink         string     `json:"webLink"`
	IsOnlineMeeting bool       `json:"isOnlineMeeting"`
	Provider        string     `json:"onlineMeetingProvider"`
	Location        struct {
		DisplayName string `json:"displayName"`
	} `json:"location"`
	OnlineMeeting *struct {
		JoinURL string `json:"joinUrl"`
	} `json:"onlineMeeting"`
	ResponseStatus struct {
		Response string `json:"response"`
	} `json:"responseStatus"`
	Organizer struct {
		EmailAddress struct{ Name, Address string } `json:"emailAddress"`
	} `json:"organizer"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

type wirePage struct {
	Context   string            `json:"@odata.context"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
	Value     []json.RawMessage `json:"value"`
}

type wireError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// do sends a GET with the server's token and the given headers (name, value pairs).
func do(t *testing.T, s *Server, client *http.Client, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	if client == nil {
		client = s.Client()
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, body
}

func decodePage(t *testing.T, body []byte) (wirePage, []wireEvent) {
	t.Helper()
	var p wirePage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("page is not JSON: %v\n%.300s", err, body)
	}
	evs := make([]wireEvent, len(p.Value))
	for i, raw := range p.Value {
		if err := json.Unmarshal(raw, &evs[i]); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	return p, evs
}

func decodeError(t *testing.T, body []byte) wireError {
	t.Helper()
	var e wireError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v\n%.300s", err, body)
	}
	return e
}

// fetchAll follows nextLinks from url, sending the headers on every page.
func fetchAll(t *testing.T, s *Server, url string, headers ...string) (pages int, events []wireEvent, last wirePage) {
	t.Helper()
	for url != "" {
		resp, body := do(t, s, nil, url, headers...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		p, evs := decodePage(t, body)
		pages++
		events = append(events, evs...)
		last = p
		url = p.NextLink
		if pages > 10000 {
			t.Fatal("more than 10000 pages: the links loop")
		}
	}
	return pages, events, last
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
