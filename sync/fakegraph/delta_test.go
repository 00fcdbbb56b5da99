package fakegraph

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// deltaClient keeps a local copy of a calendar view the way a Graph client would.
type deltaClient struct {
	t     *testing.T
	s     *Server
	link  string
	local map[string]wireEvent
}

func (c *deltaClient) sync(url string, prefer ...string) (pages int, items []wireEvent) {
	c.t.Helper()
	pages, items, last := fetchAll(c.t, c.s, url, prefer...)
	if last.DeltaLink == "" {
		c.t.Fatalf("the last delta page has no deltaLink")
	}
	c.link = last.DeltaLink
	for _, e := range items {
		if e.Removed != nil {
			if e.Removed.Reason != "deleted" {
				c.t.Errorf("@removed reason %q", e.Removed.Reason)
			}
			delete(c.local, e.ID)
			continue
		}
		c.local[e.ID] = e
	}
	return pages, items
}

// fullView is what a plain calendarView returns now.
func fullView(t *testing.T, s *Server, from, to time.Time) map[string]wireEvent {
	t.Helper()
	_, evs, _ := fetchAll(t, s, viewURL(s, from, to, "$top", "1000"))
	m := map[string]wireEvent{}
	for _, e := range evs {
		m[e.ID] = e
	}
	return m
}

func sameView(t *testing.T, got, want map[string]wireEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("delta copy has %d events, full view %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("delta copy lacks %s (%s)", id, w.Subject)
			continue
		}
		if g.Subject != w.Subject || g.Start != w.Start || g.End != w.End || g.IsCancelled != w.IsCancelled {
			t.Errorf("delta copy of %s differs: %+v vs %+v", id, g, w)
		}
	}
}

func TestDelta(t *testing.T) {
	clk := newClock(refNow)
	s := startServer(t, Options{Now: clk.Now})
	from, to := refNow.Add(-24*time.Hour), refNow.Add(14*24*time.Hour)
	c := &deltaClient{t: t, s: s, local: map[string]wireEvent{}}
	prefer := []string{"Prefer", "odata.maxpagesize=7"}

	pages, _ := c.sync(deltaURL(s, from, to), prefer...)
	if pages < 3 {
		t.Fatalf("initial round took %d pages; the test wants several", pages)
	}
	sameView(t, c.local, fullView(t, s, from, to))

	s.ResetRequests()
	_, items := c.sync(c.link, prefer...)
	if len(items) != 0 {
		t.Errorf("no-change round returned %d items", len(items))
	}
	if r := s.Requests()[0]; r.Bytes > 400 {
		t.Errorf("no-change round read %d bytes", r.Bytes)
	}

	inWindow := s.Events()
	var changed, removed, movedOut, outside string
	for _, e := range inWindow {
		if !e.overlaps(from, to) {
			if outside == "" {
				outside = e.ID
			}
			continue
		}
		switch {
		case changed == "":
			changed = e.ID
		case removed == "":
			removed = e.ID
		case movedOut == "":
			movedOut = e.ID
		}
	}
	steps := []struct {
		name        string
		mutate      func() error
		wantChanged []string
		wantRemoved []string
	}{
		{"update", func() error {
			_, err := s.Update(changed, func(e *Event) { e.Subject = "Renamed ✏️" })
			return err
		}, []string{changed}, nil},
		{"remove", func() error { return s.Remove(removed) }, nil, []string{removed}},
		{"move out of the window", func() error {
			_, err := s.Update(movedOut, func(e *Event) { e.Start, e.End = e.Start.AddDate(0, 0, 30), e.End.AddDate(0, 0, 30) })
			return err
		}, nil, []string{movedOut}},
		{"change outside the window", func() error {
			_, err := s.Update(outside, func(e *Event) { e.Subject = "not in view" })
			return err
		}, nil, nil},
		{"add inside and outside", func() error {
			if _, err := s.Add(Event{ID: "new-in", Subject: "new", Start: refNow.Add(time.Hour), End: refNow.Add(2 * time.Hour)}); err != nil {
				return err
			}
			_, err := s.Add(Event{ID: "new-out", Subject: "far", Start: to.Add(48 * time.Hour), End: to.Add(49 * time.Hour)})
			return err
		}, []string{"new-in"}, nil},
		{"add then remove between rounds", func() error {
			if _, err := s.Add(Event{ID: "ephemeral", Start: refNow, End: refNow.Add(time.Hour)}); err != nil {
				return err
			}
			return s.Remove("ephemeral")
		}, nil, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.mutate(); err != nil {
				t.Fatal(err)
			}
			_, items := c.sync(c.link, prefer...)
			var gotChanged, gotRemoved []string
			for _, e := range items {
				if e.Removed != nil {
					gotRemoved = append(gotRemoved, e.ID)
				} else {
					gotChanged = append(gotChanged, e.ID)
				}
			}
			if !slices.Equal(gotChanged, st.wantChanged) || !slices.Equal(gotRemoved, st.wantRemoved) {
				t.Errorf("changed %v removed %v, want %v and %v", gotChanged, gotRemoved, st.wantChanged, st.wantRemoved)
			}
			sameView(t, c.local, fullView(t, s, from, to))
		})
	}

	t.Run("expired", func(t *testing.T) {
		s.ExpireDeltaTokens()
		resp, body := do(t, s, nil, c.link)
		if e := decodeError(t, body); resp.StatusCode != http.StatusGone || e.Error.Code != "syncStateNotFound" {
			t.Fatalf("got %d %+v, want 410 syncStateNotFound", resp.StatusCode, e)
		}
		// The way back: a new round without a token.
		c.local = map[string]wireEvent{}
		c.sync(deltaURL(s, from, to), prefer...)
		sameView(t, c.local, fullView(t, s, from, to))
	})
}

func TestDeltaChangesBetweenPages(t *testing.T) {
	from := refNow.Truncate(24 * time.Hour)
	to := from.Add(24 * time.Hour)
	s := startServer(t, Options{Events: Spread(40, from, to)})
	c := &deltaClient{t: t, s: s, local: map[string]wireEvent{}}
	resp, body := do(t, s, nil, deltaURL(s, from, to), "Prefer", "odata.maxpagesize=10")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	p, first := decodePage(t, body)
	for _, e := range first {
		c.local[e.ID] = e
	}
	// Change an event already sent and remove one not sent yet, mid-round.
	if _, err := s.Update(first[0].ID, func(e *Event) { e.Subject = "changed mid-round" }); err != nil {
		t.Fatal(err)
	}
	var notYet string
	for _, e := range s.Events() {
		if _, sent := c.local[e.ID]; !sent {
			notYet = e.ID
			break
		}
	}
	if err := s.Remove(notYet); err != nil {
		t.Fatal(err)
	}
	c.sync(p.NextLink, "Prefer", "odata.maxpagesize=10")
	c.sync(c.link, "Prefer", "odata.maxpagesize=10") // the next round brings what changed meanwhile
	sameView(t, c.local, fullView(t, s, from, to))
	if c.local[first[0].ID].Subject != "changed mid-round" {
		t.Error("the change made mid-round never arrived")
	}
}

func TestDeltaUnknownTokens(t *testing.T) {
	s := startServer(t, Options{})
	other := startServer(t, Options{})
	from, to := refNow, refNow.Add(24*time.Hour)
	_, _, last := fetchAll(t, other, deltaURL(other, from, to))
	foreign, err := url.Parse(last.DeltaLink)
	if err != nil {
		t.Fatal(err)
	}
	_, _, own := fetchAll(t, s, deltaURL(s, from, to))
	ownLink, _ := url.Parse(own.DeltaLink)
	tests := []struct{ name, query string }{
		{"garbage deltatoken", "$deltatoken=R0usmci39OQxqJrxK4"},
		{"garbage skiptoken", "$skiptoken=%7B%7D"},
		{"another server's token", foreign.RawQuery},
		{"deltatoken passed as skiptoken", "$skiptoken=" + ownLink.Query().Get("$deltatoken")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, s, nil, s.URL()+"/me/calendarView/delta?"+tc.query)
			if e := decodeError(t, body); resp.StatusCode != http.StatusGone || e.Error.Code != "syncStateNotFound" {
				t.Errorf("got %d %+v, want 410 syncStateNotFound", resp.StatusCode, e)
			}
		})
	}
}
