package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

func testEntry(n int) CacheEntry {
	a := appt(fmt.Sprintf("id-%d", n), time.Duration(n)*time.Hour, time.Hour)
	a.Location, a.JoinURL, a.Organizer = "Room 1", "https://teams.microsoft.com/l/meetup-join/x", "Megan Bowen"
	allDay := Appointment{ID: fmt.Sprintf("day-%d", n), Subject: "Holiday", AllDay: true,
		Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
		Response: ResponseNone, ShowAs: ShowAsFree}
	return CacheEntry{
		LastSync: T0.Add(time.Duration(n) * time.Second),
		Delta: Delta{From: T0.Add(-9 * time.Hour), To: T0.AddDate(0, 0, 8), Link: fmt.Sprintf("https://graph.example/delta?$deltatoken=%d", n),
			Appointments: []Appointment{a, allDay}},
	}
}

func TestCacheRoundTrip(t *testing.T) {
	c, err := NewCache(t.TempDir(), func() time.Time { return T0 })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(); !errors.Is(err, ErrNoCache) {
		t.Fatalf("Load of no cache = %v, want ErrNoCache", err)
	}
	want := testEntry(1)
	if err := c.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	fi, err := os.Stat(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	var raw map[string]any
	data, _ := os.ReadFile(c.Path())
	if err := json.Unmarshal(data, &raw); err != nil || raw["version"] != float64(CacheVersion) {
		t.Errorf("file %s: version %v (%v)", data, raw["version"], err)
	}
	// An empty agenda is data too.
	empty := CacheEntry{LastSync: T0, Delta: Delta{From: T0, To: T0.Add(time.Hour)}}
	if err := c.Save(empty); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Load(); err != nil || len(got.Delta.Appointments) != 0 {
		t.Fatalf("empty agenda: %v %+v", err, got)
	}
	entries, _ := os.ReadDir(filepath.Dir(c.Path()))
	if len(entries) != 1 {
		t.Errorf("cache dir holds %d files, want only the cache (no temp files left)", len(entries))
	}
}

func TestCacheSaveRejectsInvalidAgenda(t *testing.T) {
	c, err := NewCache(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := testEntry(1)
	e.Delta.Appointments[0].ID = ""
	if err := c.Save(e); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Fatalf("Save = %v", err)
	}
}

func TestCacheDamage(t *testing.T) {
	d := testEntry(1).Delta
	good, _ := json.Marshal(cacheFile{Version: 1, Delta: &d})
	tests := []struct {
		name   string
		damage func(path string) error
		reason string
	}{
		{"corrupt", func(p string) error { return os.WriteFile(p, []byte("{\"version\": 1, \"delta\": ]"), 0o600) }, "is corrupt"},
		{"not JSON", func(p string) error { return os.WriteFile(p, []byte("\x00\x01binary"), 0o600) }, "is corrupt"},
		{"truncated", func(p string) error { return os.WriteFile(p, good[:len(good)/2], 0o600) }, "is truncated"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }, "is truncated"},
		{"future version", func(p string) error {
			return os.WriteFile(p, []byte(`{"version": 99, "delta": {"appointments": []}}`), 0o600)
		}, "is from a newer caltray"},
		{"no version", func(p string) error { return os.WriteFile(p, []byte(`{"delta": {}}`), 0o600) }, "is corrupt"},
		{"wrong types", func(p string) error {
			return os.WriteFile(p, []byte(`{"version": 1, "delta": {"appointments": "many"}}`), 0o600)
		}, "is corrupt"},
		{"impossible agenda", func(p string) error {
			return os.WriteFile(p, []byte(`{"version": 1, "delta": {"from": "2026-11-27T00:00:00Z", "to": "2026-11-20T00:00:00Z"}}`), 0o600)
		}, "is corrupt"},
		// Root reads files whatever their mode, so "unreadable" is a directory in the file's place.
		{"unreadable", func(p string) error { return os.Mkdir(p, 0o700) }, "is unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCache(t.TempDir(), func() time.Time { return T0 })
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(c.Path()); err != nil {
				t.Fatal(err)
			}
			_, err = c.Load()
			var de *CacheDamageError
			if !errors.Is(err, ErrCacheDamaged) || !errors.As(err, &de) {
				t.Fatalf("Load = %v, want a CacheDamageError", err)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), c.Path()) {
				t.Errorf("error %q does not say %q about the file", err, tt.reason)
			}
			wantMoved := c.Path() + ".damaged-20261127T090000.000000000Z"
			if de.MovedTo != wantMoved {
				t.Errorf("moved to %q, want %q", de.MovedTo, wantMoved)
			}
			if _, err := os.Stat(wantMoved); err != nil {
				t.Errorf("the damaged file was not kept: %v", err)
			}
			if _, err := c.Load(); !errors.Is(err, ErrNoCache) {
				t.Errorf("Load after the move = %v, want ErrNoCache", err)
			}
			// The next good sync replaces it.
			if err := c.Save(testEntry(2)); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Load(); err != nil || !reflect.DeepEqual(got, testEntry(2)) {
				t.Fatalf("Load after Save = %v, %+v", err, got)
			}
		})
	}
}

func TestCacheConcurrentWritersDoNotInterleave(t *testing.T) {
	dir := t.TempDir()
	const writers, writes = 8, 25
	// Separate Cache values stand for separate processes: only the file system orders them.
	var wg gosync.WaitGroup
	errs := make(chan error, writers*writes*2)
	stop := make(chan struct{})
	reader, err := NewCache(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var reads int
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Read the file directly: Load would move aside what it cannot parse.
			data, err := os.ReadFile(reader.Path())
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			var f cacheFile
			if err == nil {
				err = json.Unmarshal(data, &f)
			}
			if err != nil {
				errs <- fmt.Errorf("read %d: %v", reads, err)
				return
			}
			n := 0
			fmt.Sscanf(f.Delta.Link, "https://graph.example/delta?$deltatoken=%d", &n)
			if want := testEntry(n); !reflect.DeepEqual(*f.Delta, want.Delta) {
				errs <- fmt.Errorf("read %d: a mix of writes: %+v", reads, f.Delta)
				return
			}
			reads++
		}
	}()
	for w := range writers {
		wg.Go(func() {
			c, err := NewCache(dir, nil)
			if err != nil {
				errs <- err
				return
			}
			for i := range writes {
				if err := c.Save(testEntry(w*writes + i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-readerDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := reader.Load(); err != nil {
		t.Fatalf("final Load: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the cache dir, want 1 (temp files left behind?)", len(entries))
	}
	t.Logf("%d writes, %d concurrent reads, every one a whole entry", writers*writes, reads)
}
