package fakegraph

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	s := startServer(t, Options{Token: "good-token", Events: []Event{}})
	url := viewURL(s, refNow, refNow.Add(time.Hour))
	tests := []struct {
		name, auth  string
		wantStatus  int
		wantMessage string
	}{
		{"missing", "", 401, "Access token is empty."},
		{"empty bearer", "Bearer ", 401, "Access token is empty."},
		{"basic", "Basic Z29vZC10b2tlbg==", 401, "does not carry a Bearer token"},
		{"wrong", "Bearer bad-token", 401, "Invalid audience"},
		{"right", "Bearer good-token", 200, ""},
		{"scheme case", "bearer good-token", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetRequests()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			rec := s.Requests()[0]
			if rec.Authorized != (tc.wantStatus == 200) {
				t.Errorf("recorded Authorized = %v", rec.Authorized)
			}
			if strings.Contains(fmt.Sprint(rec), "good-token") || strings.Contains(string(body), "good-token") {
				t.Error("the token leaked into the record or the body")
			}
			if tc.wantStatus != 401 {
				return
			}
			if e := decodeError(t, body); e.Error.Code != "InvalidAuthenticationToken" || !strings.Contains(e.Error.Message, tc.wantMessage) {
				t.Errorf("error %+v, want InvalidAuthenticationToken with %q", e.Error, tc.wantMessage)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if got := s.Requests()[0].Header.Get("Authorization"); got != "bearer [redacted]" {
		t.Errorf("recorded Authorization = %q", got)
	}
}

func TestAuthorizeHook(t *testing.T) {
	expired := errors.New("Lifetime validation failed, the token is expired.")
	s := startServer(t, Options{Events: []Event{}, Authorize: func(token string) error {
		switch token {
		case "issued":
			return nil
		case "old":
			return expired
		}
		return errors.New("Access token validation failure.")
	}})
	url := viewURL(s, refNow, refNow.Add(time.Hour))
	for _, tc := range []struct {
		token string
		want  int
		msg   string
	}{{"issued", 200, ""}, {"old", 401, "token is expired"}, {s.Token(), 401, "validation failure"}} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.msg) {
			t.Errorf("token %q: %d %s, want %d with %q", tc.token, resp.StatusCode, body, tc.want, tc.msg)
		}
	}
}

func TestTLS(t *testing.T) {
	s, err := NewTLS(Options{Events: []Event{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/v1.0") {
		t.Fatalf("URL = %s", s.URL())
	}
	url := viewURL(s, refNow, refNow.Add(time.Hour))
	if resp, body := do(t, s, nil, url); resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("with Client(): %d %s", resp.StatusCode, body)
	}
	// The pool and the PEM work for clients built elsewhere, for 127.0.0.1 and localhost.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CertPEM()) {
		t.Fatal("CertPEM is not a PEM certificate")
	}
	for _, p := range []*x509.CertPool{s.CertPool(), pool} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p}}
		c := &http.Client{Transport: tr}
		for _, u := range []string{url, strings.Replace(url, "127.0.0.1", "localhost", 1)} {
			if resp, _ := do(t, s, c, u); resp.StatusCode != 200 {
				t.Errorf("%s: %d", u, resp.StatusCode)
			}
		}
		tr.CloseIdleConnections()
	}
	// A client that does not trust the certificate is refused.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	_, err = (&http.Client{Transport: tr}).Do(req)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("untrusting client: %v, want x509.UnknownAuthorityError", err)
	}
	plain := startServer(t, Options{Events: []Event{}})
	if plain.CertPool() != nil || plain.CertPEM() != nil || !strings.HasPrefix(plain.URL(), "http://127.0.0.1:") {
		t.Error("a plain server has TLS material or a wrong URL")
	}
}

func TestRequestsRecorded(t *testing.T) {
	clk := newClock(refNow)
	s := startServer(t, Options{Now: clk.Now})
	url := viewURL(s, refNow, refNow.Add(7*24*time.Hour), "$top", "5")
	resp, body := do(t, s, nil, url, "Prefer", `outlook.timezone="India Standard Time"`, "Prefer", "odata.maxpagesize=5; strict")
	clk.Advance(time.Minute)
	p, _ := decodePage(t, body)
	do(t, s, nil, p.NextLink, "Prefer", "odata.maxpagesize=5")
	recs := s.Requests()
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.Method != "GET" || r.Path != "/v1.0/me/calendarView" || r.Query.Get("$top") != "5" || !r.Time.Equal(refNow) ||
		r.Status != 200 || r.Bytes != int64(len(body)) || r.Fault != None || r.ResponseHeader.Get("request-id") == "" {
		t.Errorf("record %+v (body %d bytes)", r, len(body))
	}
	if resp.Header.Get("Preference-Applied") != r.ResponseHeader.Get("Preference-Applied") {
		t.Error("recorded response headers differ from the sent ones")
	}
	want := map[string]string{"outlook.timezone": "India Standard Time", "odata.maxpagesize": "5"}
	if got := r.Preferences(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Preferences() = %v, want %v", got, want)
	}
	if !recs[1].Time.Equal(refNow.Add(time.Minute)) {
		t.Errorf("second request at %s", recs[1].Time)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept records")
	}
}

func TestParsePrefer(t *testing.T) {
	tests := []struct {
		in   []string
		want map[string]string
	}{
		{nil, map[string]string{}},
		{[]string{`outlook.timezone="Pacific Standard Time"`}, map[string]string{"outlook.timezone": "Pacific Standard Time"}},
		{[]string{`Outlook.TimeZone="UTC", odata.maxpagesize=50`}, map[string]string{"outlook.timezone": "UTC", "odata.maxpagesize": "50"}},
		{[]string{`odata.maxpagesize = 20 ; strict`, `respond-async`}, map[string]string{"odata.maxpagesize": "20", "respond-async": ""}},
		{[]string{`x="a, \"b\"; c"`}, map[string]string{"x": `a, "b"; c`}},
		{[]string{` , ,`}, map[string]string{}},
	}
	for _, tc := range tests {
		if got := parsePrefer(tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("parsePrefer(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestLinkBaseAndExtraHandlers(t *testing.T) {
	s := startServer(t, Options{Events: Spread(3, refNow, refNow.Add(time.Hour))})
	s.SetLinkBase("https://graph.example.net/v1.0/")
	_, body := do(t, s, nil, viewURL(s, refNow, refNow.Add(time.Hour), "$top", "1"))
	p, _ := decodePage(t, body)
	if !strings.HasPrefix(p.NextLink, "https://graph.example.net/v1.0/me/calendarView?$skiptoken=") {
		t.Errorf("nextLink = %s", p.NextLink)
	}
	s.SetLinkBase("")
	_, body = do(t, s, nil, viewURL(s, refNow, refNow.Add(time.Hour), "$top", "1"))
	if p, _ := decodePage(t, body); !strings.HasPrefix(p.NextLink, s.URL()+"/me/calendarView?") {
		t.Errorf("nextLink after reset = %s", p.NextLink)
	}

	// Extra endpoints (the identity side) are recorded but get neither token checks nor faults.
	s.Handle("/common/discovery/instance", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	s.SetOutage(Fault{Kind: Unavailable})
	defer s.SetOutage(Fault{})
	s.ResetRequests()
	resp, err := s.Client().Get(strings.TrimSuffix(s.URL(), "/v1.0") + "/common/discovery/instance")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := s.Requests(); resp.StatusCode != 200 || len(r) != 1 || r[0].Status != 200 || r[0].Bytes != 11 {
		t.Errorf("extra handler: %d, records %+v", resp.StatusCode, r)
	}
}

func TestConcurrentUse(t *testing.T) {
	from := refNow.Truncate(24 * time.Hour)
	to := from.Add(3 * 24 * time.Hour)
	s := startServer(t, Options{Events: Spread(200, from, to)})
	s.SetRandomFaults(0.1, 3, InternalError, Throttled)
	var wg gosync.WaitGroup
	errs := make(chan error, 64)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := viewURL(s, from, to, "$top", "25")
			if w%2 == 1 {
				url = deltaURL(s, from, to)
			}
			for url != "" {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+s.Token())
				req.Header.Set("Prefer", "odata.maxpagesize=25")
				resp, err := s.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				var p wirePage
				err = decodeJSON(resp.Body, &p)
				resp.Body.Close()
				switch {
				case resp.StatusCode != 200:
					continue // a random fault: retry the same page
				case err != nil:
					errs <- err
					return
				}
				url = p.NextLink
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			e, err := s.Add(Event{Subject: fmt.Sprint("concurrent ", i), Start: from.Add(time.Duration(i) * time.Hour), End: from.Add(time.Duration(i)*time.Hour + time.Minute)})
			if err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				s.Update(e.ID, func(e *Event) { e.Subject += " (edited)" })
			} else {
				s.Remove(e.ID)
			}
			_ = s.Requests()
			_ = s.Events()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(s.Events()); n != 225 {
		t.Errorf("%d events after the run, want 225", n)
	}
}
