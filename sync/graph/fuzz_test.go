package graph

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	calsync "caltray/sync"
)

// FuzzParsePage feeds arbitrary bodies through the payload -> appointments path of List and
// Sync (decodePage): it must never panic, whatever it accepts must satisfy the model's invariants, and the
// parse tree of valid JSON must be the one kiota's own parser builds.
// CI: go test -run=^$ -fuzz=FuzzParsePage -fuzztime=5s ./sync/graph
func FuzzParsePage(f *testing.F) {
	seeds := []string{
		page(jsonEvent("a", t0)),
		`{"@odata.context":"x","value":[{"id":"e1","subject":"Sprint review 🚀","isAllDay":false,` +
			`"start":{"dateTime":"2026-11-27T09:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-11-27T10:00:00.0000000","timeZone":"UTC"},` +
			`"location":{"displayName":"https://zoom.us/j/123456789"},"onlineMeeting":null,"bodyPreview":"Join https://meet.google.com/abc-defg-hij",` +
			`"organizer":{"emailAddress":{"name":"Megan Bowen","address":"meganb@contoso.com"}},"responseStatus":{"response":"notResponded"},"showAs":"tentative","isCancelled":true}],` +
			`"@odata.nextLink":"https://graph.microsoft.com/v1.0/me/calendarView?$skiptoken=x"}`,
		`{"value":[{"id":"d","isAllDay":true,"start":{"dateTime":"2026-12-24T00:00:00.0000000","timeZone":"New Zealand Standard Time"},"end":{"dateTime":"2026-12-27T00:00:00.0000000","timeZone":"New Zealand Standard Time"}}]}`,
		`{"value":[{"@removed":{"reason":"deleted"},"id":"gone"}],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=y"}`,
		`{"value":[{"id":"x","start":{"dateTime":"2026-11-27T09:00:00","timeZone":"Mars"},"end":null}]}`,
		`{"value":[{"id":"x","start":{"dateTime":"2026-11-27T09:00:00+05:30"},"end":{"dateTime":"2026-11-27"}}]}`,
		`{"value":[null,1,"x",[],{}]}`,
		`{"value":[{"id":"a",`,
		`<html>Sign in</html>`,
		`{"error":{"code":"TooManyRequests","message":"Please retry"}}`,
		`{"value":[{"id":"a","responseStatus":{"response":"weird"},"showAs":7,"isAllDay":"yes"}]}`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if json.Valid(body) {
			sameTreeAsKiota(t, body)
		}
		for _, kind := range []pageKind{calendarViewPage, deltaPageKind} {
			if res, err := decodePage("fuzz", 200, bytes.NewReader(body), kind, MaxPageSize, MaxEvents); err == nil {
				checkAppointments(t, res.appts)
			}
		}
	})
}

func checkAppointments(t *testing.T, appts []calsync.Appointment) {
	for _, a := range appts {
		if a.ID == "" || a.End.Before(a.Start) || a.Start.Location() != time.UTC || a.End.Location() != time.UTC {
			t.Fatalf("accepted an invalid appointment %+v", a)
		}
		if a.AllDay && (a.Start.Hour() != 0 || !a.End.After(a.Start)) {
			t.Fatalf("all-day appointment is not whole dates: %+v", a)
		}
		if a.Response == "" || a.ShowAs == "" {
			t.Fatalf("appointment without response/show-as: %+v", a)
		}
		for _, tm := range []time.Time{a.Start, a.End, a.Start.Add(-14 * time.Hour), a.End.Add(14 * time.Hour)} {
			if _, err := tm.MarshalJSON(); err != nil {
				t.Fatalf("accepted a time that cannot be written: %+v: %v", a, err)
			}
		}
	}
}

// FuzzDecodePageMatchesDecoder checks decodePage against decodePageRef, the json.Decoder
// reader it replaced: the same appointments, removals, skips and links, or errors of the same
// kind (errorKind).
// CI: go test -run=^$ -fuzz=FuzzDecodePageMatchesDecoder -fuzztime=5s ./sync/graph
func FuzzDecodePageMatchesDecoder(f *testing.F) {
	for _, s := range decodeCases() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { sameAsDecoder(t, body) })
}
