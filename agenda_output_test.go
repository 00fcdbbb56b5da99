package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
)

var (
	testKolkata = time.FixedZone("IST", 5*3600+1800)
	testNow     = time.Date(2026, 11, 27, 9, 0, 0, 123, time.UTC)
)

func testSnapshot(stale bool) calsync.Snapshot {
	last := testNow.Add(-10 * time.Minute)
	return calsync.Snapshot{
		From: time.Date(2026, 11, 27, 0, 0, 0, 0, testKolkata), To: time.Date(2026, 11, 29, 0, 0, 0, 0, testKolkata),
		Appointments: []calsync.Appointment{
			{ID: "day", Subject: "Holiday", AllDay: true, Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
				End: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), Response: calsync.ResponseNone, ShowAs: calsync.ShowAsFree},
			{ID: "m1", Subject: "Stand-up\twith\nbreaks", Start: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
				End: time.Date(2026, 11, 27, 4, 15, 0, 0, time.UTC), Location: "Room 1", JoinURL: "https://teams.microsoft.com/l/meetup-join/a&b",
				WebLink: "https://outlook.office365.com/owa/?itemid=m1", Organizer: "Mei Tanaka",
				Response: calsync.ResponseDeclined, ShowAs: calsync.ShowAsBusy, Cancelled: true, Reminder: calsync.RemindBefore(10)},
		},
		Health: calsync.Health{Healthy: true, Status: runner.StatusOperational, Breaker: "closed", LastSuccess: &last,
			Stale: stale, Timestamp: testNow},
		LastSync: last,
		Recent:   []calsync.SyncRecord{{At: testNow, Err: "calendar sync: HTTP 503", ErrKind: runner.KindServer}},
	}
}

func TestNewOutputFollowsTheContract(t *testing.T) {
	o := newAgendaOutput(testSnapshot(true), testNow, testKolkata)
	var buf bytes.Buffer
	if err := writeJSON(&buf, o); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["generated_at"] != "2026-11-27T09:00:00Z" {
		t.Errorf("generated_at = %v", got["generated_at"])
	}
	if h := got["health"].(map[string]any); h["stale"] != true || h["status"] != "operational" || h["last_error_kind"] != "" || len(h) != 10 {
		t.Errorf("health = %v, want the 10 contract fields with stale true", h)
	}
	events := got["events"].([]any)
	wantDay := map[string]any{"id": "day", "subject": "Holiday", "start": "2026-11-27T00:00:00+05:30",
		"end": "2026-11-29T00:00:00+05:30", "all_day": true, "location": "", "join_url": "", "web_link": "",
		"organizer": "", "response": "none", "show_as": "free", "cancelled": false, "reminder_minutes": nil}
	wantM1 := map[string]any{"id": "m1", "subject": "Stand-up\twith\nbreaks", "start": "2026-11-27T09:30:00+05:30",
		"end": "2026-11-27T09:45:00+05:30", "all_day": false, "location": "Room 1",
		"join_url": "https://teams.microsoft.com/l/meetup-join/a&b", "web_link": "https://outlook.office365.com/owa/?itemid=m1",
		"organizer": "Mei Tanaka", "response": "declined", "show_as": "busy", "cancelled": true, "reminder_minutes": float64(10)}
	for i, want := range []map[string]any{wantDay, wantM1} {
		e := events[i].(map[string]any)
		if len(e) != len(want) {
			t.Errorf("event %d has fields %v, want %v", i, e, want)
		}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("event %d: %s = %v, want %v", i, k, e[k], v)
			}
		}
	}
	if !strings.Contains(buf.String(), "a&b") {
		t.Errorf("join links must keep their & unescaped: %s", buf.String())
	}

	buf.Reset()
	if err := writeJSONLine(&buf, o); err != nil || strings.Count(buf.String(), "\n") != 1 || !strings.Contains(buf.String(), "a&b") {
		t.Errorf("WriteJSONLine = %v, %q", err, buf.String())
	}

	empty := newAgendaOutput(calsync.Snapshot{}, testNow, testKolkata)
	buf.Reset()
	writeJSON(&buf, empty)
	if !strings.Contains(buf.String(), `"events": []`) {
		t.Errorf("no events must print [], got %s", buf.String())
	}
}

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name  string
		snap  calsync.Snapshot
		want  []string
		avoid []string
	}{
		{"fresh", testSnapshot(false), []string{"Friday 27 November 2026", "all day (2 days)", "Holiday", "09:30–09:45",
			"Stand-up with breaks", "Room 1", "CANCELLED, declined, join: https://teams.microsoft.com/l/meetup-join/a&b", "not answered"},
			[]string{"STALE"}},
		{"stale", testSnapshot(true), []string{"STALE: this agenda may be out of date (last good sync: Fri 27 Nov 14:20)",
			"last sync failed: calendar sync: HTTP 503", "Holiday"}, nil},
		{"empty", calsync.Snapshot{From: testSnapshot(false).From, To: testSnapshot(false).To}, []string{"No meetings from Fri 27 Nov to Sat 28 Nov."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeTable(&buf, tt.snap, testKolkata); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("table lacks %q:\n%s", w, buf.String())
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(buf.String(), a) {
					t.Errorf("table has %q:\n%s", a, buf.String())
				}
			}
		})
	}
}

// Text that did not pass through intake (an old cache, a new code path) still reaches the
// terminal inert: the table folds and sanitises every cell, and JSON escapes what encoding/json
// writes raw, while the values programs read stay the same.
func TestOutputIsInert(t *testing.T) {
	hostile := "\x1b[2J\x1b]0;title\x07Pay \u202Egnp.exe\u202C \u009b31m \x7f\x00"
	s := testSnapshot(true)
	s.Appointments[1].Subject = hostile
	s.Appointments[1].Location = "Room\r\x1b]8;;https://evil\x1b\\1"
	s.Recent[0].Err = "HTTP 503: \x1b[31mred\u2066"

	var table bytes.Buffer
	if err := writeTable(&table, s, testKolkata); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := writeJSON(&js, newAgendaOutput(s, testNow, testKolkata)); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"table": table.String(), "json": js.String()} {
		for _, r := range out {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Errorf("%s output carries %U raw:\n%q", name, r, out)
			}
		}
	}
	if !strings.Contains(table.String(), "␛[2J␛]0;title␇Pay gnp.exe") {
		t.Errorf("table does not show the escapes visibly:\n%s", table.String())
	}
	var back agendaOutput
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Events[1].Subject != hostile {
		t.Errorf("JSON changed the value: %q, want %q", back.Events[1].Subject, hostile)
	}
}

func TestNarrowDays(t *testing.T) {
	loc := testKolkata
	day := func(d, h int) time.Time { return time.Date(2026, 11, 27+d, h, 0, 0, 0, loc) }
	s := calsync.Snapshot{From: day(0, 0), To: day(8, 0), Settings: calsync.Settings{WindowDays: 7}}
	for i := range 8 {
		s.Appointments = append(s.Appointments, calsync.Appointment{ID: fmt.Sprint(i), Start: day(i, 10), End: day(i, 11)})
	}
	// A meeting from yesterday evening into today overlaps today.
	s.Appointments = append([]calsync.Appointment{{ID: "overnight", Start: day(-1, 22), End: day(0, 2)}}, s.Appointments...)
	tests := []struct {
		days   int
		wantN  int
		wantTo time.Time
	}{{-1, 9, day(8, 0)}, {0, 2, day(1, 0)}, {2, 4, day(3, 0)}, {7, 9, day(8, 0)}, {30, 9, day(8, 0)}}
	for _, tt := range tests {
		got := narrowDays(s, tt.days, loc)
		if len(got.Appointments) != tt.wantN || !got.To.Equal(tt.wantTo) {
			t.Errorf("narrowDays(%d): %d meetings to %v, want %d to %v", tt.days, len(got.Appointments), got.To, tt.wantN, tt.wantTo)
		}
	}
	if len(s.Appointments) != 9 {
		t.Error("narrowDays changed its input")
	}
}

func TestWaitNotice(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	stop := waitNotice(w, "Microsoft Graph at graph.example", time.Millisecond, time.Hour, 30*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := buf.String()
		mu.Unlock()
		if got != "" {
			if !strings.HasPrefix(got, "caltray agenda: waiting for Microsoft Graph at graph.example (") {
				t.Errorf("notice = %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no notice after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	// A sync that ends before the notice is due says nothing.
	buf.Reset()
	waitNotice(w, "x", time.Hour, time.Hour, time.Second)()
	if buf.Len() != 0 {
		t.Errorf("notice before it was due: %q", buf.String())
	}
	if isTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
