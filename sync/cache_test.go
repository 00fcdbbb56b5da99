package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"caltray/sync/internal/tempdir"
)

func testEntry(n int) CacheEntry {
	a := appt(fmt.Sprintf("id-%d", n), time.Duration(n)*time.Hour, time.Hour)
	a.Location, a.JoinURL, a.Organizer = "Room 1", "https://teams.microsoft.com/l/meetup-join/x", "Megan Bowen"
	a.Reminder = RemindBefore(10) // the all-day one has none: both round-trip
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
	c, err := NewCache(tempdir.New(t), func() time.Time { return T0 })
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
	c, err := NewCache(tempdir.New(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := testEntry(1)
	e.Delta.To = e.Delta.From
	if err := c.Save(e); err == nil || !strings.Contains(err.Error(), "window ends") {
		t.Fatalf("Save = %v", err)
	}
}

// One event the cache cannot store must never stop it from saving the others: such an event
// is dropped with a log line that names its id only (the subject is the user's, and untrusted).
func TestCacheSaveDropsEventsItCannotStore(t *testing.T) {
	y10k := time.Date(10000, 1, 1, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		edit   func(*Appointment)
		reason string
	}{
		// 9999-12-31T23:59:59 in a zone east of UTC: encoding/json refuses years past 9999.
		{"ends in year 10000", func(a *Appointment) { a.End = y10k }, "year"},
		{"starts and ends in year 10000", func(a *Appointment) { a.Start, a.End = y10k, y10k.Add(time.Hour) }, "year"},
		{"starts before year 0", func(a *Appointment) { a.Start = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }, "year"},
		{"end year in its own zone", func(a *Appointment) {
			a.End = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).In(time.FixedZone("UTC+2", 2*3600))
		}, "year"},
		{"no id", func(a *Appointment) { a.ID = "" }, "no id"},
		{"ends before it starts", func(a *Appointment) { a.End = a.Start.Add(-time.Minute) }, "ends before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs LogBuffer
			c, err := NewCache(tempdir.New(t), func() time.Time { return T0 })
			if err != nil {
				t.Fatal(err)
			}
			c.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
			e := testEntry(1)
			bad := appt("bad-id", 2*time.Hour, time.Hour)
			bad.Subject = "Secret merger talks"
			tt.edit(&bad)
			e.Delta.Appointments = append(e.Delta.Appointments, bad)
			if err := c.Save(e); err != nil {
				t.Fatalf("Save = %v, want the other events saved", err)
			}
			got, err := c.Load()
			if err != nil {
				t.Fatal(err)
			}
			if want := testEntry(1); !reflect.DeepEqual(got, want) {
				t.Errorf("Load after Save:\n got %+v\nwant %+v", got, want)
			}
			out := logs.String()
			if !strings.Contains(out, "left out of the cache") || !strings.Contains(out, tt.reason) {
				t.Errorf("log %q does not say the event was dropped and why (%q)", out, tt.reason)
			}
			if bad.ID != "" && !strings.Contains(out, "id=bad-id") {
				t.Errorf("log %q does not name the event's id", out)
			}
			if strings.Contains(out, "merger") {
				t.Errorf("log %q holds the subject", out)
			}
		})
	}
}

// A cache that cannot be read (permission, I/O error) is not damaged: it is reported as
// unreadable, with the file and what to do, and left where it is for when the cause is fixed.
func TestCacheUnreadableIsLeftInPlace(t *testing.T) {
	tests := []struct {
		name string
		err  error // injected read error; nil: a directory in the file's place
		want string
	}{
		{"permission", &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}, "permission denied"},
		{"I/O error", &fs.PathError{Op: "read", Path: "x", Err: syscall.EIO}, "input/output error"},
		{"directory", nil, directoryReadError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempdir.New(t)
			c, err := NewCache(dir, func() time.Time { return T0 })
			if err != nil {
				t.Fatal(err)
			}
			if tt.err != nil {
				if err := c.Save(testEntry(1)); err != nil {
					t.Fatal(err)
				}
				// Tests run as root, where chmod 000 blocks nothing: inject the error.
				c.readFile = func(string) ([]byte, error) { return nil, tt.err }
			} else if err := os.Mkdir(c.Path(), 0o700); err != nil {
				t.Fatal(err)
			}
			_, err = c.Load()
			if !errors.Is(err, ErrCacheUnreadable) || errors.Is(err, ErrCacheDamaged) || errors.Is(err, ErrNoCache) {
				t.Fatalf("Load = %v, want ErrCacheUnreadable only", err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("Load = %v does not wrap the cause", err)
			}
			for _, w := range []string{c.Path(), tt.want, "left in place"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || entries[0].Name() != cacheName {
				t.Errorf("cache dir holds %v, want the cache file alone, where it was", entries)
			}
			if tt.err == nil {
				return
			}
			c.readFile = os.ReadFile // the cause is fixed: the last good agenda is still there
			if got, err := c.Load(); err != nil || !reflect.DeepEqual(got, testEntry(1)) {
				t.Fatalf("Load once readable = %v, %+v", err, got)
			}
		})
	}
}

// A kill -9 in the middle of a write leaves a temporary file; opening the cache removes those
// of its own naming that are old enough that no live process can still be writing them.
func TestCacheRemovesStaleTempFiles(t *testing.T) {
	dir := tempdir.New(t)
	old, fresh := T0.Add(-StaleTempAge-time.Second), T0.Add(-StaleTempAge+time.Second)
	files := []struct {
		name     string
		mtime    time.Time
		dir      bool
		wantGone bool
	}{
		{".cache.json.tmp-1234567", old, false, true},
		{".cache.json.tmp-42", T0.Add(-24 * time.Hour), false, true},
		{".cache.json.tmp-7654321", fresh, false, false}, // perhaps another caltray's write in flight
		{".cache.json.tmp-abc", old, false, false},       // not CreateTemp's naming
		{".cache.json.tmp-", old, false, false},
		{".cache.json.tmp-99", old, true, false}, // not a file
		{".settings.json.tmp-1", old, false, false},
		{"cache.json.damaged-20261127T090000.000000000Z", old, false, false},
		{"notes.tmp-1", old, false, false},
		{cacheName, old, false, false},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		var err error
		if f.dir {
			err = os.Mkdir(p, 0o700)
		} else {
			err = os.WriteFile(p, []byte("x"), 0o600)
		}
		if err == nil {
			err = os.Chtimes(p, f.mtime, f.mtime)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var logs LogBuffer
	c, err := NewCache(dir, func() time.Time { return T0 })
	if err != nil {
		t.Fatal(err)
	}
	c.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	for _, f := range files {
		_, err := os.Lstat(filepath.Join(dir, f.name))
		if gone := errors.Is(err, fs.ErrNotExist); gone != f.wantGone {
			t.Errorf("%s: removed %v, want %v", f.name, gone, f.wantGone)
		}
	}
	c.Load() // the damaged "cache.json" is moved aside; the removal is logged once
	if out := logs.String(); !strings.Contains(out, ".cache.json.tmp-1234567") || strings.Count(out, "leftover") != 1 {
		t.Errorf("log %q does not report the removed files once", out)
	}
}

// A cache written before appointments carried their reminders (version 1) is read, so the
// agenda shows at once, but its delta link is dropped: a delta sync would bring reminders
// only for meetings that changed, so the first sync after the upgrade must be a full one.
func TestCacheVersion1DropsDeltaLink(t *testing.T) {
	tests := []struct {
		version  int
		wantLink bool
	}{
		{1, false},
		{CacheVersion, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("version ", tt.version), func(t *testing.T) {
			c, err := NewCache(tempdir.New(t), func() time.Time { return T0 })
			if err != nil {
				t.Fatal(err)
			}
			d := testEntry(1).Delta
			for i := range d.Appointments {
				d.Appointments[i].Reminder = Reminder{} // a version 1 file has no reminders
			}
			data, _ := json.Marshal(cacheFile{Version: tt.version, LastSync: T0, Delta: &d})
			if err := os.WriteFile(c.Path(), data, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := c.Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(got.Delta.Appointments) != 2 {
				t.Errorf("%d appointments, want the file's 2", len(got.Delta.Appointments))
			}
			if has := got.Delta.Link != ""; has != tt.wantLink {
				t.Errorf("delta link %q: kept %v, want %v", got.Delta.Link, has, tt.wantLink)
			}
		})
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
		{"negative reminder", func(p string) error {
			return os.WriteFile(p, []byte(`{"version": 2, "delta": {"from": "2026-11-27T00:00:00Z", "to": "2026-11-28T00:00:00Z",
				"appointments": [{"id": "a", "start": "2026-11-27T09:00:00Z", "end": "2026-11-27T10:00:00Z", "reminder_minutes": -5}]}}`), 0o600)
		}, "is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCache(tempdir.New(t), func() time.Time { return T0 })
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
	dir := tempdir.New(t)
	writers, writes := 8, 25
	if testing.Short() {
		// Under Wine (make test runs it short), where a rename waits out a busy reader (share.go),
		// fewer writes still race every writer against the reader, in a quarter of the time.
		writers, writes = 4, 12
	}
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
			data, err := readFile(reader.Path()) // as Load reads it: retried while a writer replaces it (Windows)
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

// A cache file is a local file anyone with the user's rights can write: its text passes
// through inert on load, like Graph's does at intake.
func TestCacheLoadMakesTextInert(t *testing.T) {
	c, err := NewCache(tempdir.New(t), func() time.Time { return T0 })
	if err != nil {
		t.Fatal(err)
	}
	e := testEntry(1)
	a := &e.Delta.Appointments[0]
	a.Subject = "\x1b]0;pwned\x07Pay invoice \u202Egnp.exe\u202C"
	a.Location = "Room\x1b[2J 1\u009b"
	a.Organizer = "Megan\rBowen"
	a.JoinURL = "https://teams.microsoft.com/l/\x1b]8;;x"
	a.WebLink = "https://outlook.office.com/\u2066x"
	if err := c.Save(e); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	g := got.Delta.Appointments[0]
	want := map[string]string{
		"subject":   "␛]0;pwned␇Pay invoice gnp.exe",
		"location":  "Room␛[2J 1\uFFFD",
		"organizer": "Megan Bowen",
		"join_url":  "https://teams.microsoft.com/l/␛]8;;x",
		"web_link":  "https://outlook.office.com/x",
	}
	for k, v := range map[string]string{"subject": g.Subject, "location": g.Location, "organizer": g.Organizer,
		"join_url": g.JoinURL, "web_link": g.WebLink} {
		if v != want[k] {
			t.Errorf("%s = %q, want %q", k, v, want[k])
		}
	}
	if got.Delta.Appointments[1] != e.Delta.Appointments[1] {
		t.Errorf("clean text changed: %+v", got.Delta.Appointments[1])
	}
}

// A write that stops before its rename (a crash, a kill -9) leaves the target as it was and
// a temporary file of WriteFileAtomic's naming, which RemoveStaleTemps recognises.
func TestWriteFileAtomicInterrupted(t *testing.T) {
	dir := tempdir.New(t)
	path := filepath.Join(dir, "file.json")
	if err := WriteFileAtomic(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("power cut")
	beforeRename = func() error { return crash }
	t.Cleanup(func() { beforeRename = nil })
	if err := WriteFileAtomic(path, []byte("new")); !errors.Is(err, crash) {
		t.Fatalf("interrupted write: %v, want the crash", err)
	}
	beforeRename = nil
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Fatalf("after the interrupted write the file holds %q, %v; want the old content", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 || !isOurTemp(entries[0].Name(), []string{TempPrefix("file.json")}) {
		t.Fatalf("want the file and one leftover of our naming, got %v", entries)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm()) // Windows has no Unix modes: ACLs guard the profile
	}
}

// directoryReadError is what the OS says when a directory is read as a file: Unix names it;
// Windows (and Wine) say "Incorrect function", which names nothing worth checking for.
var directoryReadError = map[bool]string{true: "", false: "is a directory"}[runtime.GOOS == "windows"]
