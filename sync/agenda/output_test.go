package agenda

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
)

var (
	kolkata = time.FixedZone("IST", 5*3600+1800)
	now     = time.Date(2026, 11, 27, 9, 0, 0, 123, time.UTC)
)

func snapshot(stale bool) calsync.Snapshot {
	last := now.Add(-10 * time.Minute)
	return calsync.Snapshot{
		From: time.Date(2026, 11, 27, 0, 0, 0, 0, kolkata), To: time.Date(2026, 11, 29, 0, 0, 0, 0, kolkata),
		Appointments: []calsync.Appointment{
			{ID: "day", Subject: "Holiday", AllDay: true, Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
				End: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), Response: calsync.ResponseNone, ShowAs: calsync.ShowAsFree},
			{ID: "m1", Subject: "Stand-up\twith\nbreaks", Start: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
				End: time.Date(2026, 11, 27, 4, 15, 0, 0, time.UTC), Location: "Room 1", JoinURL: "https://teams.microsoft.com/l/meetup-join/a&b",
				WebLink: "https://outlook.office365.com/owa/?itemid=m1", Organizer: "Mei Tanaka",
				Response: calsync.ResponseDeclined, ShowAs: calsync.ShowAsBusy, Cancelled: true},
		},
		Health: runner.Health{Healthy: true, Status: runner.StatusOperational, Breaker: "closed", LastSuccess: &last, Timestamp: now},
		Stale:  stale, LastSync: last,
		Recent: []calsync.SyncRecord{{At: now, Err: "calendar sync: HTTP 503"}},
	}
}

func TestNewOutputFollowsTheContract(t *testing.T) {
	o := NewOutput(snapshot(true), now, kolkata)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, o); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["generated_at"] != "2026-11-27T09:00:00Z" {
		t.Errorf("generated_at = %v", got["generated_at"])
	}
	if h := got["health"].(map[string]any); h["stale"] != true || h["status"] != "operational" || len(h) != 9 {
		t.Errorf("health = %v, want the 9 contract fields with stale true", h)
	}
	events := got["events"].([]any)
	wantDay := map[string]any{"id": "day", "subject": "Holiday", "start": "2026-11-27T00:00:00+05:30",
		"end": "2026-11-29T00:00:00+05:30", "all_day": true, "location": "", "join_url": "", "web_link": "",
		"organizer": "", "response": "none", "show_as": "free", "cancelled": false}
	wantM1 := map[string]any{"id": "m1", "subject": "Stand-up\twith\nbreaks", "start": "2026-11-27T09:30:00+05:30",
		"end": "2026-11-27T09:45:00+05:30", "all_day": false, "location": "Room 1",
		"join_url": "https://teams.microsoft.com/l/meetup-join/a&b", "web_link": "https://outlook.office365.com/owa/?itemid=m1",
		"organizer": "Mei Tanaka", "response": "declined", "show_as": "busy", "cancelled": true}
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
	if err := WriteJSONLine(&buf, o); err != nil || strings.Count(buf.String(), "\n") != 1 || !strings.Contains(buf.String(), "a&b") {
		t.Errorf("WriteJSONLine = %v, %q", err, buf.String())
	}

	empty := NewOutput(calsync.Snapshot{}, now, kolkata)
	buf.Reset()
	WriteJSON(&buf, empty)
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
		{"fresh", snapshot(false), []string{"Friday 27 November 2026", "all day (2 days)", "Holiday", "09:30–09:45",
			"Stand-up with breaks", "Room 1", "CANCELLED, declined, join: https://teams.microsoft.com/l/meetup-join/a&b", "not answered"},
			[]string{"STALE"}},
		{"stale", snapshot(true), []string{"STALE: this agenda may be out of date (last good sync: Fri 27 Nov 14:20)",
			"last sync failed: calendar sync: HTTP 503", "Holiday"}, nil},
		{"empty", calsync.Snapshot{From: snapshot(false).From, To: snapshot(false).To}, []string{"No meetings from Fri 27 Nov to Sat 28 Nov."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTable(&buf, tt.snap, kolkata); err != nil {
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
