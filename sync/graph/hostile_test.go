package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/inert"
)

// event builds one event's JSON with encoding/json, so that hostile text reaches the source
// escaped exactly as Graph would escape it.
func event(id, subject string, start, end time.Time, zone string, extra map[string]any) string {
	m := map[string]any{
		"id": id, "subject": subject,
		"start": map[string]string{"dateTime": start.Format("2006-01-02T15:04:05.0000000"), "timeZone": zone},
		"end":   map[string]string{"dateTime": end.Format("2006-01-02T15:04:05.0000000"), "timeZone": zone},
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// serveBoth answers calendarView and calendarView/delta with the same events, the delta
// round ending at once.
func serveBoth(t *testing.T, events ...string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv, _ = serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		body := page(events...)
		if strings.HasSuffix(r.URL.Path, "/delta") {
			body = strings.TrimSuffix(body, "}") + `,"@odata.deltaLink":"` + srv.URL + `/v1.0/me/calendarView/delta?$deltatoken=x"}`
		}
		writeJSON(w, 200, body)
	})
	return srv
}

// unsafeRune reports a rune that acts on a terminal or a renderer.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return r, true
		}
	}
	return 0, false
}

var hostileTexts = []string{
	"\x1b[2JCleared",
	"\x1b]0;pwned\x07Title",
	"\x1b]8;;https://evil.example\x1b\\click me\x1b]8;;\x1b\\",
	"Bell\x07 and BS\b and CR\r over",
	"NUL\x00 DEL\x7f",
	"C1 \u009b31m red",
	"Pay invoice \u202egnp.exe\u202c",
	"\u2066isolated\u2069 \u202aembedded\u202c \u202blr\u202c \u202doverride\u202c",
	"line one\nline two\ttab",
}

var normalTexts = []string{
	"Réunion d'équipe — Überblick", "会議 📅 定例", "Встреча с командой", "اجتماع الفريق",
	"שלום עולם", "साप्ताहिक बैठक", "👩‍👩‍👧 family 🏳️‍🌈 👍🏽", "ﾃｽﾄ 한국어 회의", "Ελληνικά ქართული ไทย",
}

// TestHostileEventTextIsInert serves crafted subjects, locations and organizers through the
// real models parse path (List and Sync against a loopback server): every displayed field
// comes out inert, and normal text in many scripts is untouched.
func TestHostileEventTextIsInert(t *testing.T) {
	var events []string
	texts := append(append([]string{}, hostileTexts...), normalTexts...)
	start := t0.Add(time.Hour)
	for i, s := range texts {
		events = append(events, event(fmt.Sprintf("e%02d", i), s, start, start.Add(time.Hour), "UTC", map[string]any{
			"location":      map[string]any{"displayName": "Room " + s},
			"organizer":     map[string]any{"emailAddress": map[string]any{"name": s + " (organizer)", "address": "x@example.com"}},
			"bodyPreview":   s,
			"webLink":       "https://outlook.office.com/x\x1b[2J",
			"onlineMeeting": map[string]any{"joinUrl": "https://teams.microsoft.com/l/meetup-join/1\u202e"},
		}))
	}
	srv := serveBoth(t, events...)
	src := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.PageSize = 100 })
	listed, err := src.List(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	d, err := src.Sync(context.Background(), from, to, calsync.Delta{})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]calsync.Appointment{"List": listed, "Sync": d.Appointments} {
		if len(got) != len(texts) {
			t.Fatalf("%s: %d appointments, want %d", name, len(got), len(texts))
		}
		for i, a := range got {
			raw := texts[i]
			for field, v := range map[string]string{"subject": a.Subject, "location": a.Location, "organizer": a.Organizer,
				"id": a.ID, "web link": a.WebLink, "join URL": a.JoinURL} {
				if r, bad := unsafeRune(v); bad {
					t.Errorf("%s: %s %q holds %U", name, field, v, r)
				}
			}
			if want := inert.Line(raw); a.Subject != want || a.Location != "Room "+want || a.Organizer != want+" (organizer)" {
				t.Errorf("%s: got subject %q location %q organizer %q, want %q", name, a.Subject, a.Location, a.Organizer, want)
			}
			if i >= len(hostileTexts) && a.Subject != raw {
				t.Errorf("%s: normal text changed: %q -> %q", name, raw, a.Subject)
			}
		}
	}
}

// TestGraphErrorTextIsInert: Graph's own error code, message and request id are untrusted.
func TestGraphErrorTextIsInert(t *testing.T) {
	hostile := strings.Join(hostileTexts, " ")
	body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "Bad\x1b[2J\u202eCode", "message": hostile,
		"innerError": map[string]any{"request-id": "id\u009b\x07"}}})
	for _, status := range []int{400, 503} {
		srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, status, string(body)) })
		_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
		var ge *Error
		if !errors.As(err, &ge) {
			t.Fatalf("err = %v, want an *Error", err)
		}
		for field, v := range map[string]string{"Error()": err.Error(), "Code": ge.Code, "Message": ge.Message, "RequestID": ge.RequestID} {
			if r, bad := unsafeRune(v); bad {
				t.Errorf("HTTP %d: %s %q holds %U", status, field, v, r)
			}
		}
	}
	// A body that is not JSON is quoted in the error: inert too.
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("\u202e<html>\x1b[2J\u009b"))
	})
	_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
	if r, bad := unsafeRune(err.Error()); err == nil || bad {
		t.Errorf("err %q holds %U", err, r)
	}
}

// TestDatesBeyondWhatCanBeStoredAreDropped: an event that ends in year 10000 (or starts in year
// 0) in some zone is dropped at intake and counted, so every kept time can be written as RFC
// 3339 in any viewer's zone.
func TestDatesBeyondWhatCanBeStoredAreDropped(t *testing.T) {
	start := t0.Add(time.Hour)
	events := []string{
		event("good", "Fine", start, start.Add(time.Hour), "UTC", nil),
		// 9999-12-31T23:59:59 in Pacific time is 10000-01-01T07:59:59Z.
		`{"id":"late-west","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"9999-12-31T23:59:59","timeZone":"Pacific Standard Time"}}`,
		// 9999-12-31T23:59:59 in Tokyo is year 9999 in UTC, but year 10000 for a viewer at UTC+14.
		`{"id":"late-east","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"9999-12-31T23:59:59","timeZone":"Tokyo Standard Time"}}`,
		`{"id":"late-allday","isAllDay":true,"start":{"dateTime":"2026-11-27T00:00:00","timeZone":"UTC"},"end":{"dateTime":"9999-12-31T00:00:00","timeZone":"UTC"}}`,
		// 0001-01-01T05:00 in Tokyo is year 0 in UTC, year -1 for a viewer at UTC-12.
		`{"id":"early-east","start":{"dateTime":"0001-01-01T05:00:00","timeZone":"Tokyo Standard Time"},"end":{"dateTime":"2026-11-28T00:00:00","timeZone":"UTC"}}`,
	}
	srv := serveBoth(t, events...)
	d, err := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.PageSize = 10 }).Sync(context.Background(), from, to, calsync.Delta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Appointments) != 1 || d.Appointments[0].ID != "good" {
		t.Fatalf("kept %v, want only good", d.Appointments)
	}
	if len(d.Skipped) != 4 {
		t.Fatalf("skipped %v, want 4", d.Skipped)
	}
	for _, s := range d.Skipped {
		if s.ID == "" || !strings.Contains(s.Reason, "year") {
			t.Errorf("skip %+v names no id or no year", s)
		}
	}
	for _, zone := range []string{"Etc/GMT+12", "Pacific/Kiritimati", "UTC"} {
		loc, _ := time.LoadLocation(zone)
		for _, a := range d.Appointments {
			for _, tm := range []time.Time{a.StartIn(loc), a.EndIn(loc), a.Start.In(loc), a.End.In(loc)} {
				if _, err := tm.MarshalJSON(); err != nil {
					t.Errorf("%s in %s: %v", a.ID, zone, err)
				}
			}
		}
	}
}

// TestBadEventsAreSkipped: one unreadable event no longer fails the page; it is skipped, the
// rest are kept, and the skips say why by id.
func TestBadEventsAreSkipped(t *testing.T) {
	start := t0.Add(time.Hour)
	good := func(id string) string { return event(id, "Good "+id, start, start.Add(time.Hour), "UTC", nil) }
	events := []string{
		good("a"),
		`{"id":"end-before-start","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T08:00:00","timeZone":"UTC"}}`,
		`{"id":"local-zone","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"Local"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"Local"}}`,
		`{"id":"garbage-zone","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"\u001b[2J Mars"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`,
		`{"id":"no-start","end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`,
		`{"subject":"Secret plans","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`,
		`null`,
		`{"id":"subject-number","subject":5,"start":{"dateTime":"2026-11-27T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`,
		`{"id":"start-string","start":"tomorrow","end":{"dateTime":"2026-11-27T10:00:00","timeZone":"UTC"}}`,
		`7`,
		good("b"),
	}
	srv := serveBoth(t, events...)
	src := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.PageSize = 20 })
	listed, err := src.List(context.Background(), from, to)
	if err != nil || ids(listed) != "a,b" {
		t.Fatalf("List: %v, %v; want a,b", ids(listed), err)
	}
	d, err := src.Sync(context.Background(), from, to, calsync.Delta{})
	if err != nil || ids(d.Appointments) != "a,b" {
		t.Fatalf("Sync: %v, %v; want a,b", ids(d.Appointments), err)
	}
	if len(d.Skipped) != len(events)-2 {
		t.Fatalf("skipped %d: %+v, want %d", len(d.Skipped), d.Skipped, len(events)-2)
	}
	for _, s := range d.Skipped {
		if strings.Contains(s.Reason, "Secret") || strings.Contains(s.Reason, "Good") {
			t.Errorf("a skip quotes the subject: %+v", s)
		}
		if r, bad := unsafeRune(s.ID + s.Reason); bad {
			t.Errorf("skip %+v holds %U", s, r)
		}
		if s.Reason == "" {
			t.Errorf("skip %+v says no reason", s)
		}
	}
	if d.Skipped[0].ID != "end-before-start" || !strings.Contains(d.Skipped[0].Reason, "before") {
		t.Errorf("first skip %+v", d.Skipped[0])
	}
}

func ids(apps []calsync.Appointment) string {
	var s []string
	for _, a := range apps {
		s = append(s, a.ID)
	}
	return strings.Join(s, ",")
}

// TestTooManyEventsIsRefused: more than MaxEvents events in one sync stop it with ErrTooLarge,
// whether they come on one page or several.
func TestTooManyEventsIsRefused(t *testing.T) {
	start := t0.Add(time.Hour)
	mk := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = event(fmt.Sprintf("%s%d", prefix, i), "x", start, start.Add(time.Hour), "UTC", nil)
		}
		return out
	}
	t.Run("one page", func(t *testing.T) {
		srv := serveBoth(t, mk("a", MaxEvents+1)...)
		_, err := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.PageSize = MaxPageSize }).List(context.Background(), from, to)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "20000") {
			t.Fatalf("err = %v, want ErrTooLarge naming 20000", err)
		}
		// Retrying reads the same bytes: permanent; the health names it unreadable.
		if c, k := calsync.Classify(err); c != runner.ClassPermanent || k != runner.KindUnreadable {
			t.Fatalf("class %v, kind %q; want permanent, unreadable", c, k)
		}
	})
	t.Run("two pages", func(t *testing.T) {
		half := mk("b", MaxEvents/2+1)
		var srv *httptest.Server
		srv, _ = serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			body := page(half...)
			if n == 0 {
				body = strings.TrimSuffix(body, "}") + `,"@odata.nextLink":"` + srv.URL + `/v1.0/me/calendarView?page=2"}`
			} else {
				body = strings.ReplaceAll(body, `"id":"b`, `"id":"c`)
			}
			writeJSON(w, 200, body)
		})
		_, err := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.PageSize = MaxPageSize }).List(context.Background(), from, to)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
}

// TestBodyLargerThanThePageAllowsIsRefused: the byte cap follows the page size asked for, and
// counts decompressed bytes, so a gzip bomb stops after the cap.
func TestBodyLargerThanThePageAllowsIsRefused(t *testing.T) {
	huge := strings.Repeat("a", 48<<20)
	body := page(event("big", huge, t0.Add(time.Hour), t0.Add(2*time.Hour), "UTC", nil))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	for _, compressed := range []bool{false, true} {
		srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", "application/json")
			if compressed {
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(gz.Bytes())
				return
			}
			_, _ = w.Write([]byte(body))
		})
		_, err := newTestSource(t, srv.URL+"/v1.0", func(o *Options) { o.PageSize = 10 }).List(context.Background(), from, to)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("gzip %v: err = %v, want ErrTooLarge naming the limit", compressed, err)
		}
	}
}

// TestRedirectToAnotherOriginIsRefused: Graph does not redirect calendar reads, so a redirect
// to another host is refused, and that host sees no request at all.
func TestRedirectToAnotherOriginIsRefused(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		other, otherRec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 200, page(jsonEvent("moved", t0.Add(time.Hour))))
		})
		srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			http.Redirect(w, r, other.URL+"/v1.0/me/calendarView", status)
		})
		_, err := newTestSource(t, srv.URL+"/v1.0").List(context.Background(), from, to)
		want := "redirected to " + other.URL + "; caltray does not follow redirects to another host"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("HTTP %d: err = %v, want %q", status, err, want)
		}
		// Not retried: the same request is redirected the same way again. Its kind is refused.
		if c, k := calsync.Classify(err); c != runner.ClassPermanent || k != runner.KindRefused {
			t.Fatalf("HTTP %d: class %v, kind %q; want permanent, refused", status, c, k)
		}
		if n := len(otherRec.requests()); n != 0 {
			t.Fatalf("HTTP %d: the other host got %d requests", status, n)
		}
	}
}
