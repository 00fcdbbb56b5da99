package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"caltray/sync/inert"
)

// CacheVersion is the version of the cache file format this build reads and writes. A file of
// a later version (from a newer caltray) is set aside rather than misread.
//
// Version 2 added each appointment's reminder (reminder_minutes). A version 1 file is read,
// so the agenda shows at once, but without its delta link: a delta sync sends only what
// changed, so resuming from a version 1 link would leave every unchanged meeting without its
// reminder; the first sync after the upgrade is a full one instead.
const CacheVersion = 2

// cacheVersionNoReminders is the last version whose appointments lack their reminders.
const cacheVersionNoReminders = 1

// cacheName is the cache file's name inside the cache directory.
const cacheName = "cache.json"

// ErrNoCache is returned by Cache.Load when there is no cache file yet.
var ErrNoCache = errors.New("no cached agenda")

// ErrCacheDamaged is matched (errors.Is) by Cache.Load's error for a cache file that could not
// be used: it was moved aside (see CacheDamageError) and the next good sync writes a new one.
var ErrCacheDamaged = errors.New("cache file damaged")

// ErrCacheUnreadable is matched by Cache.Load's error for a cache file that exists but could
// not be read (permissions, an I/O error): that is no sign the data is bad, so the file is left
// where it is and read again next time (see CacheReadError).
var ErrCacheUnreadable = errors.New("cache file unreadable")

// A CacheReadError says the cache file could not be read, and that it was left in place.
type CacheReadError struct {
	Path string
	Err  error
}

func (e *CacheReadError) Error() string {
	what := "check the file's permissions (it must be readable by you) and the disk"
	if errors.Is(e.Err, fs.ErrPermission) {
		what = "make it readable by you (e.g. chmod 600 " + e.Path + ")"
	}
	return fmt.Sprintf("cannot read the cached agenda %s: %v; it was left in place: %s, and caltray reads it again at the next start",
		e.Path, e.Err, what)
}

func (e *CacheReadError) Unwrap() []error { return []error{ErrCacheUnreadable, e.Err} }

// A CacheDamageError says why a cache file was unusable and where it was moved.
type CacheDamageError struct {
	Path     string // the cache file
	MovedTo  string // where it is now; empty if moving it failed too
	Reason   string // corrupt, truncated, unreadable or future version, in words
	Err      error  // the underlying error
	MoveFail error  // why it could not be moved aside, if it could not
}

func (e *CacheDamageError) Error() string {
	s := fmt.Sprintf("cache file %s is %s", e.Path, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	switch {
	case e.MovedTo != "":
		s += "; moved it to " + e.MovedTo + ", the next sync writes a new one"
	case e.MoveFail != nil:
		s += "; could not move it aside (" + e.MoveFail.Error() + "); delete it by hand"
	}
	return s
}

func (e *CacheDamageError) Unwrap() []error { return []error{ErrCacheDamaged, e.Err} }

// A CacheEntry is what the cache keeps of the last good sync. It never holds a credential: the
// delta link is Graph's sync state, which is useless without the user's token.
type CacheEntry struct {
	LastSync time.Time // when the sync that produced Delta succeeded
	Delta    Delta     // the window, its appointments (unfiltered) and the delta link
}

// cacheFile is the cache's JSON form.
type cacheFile struct {
	Version  int       `json:"version"`
	SavedAt  time.Time `json:"saved_at"`
	LastSync time.Time `json:"last_sync"`
	Delta    *Delta    `json:"delta"`
}

// A Cache is the agenda on disk, so it survives restarts and outages. Writes are atomic; it is
// safe for concurrent use, and other processes writing the same file cannot interleave with it
// (each write renames a complete file into place).
type Cache struct {
	path string
	now  func() time.Time
	mu   gosync.Mutex // orders this process's writes and moves

	// readFile reads the cache file; os.ReadFile, replaced by tests to inject read errors
	// (they run as root, where a mode of 000 blocks nothing).
	readFile func(string) ([]byte, error)

	// Guarded by mu:
	log       *slog.Logger // nil: slog.Default()
	leftovers []string     // stale temporary files NewCache removed, until logged
	leftErr   error        // why NewCache could not remove some, until logged
}

// SetLogger sets where the cache logs what it did on its own: events it left out of a save,
// leftover temporary files it removed. Without one it logs to slog.Default().
func (c *Cache) SetLogger(l *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = l
	c.reportLeftoversLocked()
}

func (c *Cache) logger() *slog.Logger {
	if c.log == nil {
		return slog.Default()
	}
	return c.log
}

// reportLeftoversLocked logs, once, the leftover temporary files NewCache removed. It runs
// when the caller has had a chance to set the logger (SetLogger, or the first Load or Save).
func (c *Cache) reportLeftoversLocked() {
	if c.leftovers == nil && c.leftErr == nil {
		return
	}
	if len(c.leftovers) > 0 {
		c.logger().Info("cache: removed leftover temporary files of an interrupted write", "dir", filepath.Dir(c.path), "files", c.leftovers)
	}
	if c.leftErr != nil {
		c.logger().Warn("cache: could not remove leftover temporary files", "err", c.leftErr)
	}
	c.leftovers, c.leftErr = nil, nil
}

// CacheDir returns caltray's cache directory: os.UserCacheDir()/caltray ($XDG_CACHE_HOME/caltray
// on Linux, which tests point elsewhere).
func CacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache: no user cache directory (set $HOME or $XDG_CACHE_HOME): %w", err)
	}
	return filepath.Join(dir, "caltray"), nil
}

// NewCache returns the cache in dir, creating dir (mode 0700) if needed, and removes the
// temporary files that writes interrupted by a crash or kill -9 left behind (only those of the
// cache's own naming at least StaleTempAge old: another caltray may be writing right now). now
// names the files that damaged caches are moved to and dates the leftovers; nil means time.Now.
func NewCache(dir string, now func() time.Time) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: empty directory name")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: create directory: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	c := &Cache{path: filepath.Join(dir, cacheName), now: now, readFile: readFile}
	c.leftovers, c.leftErr = RemoveStaleTemps(dir, []string{TempPrefix(cacheName)}, now())
	return c, nil
}

// Path returns the cache file's path.
func (c *Cache) Path() string { return c.path }

// Load reads the cache. It returns ErrNoCache if there is none; a *CacheReadError (matching
// ErrCacheUnreadable) if the file cannot be read, which leaves it in place; and a
// *CacheDamageError (matching ErrCacheDamaged) if the file was read and is corrupt, truncated
// or of a future version: such a file is moved aside to cache.json.damaged-<time>, so it is
// kept for a bug report but never read again.
//
// The file is untrusted input like Graph's answers (anything running as the user can write
// it): the text of every appointment passes through inert on the way in.
func (c *Cache) Load() (CacheEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reportLeftoversLocked()
	data, err := c.readFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return CacheEntry{}, ErrNoCache
	}
	if err != nil {
		// Not damage: nothing was read that could be judged. Moving the file aside would lose
		// the last good agenda over a permission that is fixed in a second.
		return CacheEntry{}, &CacheReadError{Path: c.path, Err: err}
	}
	var f cacheFile
	if err := json.Unmarshal(data, &f); err != nil {
		var syn *json.SyntaxError
		// encoding/json has no error type for input that stops inside a value; its message is stable.
		if errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input" {
			return CacheEntry{}, c.damaged("truncated", err)
		}
		return CacheEntry{}, c.damaged("corrupt", err)
	}
	switch {
	case f.Version > CacheVersion:
		return CacheEntry{}, c.damaged("from a newer caltray",
			fmt.Errorf("format version %d, this build reads version %d", f.Version, CacheVersion))
	case f.Version < 1:
		return CacheEntry{}, c.damaged("corrupt", fmt.Errorf("format version %d is not a version", f.Version))
	case f.Delta == nil:
		return CacheEntry{}, c.damaged("corrupt", errors.New("it has no agenda"))
	}
	if err := checkDelta(*f.Delta); err != nil {
		return CacheEntry{}, c.damaged("corrupt", err)
	}
	for i := range f.Delta.Appointments {
		makeInert(&f.Delta.Appointments[i])
	}
	if f.Version <= cacheVersionNoReminders {
		f.Delta.Link = "" // the next sync is a full one, which reads every meeting's reminder
	}
	return CacheEntry{LastSync: f.LastSync, Delta: *f.Delta}, nil
}

// makeInert makes a's text safe to show. Every field here is shown on one line (a table
// cell, a menu label, a notification title), hence inert.Line; the id is an opaque key that
// is only ever logged, and the log quotes what it holds.
func makeInert(a *Appointment) {
	a.Subject = inert.Line(a.Subject)
	a.Location = inert.Line(a.Location)
	a.Organizer = inert.Line(a.Organizer)
	a.JoinURL = inert.Line(a.JoinURL)
	a.WebLink = inert.Line(a.WebLink)
}

// checkDelta rejects a decoded agenda that no sync could have written.
func checkDelta(d Delta) error {
	if err := checkWindow(d); err != nil {
		return err
	}
	for i, a := range d.Appointments {
		if err := checkAppointment(a); err != nil {
			return fmt.Errorf("appointment %d %w", i, err)
		}
	}
	return nil
}

func checkWindow(d Delta) error {
	if !d.To.After(d.From) {
		return fmt.Errorf("its window ends (%s) before it starts (%s)", d.To.Format(time.RFC3339), d.From.Format(time.RFC3339))
	}
	return nil
}

// checkAppointment says what is wrong with a, in words that follow "appointment N".
func checkAppointment(a Appointment) error {
	if a.ID == "" {
		return errors.New("has no id")
	}
	if a.End.Before(a.Start) {
		return errors.New("ends before it starts")
	}
	// time.Time's MarshalJSON refuses years outside 0..9999 (of the time in its own zone): one
	// such time would fail the encoding of the whole file.
	for _, t := range []time.Time{a.Start, a.End} {
		if y := t.Year(); y < 0 || y > 9999 {
			return fmt.Errorf("has a time in year %d, which the cache cannot store (years 0 to 9999)", y)
		}
	}
	return nil
}

// damaged moves the cache file aside and returns the error that says so. c.mu is held.
func (c *Cache) damaged(reason string, cause error) error {
	e := &CacheDamageError{Path: c.path, Reason: reason, Err: cause}
	to := fmt.Sprintf("%s.damaged-%s", c.path, c.now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(c.path, to); err != nil {
		if !errors.Is(err, fs.ErrNotExist) { // another process moved it first: nothing to do
			e.MoveFail = err
		}
	} else {
		e.MovedTo = to
	}
	return e
}

// Save writes e as the cache, atomically and with mode 0600. An appointment the cache cannot
// store (no id, ending before it starts, a time outside years 0..9999) is left out with a log
// line naming its id, never its subject: one bad event must not keep the rest of the agenda
// from being saved, or the offline agenda would silently stay at an older sync. (sync/graph
// clamps such times at intake; this is the second line of defence.) A window that ends before
// it starts is an error: no sync makes one.
func (c *Cache) Save(e CacheEntry) error {
	if err := checkWindow(e.Delta); err != nil {
		return fmt.Errorf("cache: refusing to save an invalid agenda: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reportLeftoversLocked()
	d := e.Delta
	d.Appointments = make([]Appointment, 0, len(e.Delta.Appointments)) // "[]", not null: an empty agenda is data
	for _, a := range e.Delta.Appointments {
		if err := checkAppointment(a); err != nil {
			c.logger().Warn("cache: an event was left out of the cache", "id", a.ID, "reason", "it "+err.Error())
			continue
		}
		d.Appointments = append(d.Appointments, a)
	}
	data, err := json.Marshal(cacheFile{Version: CacheVersion, SavedAt: c.now().UTC(), LastSync: e.LastSync, Delta: &d})
	if err != nil {
		return fmt.Errorf("cache: encode: %w", err)
	}
	if err := WriteFileAtomic(c.path, data); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
