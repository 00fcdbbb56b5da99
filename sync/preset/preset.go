// Package preset reads caltray's managed configuration: the file an administrator deploys,
// system-wide, to preset the app registration (client ID, tenant, authority, Graph URL) and the
// defaults of the user's settings, so that nobody in the organisation has to type a GUID.
//
// Where the file is (a contract, docs/DESIGN.md "Managed configuration"):
//   - Linux and other Unix-likes: caltray/caltray.json in the first directory of
//     $XDG_CONFIG_DIRS that has one (default /etc/xdg), as the XDG Base Directory
//     specification orders system configuration;
//   - Windows: %ProgramData%\caltray\caltray.json;
//   - macOS: /Library/Application Support/caltray/caltray.json.
//
// The file is read at every start. Its values are the lowest layer above the built-in
// defaults: flags, then the environment, then the user's own account record and settings come
// first (the main package applies that order; package auth reconciles an account signed in
// under an earlier client ID of this file). A damaged or invalid file is an error naming the
// file and the key; an unknown key is a warning naming it: nothing in it is silently ignored.
package preset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	calsync "caltray/sync"
	"caltray/sync/origin"
)

// The file's keys, a contract with administrators (docs/DESIGN.md, README).
const (
	KeyClientID  = "client_id"
	KeyTenant    = "tenant"
	KeyAuthority = "authority"
	KeyGraphURL  = "graph_url"
	KeySettings  = "settings"
)

// keys are the known top-level keys, in the order messages list them.
var keys = []string{KeyClientID, KeyTenant, KeyAuthority, KeyGraphURL, KeySettings}

// fileName is the file's path below its base directory, in its parts.
var fileName = []string{"caltray", "caltray.json"}

// A File is the managed configuration as read. Empty strings are values the file does not set.
// The sign-in values are checked for their form here only as far as JSON goes; package auth
// checks them as it checks its flags (auth.Managed.Check), so one rule serves both.
type File struct {
	// Path is where the file was read from: messages and `caltray whoami` name it.
	Path string

	ClientID  string
	Tenant    string
	Authority string
	// GraphURL is checked here with origin.ParseGraph, the rule --graph-url follows.
	GraphURL string
	// Settings are the defaults of the user's settings: DefaultSettings with the file's
	// "settings" object applied. Nil when the file has none. The user's settings file is read
	// over them, so a key the user set wins and a key the user left out takes the file's.
	Settings *calsync.Settings
}

// Candidates returns the paths where the managed configuration may be on goos, in the order
// they are looked at, reading the environment through getenv. It touches no file.
func Candidates(goos string, getenv func(string) string) []string {
	switch goos {
	case "windows":
		base := getenv("ProgramData")
		if base == "" {
			// Windows always sets ProgramData; a process started with an emptied
			// environment still has the system drive's ProgramData folder.
			drive := getenv("SystemDrive")
			if drive == "" {
				drive = "C:"
			}
			base = drive + `\ProgramData`
		}
		return []string{join(`\`, base, fileName...)}
	case "darwin", "ios":
		return []string{join("/", "/Library/Application Support", fileName...)}
	}
	// Linux and the other Unix-likes follow the XDG Base Directory specification: an unset
	// or empty $XDG_CONFIG_DIRS means /etc/xdg, and a relative entry is invalid and ignored.
	var paths []string
	for _, dir := range strings.Split(getenv("XDG_CONFIG_DIRS"), ":") {
		if strings.HasPrefix(dir, "/") {
			paths = append(paths, join("/", dir, fileName...))
		}
	}
	if len(paths) == 0 {
		paths = []string{join("/", "/etc/xdg", fileName...)}
	}
	return paths
}

// join joins base and parts with sep, dropping a separator base already ends with. It is not
// filepath.Join because Candidates answers for any goos, not only the one it runs on.
func join(sep, base string, parts ...string) string {
	return strings.TrimRight(base, sep) + sep + strings.Join(parts, sep)
}

// Find returns the first of Candidates(goos, getenv) that exists, as stat sees it, or "" if
// none does. A path stat cannot rule out (permission denied, an I/O error) counts as
// existing, so that reading it reports the problem instead of skipping an administrator's file.
func Find(goos string, getenv func(string) string, stat func(string) (fs.FileInfo, error)) string {
	for _, p := range Candidates(goos, getenv) {
		if _, err := stat(p); !errors.Is(err, fs.ErrNotExist) {
			return p
		}
	}
	return ""
}

// Load finds and reads the managed configuration of this machine. No file is no error: the
// zero File (empty Path). See Read for the warnings and the error.
func Load() (File, []string, error) {
	path := Find(runtime.GOOS, os.Getenv, os.Stat)
	if path == "" {
		return File{}, nil, nil
	}
	return Read(path)
}

// Read reads the managed configuration at path. The error names the file and, where there is
// one, the key, and says what to do; with it the File is zero (a half-read registration is
// worse than none). The warnings name each unknown key; the File is used.
func Read(path string) (File, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, nil, fmt.Errorf("the managed configuration %s cannot be read (%v); ask your administrator to make it readable by every user", path, errText(err))
	}
	return Parse(path, data)
}

// errText is err's text without the path os.ReadFile's PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// utf8BOM is the byte order mark Windows editors (Notepad) put at the start of UTF-8 files.
var utf8BOM = []byte("\uFEFF")

// Parse reads the managed configuration in data; path names it in messages.
func Parse(path string, data []byte) (File, []string, error) {
	bad := func(format string, args ...any) (File, []string, error) {
		return File{}, nil, fmt.Errorf("the managed configuration %s %s", path, fmt.Sprintf(format, args...))
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return bad("is saved as UTF-16; save it as UTF-8")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return bad("is empty; write a JSON object such as {\"client_id\": \"…\"}, or remove the file")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the offending one included.
			line, col := position(data, se.Offset-1)
			return bad("is not valid JSON at line %d, column %d (%s); fix the file", line, col, se.Error())
		}
		return bad("must hold one JSON object, such as {\"client_id\": \"…\"}")
	}
	f := File{Path: path}
	for _, k := range []struct {
		key string
		dst *string
	}{{KeyClientID, &f.ClientID}, {KeyTenant, &f.Tenant}, {KeyAuthority, &f.Authority}, {KeyGraphURL, &f.GraphURL}} {
		raw, ok := m[k.key]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return bad("has key %q, which must be a string", k.key)
		}
		if s = strings.TrimSpace(s); s == "" {
			return bad("has key %q with an empty value; give a value or remove the key", k.key)
		}
		*k.dst = s
	}
	if f.GraphURL != "" {
		if _, err := origin.ParseGraph(f.GraphURL); err != nil {
			return bad("has key %q that is not usable: %v", KeyGraphURL, err)
		}
	}
	var warns []string
	if raw, ok := m[KeySettings]; ok {
		s, sw, err := parseSettings(raw)
		if err != nil {
			return bad("has key %q that is not usable: %v", KeySettings, err)
		}
		f.Settings = &s
		for _, w := range sw {
			warns = append(warns, fmt.Sprintf("the managed configuration %s: %s", path, w))
		}
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(keys, k) {
			warns = append(warns, fmt.Sprintf("the managed configuration %s has the unknown key %s, which is ignored; the known keys are %s",
				path, quote(k), quoteAll(keys)))
		}
	}
	return f, warns, nil
}

// parseSettings reads the "settings" object over DefaultSettings, as the user's settings file
// is read, and names each key in it that is no setting.
func parseSettings(raw json.RawMessage) (calsync.Settings, []string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return calsync.Settings{}, nil, errors.New("it must be a JSON object of settings, such as {\"interval\": \"10m\"}")
	}
	s := calsync.DefaultSettings()
	if err := json.Unmarshal(raw, &s); err != nil {
		return calsync.Settings{}, nil, err
	}
	if err := s.Validate(); err != nil {
		return calsync.Settings{}, nil, err
	}
	known := calsync.SettingsKeys()
	var warns []string
	for _, k := range sortedKeys(m) {
		// encoding/json matched the keys regardless of case: so does this.
		if !slices.ContainsFunc(known, func(kk string) bool { return strings.EqualFold(k, kk) }) {
			warns = append(warns, fmt.Sprintf("key %q has the unknown setting %s, which is ignored; the known settings are %s",
				KeySettings, quote(k), quoteAll(known)))
		}
	}
	return s, warns, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// quote quotes a key from the file for a message: strconv.Quote writes control and bidi
// characters as escapes (the file is untrusted text), and a long key is cut.
func quote(k string) string {
	if r := []rune(k); len(r) > 40 {
		k = string(r[:40]) + "…"
	}
	return strconv.Quote(k)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// position turns the 0-based byte offset into data into a 1-based line and column (in bytes).
func position(data []byte, offset int64) (line, col int) {
	offset = max(offset, 0)
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
