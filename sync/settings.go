package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Settings are what the user can change about the sync: the window it covers, how often it
// runs, which events the agenda hides, and when the UI reminds. The Preferences window writes
// them with SaveSettings; the loop picks them up through Loop.SetSettings.
type Settings struct {
	// WindowDays is how many days after today the agenda covers: the window runs from local
	// midnight today to the midnight that ends day today+WindowDays. 0 means today only.
	WindowDays int
	// Interval is the time between two periodic syncs (each is jittered by ±10%).
	Interval time.Duration
	// HideDeclined, HideCancelled and HideAllDay leave those events out of the agenda.
	HideDeclined  bool
	HideCancelled bool
	HideAllDay    bool
	// Reminders says which reminders the tray shows: each meeting's own, as set in Outlook
	// (the default, also meant by ""), ReminderMinutes before every meeting, or none.
	Reminders ReminderMode
	// ReminderMinutes is how long before every meeting the tray reminds in RemindersFixed
	// mode; 0 reminds at the start.
	ReminderMinutes int
	// RemindAllDay lets all-day events remind too (by default they do not: an all-day event
	// is a day's label, a holiday or an absence, rarely something to be at).
	RemindAllDay bool
	// StartWindow shows a small window, brought to the front, when a meeting starts: harder
	// to miss than a notification.
	StartWindow bool
}

// ReminderMode is when the tray reminds of a meeting.
type ReminderMode string

// The reminder modes, as written in the settings file.
const (
	RemindersOutlook ReminderMode = "outlook" // each meeting's own reminder; none where it has none
	RemindersFixed   ReminderMode = "fixed"   // ReminderMinutes before every meeting
	RemindersOff     ReminderMode = "off"     // no reminders
)

// The limits Validate enforces. The interval's floor keeps caltray far from Graph's throttling
// limits; the window's ceiling keeps one sync to a few pages.
const (
	MinInterval   = time.Minute
	MaxInterval   = 24 * time.Hour
	MaxWindowDays = 60
	MaxReminder   = 24 * 60
)

// DefaultSettings returns the settings caltray starts with: today through 7 days ahead,
// a sync every 5 minutes, nothing hidden, reminders when Outlook would remind (and 5 minutes
// before, should the user choose one lead for every meeting).
func DefaultSettings() Settings {
	return Settings{
		WindowDays:      7,
		Interval:        5 * time.Minute,
		Reminders:       RemindersOutlook,
		ReminderMinutes: 5,
	}
}

// Validate reports every setting out of range, each named as in the settings file.
func (s Settings) Validate() error {
	var errs []error
	if s.WindowDays < 0 || s.WindowDays > MaxWindowDays {
		errs = append(errs, fmt.Errorf("window_days is %d; it must be between 0 (today only) and %d", s.WindowDays, MaxWindowDays))
	}
	if s.Interval < MinInterval || s.Interval > MaxInterval {
		errs = append(errs, fmt.Errorf("interval is %v; it must be between %v and %v (e.g. \"5m\")", s.Interval, MinInterval, MaxInterval))
	}
	switch s.Reminders {
	case "", RemindersOutlook, RemindersFixed, RemindersOff:
	default:
		errs = append(errs, fmt.Errorf("reminders is %q; it must be %q (as set in Outlook), %q (reminder_minutes before every meeting) or %q",
			s.Reminders, RemindersOutlook, RemindersFixed, RemindersOff))
	}
	if s.ReminderMinutes < 0 || s.ReminderMinutes > MaxReminder {
		errs = append(errs, fmt.Errorf("reminder_minutes is %d; it must be between 0 (at the start) and %d", s.ReminderMinutes, MaxReminder))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid settings: %w", err)
	}
	return nil
}

// Window returns the window the settings select on the day of now, in loc.
func (s Settings) Window(now time.Time, loc *time.Location) (from, to time.Time) {
	y, m, d := now.In(loc).Date()
	from = time.Date(y, m, d, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, s.WindowDays+1)
}

// settingsFile is the settings' JSON form. The interval is a Go duration string ("5m"),
// which a person editing the file can read, unlike nanoseconds.
type settingsFile struct {
	WindowDays      int    `json:"window_days"`
	Interval        string `json:"interval"`
	HideDeclined    bool   `json:"hide_declined"`
	HideCancelled   bool   `json:"hide_cancelled"`
	HideAllDay      bool   `json:"hide_all_day"`
	Reminders       string `json:"reminders"`
	ReminderMinutes int    `json:"reminder_minutes"`
	RemindAllDay    bool   `json:"remind_all_day"`
	StartWindow     bool   `json:"start_window"`
}

// file is s in the settings file's form.
func (s Settings) file() settingsFile {
	return settingsFile{
		WindowDays:      s.WindowDays,
		Interval:        s.Interval.String(),
		HideDeclined:    s.HideDeclined,
		HideCancelled:   s.HideCancelled,
		HideAllDay:      s.HideAllDay,
		Reminders:       string(s.Reminders),
		ReminderMinutes: s.ReminderMinutes,
		RemindAllDay:    s.RemindAllDay,
		StartWindow:     s.StartWindow,
	}
}

// MarshalJSON writes the settings file's form.
func (s Settings) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.file())
}

// UnmarshalJSON reads the settings file's form. Fields missing from data keep their values
// in s, so decoding over DefaultSettings fills the gaps with defaults.
func (s *Settings) UnmarshalJSON(data []byte) error {
	f := s.file()
	if err := json.Unmarshal(data, &f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: expected a JSON %s, found %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return err
	}
	d, err := time.ParseDuration(f.Interval)
	if err != nil {
		return fmt.Errorf("interval: %q is not a duration; write it like \"5m\" or \"1h30m\"", f.Interval)
	}
	mode := ReminderMode(f.Reminders)
	// A file from before the reminder modes has no "reminders" key; in it, reminder_minutes 0
	// meant "no reminders", and it still does. The rule reads what data says, never the
	// values it is decoded over: a user file silent on reminders keeps the managed
	// configuration's "fixed" with 0 minutes (remind at the start).
	if f.ReminderMinutes == 0 && hasKey(data, "reminder_minutes") && !hasKey(data, "reminders") {
		mode = RemindersOff
	}
	if mode == "" {
		mode = s.Reminders
		if mode == "" {
			mode = RemindersOutlook
		}
	}
	*s = Settings{
		WindowDays:      f.WindowDays,
		Interval:        d,
		HideDeclined:    f.HideDeclined,
		HideCancelled:   f.HideCancelled,
		HideAllDay:      f.HideAllDay,
		Reminders:       mode,
		ReminderMinutes: f.ReminderMinutes,
		RemindAllDay:    f.RemindAllDay,
		StartWindow:     f.StartWindow,
	}
	return nil
}

// hasKey reports whether data, a JSON object, has the top-level key, matched without case as
// encoding/json matches keys.
func hasKey(data []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64":
		return "whole number"
	case "bool":
		return "true or false"
	}
	return goKind
}

// SettingsPath returns where the settings live: os.UserConfigDir()/caltray/settings.json.
func SettingsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("settings: no user config directory (set $HOME or $XDG_CONFIG_HOME): %w", err)
	}
	return filepath.Join(dir, "caltray", "settings.json"), nil
}

// LoadSettings is ReadSettings without the warnings.
//
// Deprecated: use ReadSettings and show its warnings; this one drops them.
func LoadSettings(path string) (Settings, error) {
	s, _, err := ReadSettings(path)
	return s, err
}

// utf8BOM is the byte order mark Windows editors (Notepad) put at the start of UTF-8 files.
var utf8BOM = []byte("\uFEFF")

// ReadSettings reads the settings at path. A missing file gives DefaultSettings and no error.
// A file that cannot be read or parsed, or holds values out of range, gives DefaultSettings
// and an error naming the file and the field: the caller reports it and runs on the defaults.
// The file is left as it is, so the user can fix it. A UTF-8 byte order mark is accepted.
//
// The warnings are what is not wrong enough to refuse the file but should not pass unseen:
// each unknown key (a typo, or a setting of a newer caltray), naming it and the closest known
// key. The caller shows each to the user (stderr, the log); the settings are used.
//
// It also removes the settings' leftover temporary files (see RemoveStaleTemps): it runs at
// start, when such files can only be an interrupted write's.
func ReadSettings(path string) (Settings, []string, error) {
	return ReadSettingsOver(path, DefaultSettings())
}

// ReadSettingsOver is ReadSettings with def in place of DefaultSettings: the keys the file
// leaves out keep def's values, and def is what a missing or bad file gives. The managed
// configuration's settings defaults (package preset) come in here, below the user's own file.
func ReadSettingsOver(path string, def Settings) (Settings, []string, error) {
	var warns []string
	if _, err := RemoveStaleTemps(filepath.Dir(path), []string{TempPrefix(filepath.Base(path))}, time.Now()); err != nil {
		warns = append(warns, fmt.Sprintf("settings: %v", err))
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return def, warns, nil
	}
	if err != nil {
		return def, warns, fmt.Errorf("settings file %s cannot be read, using defaults: %w", path, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return def, warns, fmt.Errorf("settings file %s is saved as UTF-16, using defaults; save it as UTF-8", path)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return def, warns, fmt.Errorf("settings file %s is empty, using defaults; delete it or write the settings as JSON", path)
	}
	s := def
	if err := json.Unmarshal(data, &s); err != nil {
		return def, warns, fmt.Errorf("settings file %s is not valid, using defaults; fix or delete it: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return def, warns, fmt.Errorf("settings file %s: %w; using defaults until it is fixed", path, err)
	}
	return s, append(warns, unknownKeys(path, data)...), nil
}

// settingsKeys are the settings file's keys, in settingsFile's order.
var settingsKeys = func() []string {
	t := reflect.TypeFor[settingsFile]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return keys
}()

// SettingsKeys returns the settings file's keys, for messages about other files that hold
// settings (the managed configuration's "settings" object).
func SettingsKeys() []string { return slices.Clone(settingsKeys) }

// unknownKeys returns a warning for each top-level key of data (valid JSON) that is no
// setting. encoding/json matches keys regardless of case, so "Window_Days" is read and known.
func unknownKeys(path string, data []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	var unknown []string
	for k := range m {
		if !slices.ContainsFunc(settingsKeys, func(known string) bool { return strings.EqualFold(k, known) }) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	var warns []string
	for _, k := range unknown {
		shown := k
		if r := []rune(k); len(r) > 40 {
			shown = string(r[:40]) + "…"
		}
		// %q writes control and bidi characters as escapes: the key is the file's, untrusted.
		w := fmt.Sprintf("settings file %s: unknown key %q is ignored; ", path, shown)
		if c := closestKey(k); c != "" {
			w += fmt.Sprintf("did you mean %q?", c)
		} else {
			w += "the known keys are " + quoteAll(settingsKeys)
		}
		warns = append(warns, w)
	}
	return warns
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// closestKey returns the known key nearest to k, compared without case, "_" and "-" (so
// "windowDays" and "window-days" are close to "window_days"), or "" if none is near enough
// to be a plausible typo: at most a third of the key's letters differ.
func closestKey(k string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(s))
	}
	nk := norm(k)
	best, bestD := "", -1
	for _, known := range settingsKeys {
		d := editDistance(nk, norm(known))
		if bestD < 0 || d < bestD {
			best, bestD = known, d
		}
	}
	if bestD*3 > len(norm(best)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// SaveSettings is SaveSettingsOver with the built-in defaults.
func SaveSettings(path string, s Settings) error {
	return SaveSettingsOver(path, s, DefaultSettings())
}

// SaveSettingsOver validates s and writes to path, atomically (mode 0600, creating the
// directory), the keys whose values differ from def: the defaults in force, the managed
// configuration's over the built-in ones, which ReadSettingsOver reads the file over. A key
// left out follows def, so an administrator's later change of a default still reaches a user
// who saved the Preferences once, for every setting that user did not change. reminders is
// written whenever reminder_minutes is: alone, reminder_minutes 0 would read as the old
// files' "no reminders".
func SaveSettingsOver(path string, s, def Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	for _, x := range []*Settings{&s, &def} {
		if x.Reminders == "" {
			x.Reminders = RemindersOutlook
		}
	}
	fields := func(x Settings) (map[string]json.RawMessage, error) {
		data, err := json.Marshal(x.file())
		if err != nil {
			return nil, err
		}
		var m map[string]json.RawMessage
		return m, json.Unmarshal(data, &m)
	}
	mine, err := fields(s)
	if err != nil {
		return fmt.Errorf("settings: encode: %w", err)
	}
	base, err := fields(def)
	if err != nil {
		return fmt.Errorf("settings: encode: %w", err)
	}
	differs := func(k string) bool { return !bytes.Equal(mine[k], base[k]) }
	var b bytes.Buffer
	b.WriteString("{")
	n := 0
	for _, k := range settingsKeys {
		if !differs(k) && !(k == "reminders" && differs("reminder_minutes")) {
			continue
		}
		if n > 0 {
			b.WriteString(",")
		}
		n++
		fmt.Fprintf(&b, "\n  %q: %s", k, mine[k])
	}
	if n > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("settings: create directory: %w", err)
	}
	if err := WriteFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}
