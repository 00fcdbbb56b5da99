// caltray's log: log/slog text lines to stderr and to a size-capped file in the cache
// directory, with secrets kept out of both and every line inert.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"
)

// logFileName is the log file's name in the log directory; the previous one is logFileName + ".1".
const logFileName = "caltray.log"

// logMaxBytes caps the log file: at the cap it is renamed to caltray.log.1 (replacing the
// one before) and a new file starts, so the log never takes more than twice this on disk.
const logMaxBytes = 1 << 20

// redacted replaces secrets in the log.
const redacted = "[redacted]"

// logOptions say where the log goes.
type logOptions struct {
	Dir      string    // directory of the log file; empty: no file
	Stderr   io.Writer // nil: no terminal output
	Debug    bool      // log debug lines too (default: info and above)
	MaxBytes int64     // file cap; 0 means logMaxBytes
	// Secrets are strings that must never appear in the log, such as CALTRAY_ACCESS_TOKEN's
	// value: every occurrence is replaced by "[redacted]" in every line, whatever logged it.
	Secrets []string
}

// sensitiveKeys are attribute keys whose values are replaced whatever they hold.
var sensitiveKeys = []string{"authorization", "token", "access_token", "refresh_token", "id_token",
	"password", "secret", "client_secret", "cookie", "set-cookie"}

// newLogger returns the logger and a Close function that closes the log file. It fails only if the
// log file cannot be opened.
func newLogger(opts logOptions) (*slog.Logger, func() error, error) {
	var writers []io.Writer
	closeFn := func() error { return nil }
	if opts.Stderr != nil {
		writers = append(writers, opts.Stderr)
	}
	if opts.Dir != "" {
		max := opts.MaxBytes
		if max <= 0 {
			max = logMaxBytes
		}
		f, err := openCapped(filepath.Join(opts.Dir, logFileName), max)
		if err != nil {
			return nil, nil, err
		}
		writers = append(writers, f)
		closeFn = f.Close
	}
	level := slog.LevelInfo
	if opts.Debug {
		level = slog.LevelDebug
	}
	w := &redactor{w: tee(writers), secrets: secretBytes(opts.Secrets)}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr})
	return slog.New(h), closeFn, nil
}

// redactAttr blanks attributes whose key names a credential, whatever logged them.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	for _, k := range sensitiveKeys {
		if strings.EqualFold(a.Key, k) {
			return slog.String(a.Key, redacted)
		}
	}
	return a
}

func secretBytes(secrets []string) [][]byte {
	var out [][]byte
	for _, s := range secrets {
		// Very short strings would blank ordinary words; no real token is that short.
		if s = strings.TrimSpace(s); len(s) >= 8 {
			out = append(out, []byte(s))
		}
	}
	return out
}

// redactor replaces secrets in each write, then escapes what could act on a terminal. slog
// writes one whole line per Write, so a secret is never split across two writes.
type redactor struct {
	w       io.Writer
	secrets [][]byte
}

func (r *redactor) Write(p []byte) (int, error) {
	out := p
	for _, s := range r.secrets {
		if bytes.Contains(out, s) {
			out = bytes.ReplaceAll(out, s, []byte(redacted))
		}
	}
	out = escapeLine(out)
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// tee writes to every writer even when one fails (a closed terminal must not stop the log
// file, nor a full disk the terminal), unlike io.MultiWriter, and reports the first error.
type tee []io.Writer

func (t tee) Write(p []byte) (int, error) {
	var first error
	for _, w := range t {
		if _, err := w.Write(p); err != nil && first == nil {
			first = err
		}
	}
	return len(p), first
}

// capped is a log file that starts over, keeping one previous file, when it reaches max bytes.
type capped struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
}

func openCapped(path string, max int64) (*capped, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	c := &capped{path: path, max: max}
	if err := c.open(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *capped) open() error {
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	c.f, c.size = f, fi.Size()
	return nil
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return 0, errors.New("log file closed")
	}
	if c.size > 0 && c.size+int64(len(p)) > c.max {
		if err := c.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := c.f.Write(p)
	c.size += int64(n)
	return n, err
}

// rotate moves the full file to path.1 and starts an empty one. c.mu is held.
func (c *capped) rotate() error {
	c.f.Close()
	c.f = nil
	if err := os.Rename(c.path, c.path+".1"); err != nil {
		// The cap matters more than the old lines: start the file over in place.
		if err := os.Truncate(c.path, 0); err != nil {
			return fmt.Errorf("log file: rotate: %w", err)
		}
	}
	return c.open()
}

// Close closes the file; later writes fail.
func (c *capped) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// escapeLine writes as \xNN or \uNNNN escapes the characters of a log line that a terminal or
// a viewer may act on: C0 controls but the line's final \n, DEL, C1 controls, bidi controls
// and marks, the line and paragraph separators, and the BOM. slog's TextHandler quotes most
// of them in values it writes (strconv.Quote escapes what unicode.IsPrint refuses), but not
// DEL, and a value it finds safe is written unquoted: so every line passes here, whichever
// attribute, message or handler option produced it. Text the log quotes stays readable:
// "a\x7fb" rather than a silently cleaned "ab".
func escapeLine(p []byte) []byte {
	body := bytes.TrimSuffix(p, []byte("\n"))
	clean := true
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if mustEscape(r, n) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return p
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		switch {
		case !mustEscape(r, n):
			out = append(out, body[i:i+n]...)
		case r < utf8.RuneSelf || (r == utf8.RuneError && n == 1):
			out = fmt.Appendf(out, `\x%02x`, body[i])
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return append(out, p[len(body):]...)
}

// mustEscape reports the runes escapeLine escapes; n is the rune's length in bytes.
func mustEscape(r rune, n int) bool {
	switch {
	case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F):
		return true
	case r == utf8.RuneError && n == 1: // invalid UTF-8: shown as the byte it is
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069: // embeddings, overrides, isolates
		return true
	case r == 0x200E || r == 0x200F || r == 0x061C: // LRM, RLM, ALM
		return true
	case r == 0x2028 || r == 0x2029 || r == 0xFEFF:
		return true
	}
	return false
}
