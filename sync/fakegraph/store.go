package fakegraph

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// stored is one immutable version of an event: a mutation stores a new one, so the versions the
// change log points at stay as they were (delta needs the state a token was issued at).
type stored struct {
	Event
	seq      uint64 // the change sequence number that produced this version
	version  int    // how many times the event changed: feeds changeKey and @odata.etag
	created  time.Time
	modified time.Time
}

// A change is one entry of the log that delta reads: before is the version that was current
// until seq (nil if the event did not exist).
type change struct {
	seq    uint64
	id     string
	before *stored
}

// store holds the calendar. The Server's mutex guards it.
type store struct {
	events map[string]*stored
	seq    uint64
	log    []change
	// expiredBefore: delta state older than this sequence number is gone (410 syncStateNotFound).
	expiredBefore uint64
	// instance makes tokens of another server (or of an earlier run) unknown to this one.
	instance string
}

func (st *store) init(events []Event, now time.Time) error {
	st.events = make(map[string]*stored, len(events))
	st.instance = randomHex(6)
	created := now.Add(-30 * 24 * time.Hour)
	for _, e := range events {
		if err := e.normalize(); err != nil {
			return err
		}
		if _, dup := st.events[e.ID]; dup {
			return fmt.Errorf("event ID %s appears twice", e.ID)
		}
		st.events[e.ID] = &stored{Event: e, created: created, modified: created}
	}
	return nil
}

func (st *store) put(id string, next *stored) {
	st.seq++
	st.log = append(st.log, change{seq: st.seq, id: id, before: st.events[id]})
	if next == nil {
		delete(st.events, id)
		return
	}
	next.seq = st.seq
	st.events[id] = next
}

// Add stores a new event and returns it as stored (defaults filled, all-day dates normalized).
// An empty ID gets a fresh Graph-like one. The change shows up in the next delta round.
func (s *Server) Add(e Event) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.ID == "" {
		e.ID = "AAMkAD" + randomHex(18) + "="
	}
	if err := e.normalize(); err != nil {
		return Event{}, fmt.Errorf("fakegraph: add: %w", err)
	}
	if _, ok := s.store.events[e.ID]; ok {
		return Event{}, fmt.Errorf("fakegraph: add: an event with ID %s already exists; use Update to change it", e.ID)
	}
	now := s.now()
	s.store.put(e.ID, &stored{Event: e, created: now, modified: now})
	return e, nil
}

// Update changes the event with the given ID through edit and returns the stored result. As in
// Exchange, a changed occurrence of a series becomes an exception.
func (s *Server) Update(id string, edit func(*Event)) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.store.events[id]
	if !ok {
		return Event{}, fmt.Errorf("fakegraph: update: no event with ID %q", id)
	}
	e := cur.Event
	edit(&e)
	if e.ID != id {
		return Event{}, fmt.Errorf("fakegraph: update: the ID of event %s cannot change (got %q); remove it and add a new one", id, e.ID)
	}
	if e.Type == TypeOccurrence {
		e.Type = TypeException
	}
	if err := e.normalize(); err != nil {
		return Event{}, fmt.Errorf("fakegraph: update: %w", err)
	}
	s.store.put(id, &stored{Event: e, version: cur.version + 1, created: cur.created, modified: s.now()})
	return e, nil
}

// Remove deletes the event with the given ID; the next delta round reports it as @removed.
func (s *Server) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.store.events[id]; !ok {
		return fmt.Errorf("fakegraph: remove: no event with ID %q", id)
	}
	s.store.put(id, nil)
	return nil
}

// Events returns the stored events sorted by start, then ID: what a full calendarView of all
// time would hold, in the form the tests compare a client's result with.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, len(s.store.events))
	for _, e := range s.store.events {
		out = append(out, e.Event)
	}
	slices.SortFunc(out, func(a, b Event) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Event returns the stored event with the given ID.
func (s *Server) Event(id string) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.store.events[id]
	if !ok {
		return Event{}, false
	}
	return e.Event, true
}

// ExpireDeltaTokens makes every delta and skip token issued so far unknown, as when Exchange
// drops a sync state: the next request with one gets 410 Gone, syncStateNotFound.
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Advance the sequence so that a token issued at this very moment expires too.
	s.store.seq++
	s.store.expiredBefore = s.store.seq
}

// inView returns the events overlapping [from, to).
func (st *store) inView(from, to time.Time) []*stored {
	var out []*stored
	for _, e := range st.events {
		if e.overlaps(from, to) {
			out = append(out, e)
		}
	}
	return out
}

// A deltaItem is one entry of an incremental delta page: the event's current version, or nil
// with removed set when the client must drop it.
type deltaItem struct {
	id      string
	event   *stored
	removed bool
}

// changesSince lists what changed in the view [from, to) after sequence number since: events
// now in the view that changed are sent whole; events that were in the view at since and are
// now deleted or moved out of it are @removed. Events that were never in the view are left out.
func (st *store) changesSince(since uint64, from, to time.Time) []deltaItem {
	first := map[string]*stored{} // id -> version current at `since`
	start, _ := slices.BinarySearchFunc(st.log, since+1, func(c change, seq uint64) int { return cmp.Compare(c.seq, seq) })
	for _, c := range st.log[start:] {
		if _, seen := first[c.id]; !seen {
			first[c.id] = c.before
		}
	}
	var out []deltaItem
	for id, before := range first {
		cur := st.events[id]
		isIn := cur != nil && cur.overlaps(from, to)
		wasIn := before != nil && before.overlaps(from, to)
		switch {
		case isIn:
			out = append(out, deltaItem{id: id, event: cur})
		case wasIn:
			out = append(out, deltaItem{id: id, removed: true})
		}
	}
	return out
}
