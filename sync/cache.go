package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	gosync "sync"
	"time"
)

// CacheVersion is the version of the cache file format this build reads and writes. A file of
// a later version (from a newer caltray) is set aside rather than misread.
const CacheVersion = 1

// cacheName is the cache file's name inside the cache directory.
const cacheName = "cache.json"

// ErrNoCache is returned by Cache.Load when there is no cache file yet.
var ErrNoCache = errors.New("no cached agenda")

// ErrCacheDamaged is matched (errors.Is) by Cache.Load's error for a cache file that could not
// be used: it was moved aside (see CacheDamageError) and the next good sync writes a new one.
var ErrCacheDamaged = errors.New("cache file damaged")

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

// NewCache returns the cache in dir, creating dir (mode 0700) if needed. now names the files
// that damaged caches are moved to; nil means time.Now.
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
	return &Cache{path: filepath.Join(dir, cacheName), now: now}, nil
}

// Path returns the cache file's path.
func (c *Cache) Path() string { return c.path }

// Load reads the cache. It returns ErrNoCache if there is none, and a *CacheDamageError
// (matching ErrCacheDamaged) if the file is corrupt, truncated, unreadable or of a future
// version: such a file is moved aside to cache.json.damaged-<time>, so it is kept for a bug
// report but never read again.
func (c *Cache) Load() (CacheEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return CacheEntry{}, ErrNoCache
	}
	if err != nil {
		return CacheEntry{}, c.damaged("unreadable", err)
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
	return CacheEntry{LastSync: f.LastSync, Delta: *f.Delta}, nil
}

// checkDelta rejects a decoded agenda that no sync could have written.
func checkDelta(d Delta) error {
	if !d.To.After(d.From) {
		return fmt.Errorf("its window ends (%s) before it starts (%s)", d.To.Format(time.RFC3339), d.From.Format(time.RFC3339))
	}
	for i, a := range d.Appointments {
		if a.ID == "" {
			return fmt.Errorf("appointment %d has no id", i)
		}
		if a.End.Before(a.Start) {
			return fmt.Errorf("appointment %d ends before it starts", i)
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

// Save writes e as the cache, atomically and with mode 0600.
func (c *Cache) Save(e CacheEntry) error {
	if err := checkDelta(e.Delta); err != nil {
		return fmt.Errorf("cache: refusing to save an invalid agenda: %w", err)
	}
	d := e.Delta
	if d.Appointments == nil {
		d.Appointments = []Appointment{} // "[]", not null: an empty agenda is data, not damage
	}
	data, err := json.Marshal(cacheFile{Version: CacheVersion, SavedAt: c.now().UTC(), LastSync: e.LastSync, Delta: &d})
	if err != nil {
		return fmt.Errorf("cache: encode: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := writeFileAtomic(c.path, data); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
