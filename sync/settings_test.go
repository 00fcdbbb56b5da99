package sync

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"caltray/sync/internal/tempdir"
)

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Settings)
		want string // "" means valid
	}{
		{"defaults", func(*Settings) {}, ""},
		{"today only", func(s *Settings) { s.WindowDays = 0 }, ""},
		{"longest window", func(s *Settings) { s.WindowDays = MaxWindowDays }, ""},
		{"negative window", func(s *Settings) { s.WindowDays = -1 }, "window_days is -1"},
		{"window too long", func(s *Settings) { s.WindowDays = 61 }, "window_days is 61"},
		{"interval too short", func(s *Settings) { s.Interval = 30 * time.Second }, "interval is 30s"},
		{"interval too long", func(s *Settings) { s.Interval = 25 * time.Hour }, "interval is 25h0m0s"},
		{"reminder negative", func(s *Settings) { s.ReminderMinutes = -5 }, "reminder_minutes is -5"},
		{"fixed at the start", func(s *Settings) { s.Reminders, s.ReminderMinutes = RemindersFixed, 0 }, ""},
		{"reminders off", func(s *Settings) { s.Reminders = RemindersOff }, ""},
		{"unknown reminder mode", func(s *Settings) { s.Reminders = "sometimes" }, `reminders is "sometimes"; it must be "outlook"`},
		{"no reminder mode means Outlook's", func(s *Settings) { s.Reminders = "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.edit(&s)
			err := s.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	bad := Settings{WindowDays: -1, Interval: 0, Reminders: "loud", ReminderMinutes: -1}
	if err := bad.Validate(); err == nil || strings.Count(err.Error(), " is ") != 4 {
		t.Errorf("Validate reports every bad field at once: %v", err)
	}
}

func TestSettingsWindow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	s := DefaultSettings()
	s.WindowDays = 1
	// 23:30 UTC is already tomorrow in Berlin.
	from, to := s.Window(time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC), berlin)
	if want := time.Date(2026, 11, 28, 0, 0, 0, 0, berlin); !from.Equal(want) || !to.Equal(want.AddDate(0, 0, 2)) {
		t.Fatalf("window = [%v, %v), want [%v, +2 days)", from, to, want)
	}
}

func TestLoadSettings(t *testing.T) {
	tests := []struct {
		name    string
		content *string
		want    func(*Settings)
		wantErr string
	}{
		{"missing file", nil, func(*Settings) {}, ""},
		{"full", ptr(`{"window_days": 3, "interval": "15m", "hide_declined": true, "hide_cancelled": true, "hide_all_day": true, "reminder_minutes": 10}`),
			func(s *Settings) {
				s.WindowDays, s.Interval, s.HideDeclined, s.HideCancelled, s.HideAllDay, s.ReminderMinutes = 3, 15*time.Minute, true, true, true, 10
			}, ""},
		{"partial keeps defaults", ptr(`{"hide_declined": true}`), func(s *Settings) { s.HideDeclined = true }, ""},
		{"reminder modes", ptr(`{"reminders": "fixed", "reminder_minutes": 0, "remind_all_day": true, "start_window": true}`),
			func(s *Settings) {
				s.Reminders, s.ReminderMinutes, s.RemindAllDay, s.StartWindow = RemindersFixed, 0, true, true
			}, ""},
		// Files from before the modes: reminder_minutes 0 meant no reminders, and still does;
		// any other value now means Outlook's own reminders, the new default.
		{"old file, reminders off", ptr(`{"reminder_minutes": 0}`), func(s *Settings) { s.Reminders, s.ReminderMinutes = RemindersOff, 0 }, ""},
		{"old file, reminders on", ptr(`{"reminder_minutes": 10}`), func(s *Settings) { s.ReminderMinutes = 10 }, ""},
		{"bad reminder mode", ptr(`{"reminders": "loud"}`), func(*Settings) {}, `reminders is "loud"`},
		{"unknown fields are no error", ptr(`{"from_a_newer_caltray": 1, "window_days": 2}`), func(s *Settings) { s.WindowDays = 2 }, ""},
		{"UTF-8 BOM", ptr("\uFEFF{\"window_days\": 2}\n"), func(s *Settings) { s.WindowDays = 2 }, ""},
		{"UTF-8 BOM only", ptr("\uFEFF"), func(*Settings) {}, "is empty"},
		{"UTF-16", ptr("\xFF\xFE{\x00}\x00"), func(*Settings) {}, "UTF-16"},
		{"empty", ptr(""), func(*Settings) {}, "is empty"},
		{"not JSON", ptr("window_days = 3"), func(*Settings) {}, "is not valid"},
		{"wrong type", ptr(`{"window_days": "seven"}`), func(*Settings) {}, "window_days: expected a JSON whole number"},
		{"bad duration", ptr(`{"interval": "5 minutes"}`), func(*Settings) {}, `interval: "5 minutes" is not a duration`},
		{"out of range", ptr(`{"interval": "10s"}`), func(*Settings) {}, "interval is 10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(tempdir.New(t), "settings.json")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadSettings(path)
			want := DefaultSettings()
			tt.want(&want)
			if got != want {
				t.Errorf("settings = %+v, want %+v", got, want)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want it to name %s and say %q", err, path, tt.wantErr)
			}
			if data, _ := os.ReadFile(path); string(data) != *tt.content {
				t.Errorf("the bad file was changed to %q", data)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestReadSettingsOverKeepsWhatTheFileLeavesOut: the legacy rule "reminder_minutes 0 means
// off" reads the user's file only. A managed "remind at the start" (fixed, 0 minutes) stands
// when the user's file says nothing of reminders, and is overridden only by what it does say.
func TestReadSettingsOverKeepsWhatTheFileLeavesOut(t *testing.T) {
	atStart := DefaultSettings()
	atStart.Reminders, atStart.ReminderMinutes = RemindersFixed, 0
	off := DefaultSettings()
	off.Reminders, off.ReminderMinutes = RemindersOff, 0
	tests := []struct {
		name        string
		def         Settings
		file        string
		wantMode    ReminderMode
		wantMinutes int
		wantWindow  int
	}{
		{"silent on reminders keeps the managed fixed 0", atStart, `{"window_days": 3}`, RemindersFixed, 0, 3},
		{"empty object keeps the managed fixed 0", atStart, `{}`, RemindersFixed, 0, 7},
		{"legacy file alone: 0 means off", atStart, `{"reminder_minutes": 0}`, RemindersOff, 0, 7},
		{"legacy file, key in another case", atStart, `{"Reminder_Minutes": 0}`, RemindersOff, 0, 7},
		{"legacy file over the built-in defaults", DefaultSettings(), `{"reminder_minutes": 0}`, RemindersOff, 0, 7},
		{"explicit fixed 0", DefaultSettings(), `{"reminders": "fixed", "reminder_minutes": 0}`, RemindersFixed, 0, 7},
		{"explicit fixed 0 over managed off", off, `{"reminders": "fixed", "reminder_minutes": 0}`, RemindersFixed, 0, 7},
		{"minutes only keeps the managed mode", atStart, `{"reminder_minutes": 10}`, RemindersFixed, 10, 7},
		{"mode only keeps the managed minutes", atStart, `{"reminders": "outlook"}`, RemindersOutlook, 0, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(tempdir.New(t), "settings.json")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, _, err := ReadSettingsOver(path, tt.def)
			if err != nil {
				t.Fatal(err)
			}
			if got.Reminders != tt.wantMode || got.ReminderMinutes != tt.wantMinutes || got.WindowDays != tt.wantWindow {
				t.Errorf("got reminders %q, %d minutes, window %d; want %q, %d, %d",
					got.Reminders, got.ReminderMinutes, got.WindowDays, tt.wantMode, tt.wantMinutes, tt.wantWindow)
			}
		})
	}
}

// Unknown keys are not errors (a newer caltray may have written them) but never silently
// ignored: each gets a warning naming it and the closest known key.
func TestReadSettingsWarnsOfUnknownKeys(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    func(*Settings)
		warns   []string // each warning must contain its string, in order
	}{
		{"none", `{"window_days": 2}`, func(s *Settings) { s.WindowDays = 2 }, nil},
		{"keys differ only in case are read", `{"Window_Days": 2}`, func(s *Settings) { s.WindowDays = 2 }, nil},
		{"missing underscore", `{"windowdays": 2}`, func(*Settings) {},
			[]string{`unknown key "windowdays" is ignored; did you mean "window_days"?`}},
		{"typo", `{"intervall": "10m", "hide_declined": true}`, func(s *Settings) { s.HideDeclined = true },
			[]string{`unknown key "intervall" is ignored; did you mean "interval"?`}},
		{"camel case", `{"reminderMinutes": 3, "hideAllDay": true}`, func(*Settings) {},
			[]string{`"hideAllDay" is ignored; did you mean "hide_all_day"?`, `"reminderMinutes" is ignored; did you mean "reminder_minutes"?`}},
		{"nothing close", `{"from_a_newer_caltray": 1, "window_days": 2}`, func(s *Settings) { s.WindowDays = 2 },
			[]string{`unknown key "from_a_newer_caltray" is ignored; the known keys are "window_days", "interval"`}},
		{"hostile key", `{"\u001b[2J\u202e": 1}`, func(*Settings) {},
			[]string{`unknown key "\x1b[2J\u202e" is ignored`}},
		{"BOM and unknown key", "\uFEFF{\"hide_cancelld\": true}", func(*Settings) {},
			[]string{`did you mean "hide_cancelled"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(tempdir.New(t), "settings.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, warns, err := ReadSettings(path)
			if err != nil {
				t.Fatalf("err = %v; unknown keys are no error", err)
			}
			want := DefaultSettings()
			tt.want(&want)
			if got != want {
				t.Errorf("settings = %+v, want %+v", got, want)
			}
			if len(warns) != len(tt.warns) {
				t.Fatalf("warnings %q, want %d like %q", warns, len(tt.warns), tt.warns)
			}
			for i, w := range warns {
				if !strings.Contains(w, tt.warns[i]) || !strings.Contains(w, path) {
					t.Errorf("warning %q does not name %s and say %q", w, path, tt.warns[i])
				}
				if strings.ContainsAny(w, "\x1b\u202e") {
					t.Errorf("warning %q carries raw control characters", w)
				}
			}
		})
	}
}

// Reading the settings at start removes the settings' own leftover temporary files.
func TestReadSettingsRemovesStaleTempFiles(t *testing.T) {
	dir := tempdir.New(t)
	path := filepath.Join(dir, "settings.json")
	long := time.Now().Add(-time.Hour)
	for _, name := range []string{".settings.json.tmp-123", ".settings.json.tmp-456", ".cache.json.tmp-789", "settings.json"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != ".settings.json.tmp-456" { // 456 is fresh: perhaps a write in flight
			os.Chtimes(p, long, long)
		}
	}
	if _, _, err := ReadSettings(path); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if got := strings.Join(left, " "); got != ".cache.json.tmp-789 .settings.json.tmp-456 settings.json" {
		t.Errorf("files left: %s", got)
	}
}

func TestSaveSettings(t *testing.T) {
	path := filepath.Join(tempdir.New(t), "caltray", "settings.json")
	s := DefaultSettings()
	s.Interval, s.HideAllDay = 90*time.Second, true
	if err := SaveSettings(path, s); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"interval": "1m30s"`) {
		t.Errorf("file = %s, want a readable interval", data)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("stat = %v, %v; want mode 0600", fi, err)
	}
	got, err := LoadSettings(path)
	if err != nil || got != s {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, s)
	}
	s.WindowDays = 100
	if err := SaveSettings(path, s); err == nil {
		t.Fatal("SaveSettings saved an invalid window")
	}
	if got, _ := LoadSettings(path); got.WindowDays != DefaultSettings().WindowDays {
		t.Errorf("an invalid Save changed the file")
	}
}

// TestSaveSettingsOverWritesOnlyChanges: Save writes only what differs from the defaults in
// force (the managed configuration's), so a later change of the administrator's defaults
// reaches every setting the user left alone; the saved settings read back the same over the
// defaults they were saved over; reminder_minutes never goes alone (it would read as "off").
func TestSaveSettingsOverWritesOnlyChanges(t *testing.T) {
	managed := DefaultSettings()
	managed.Interval, managed.Reminders, managed.ReminderMinutes = 10*time.Minute, RemindersFixed, 0
	tests := []struct {
		name     string
		def      Settings
		edit     func(*Settings)
		wantKeys []string
	}{
		{"nothing changed", managed, func(*Settings) {}, nil},
		{"one change", managed, func(s *Settings) { s.WindowDays = 3 }, []string{"window_days"}},
		{"a value the built-in default has", managed, func(s *Settings) { s.Interval = 5 * time.Minute }, []string{"interval"}},
		{"minutes carry the mode", managed, func(s *Settings) { s.ReminderMinutes = 10 }, []string{"reminders", "reminder_minutes"}},
		{"minutes 0 carry the mode", DefaultSettings(), func(s *Settings) { s.ReminderMinutes = 0 }, []string{"reminders", "reminder_minutes"}},
		{"the mode alone", managed, func(s *Settings) { s.Reminders = RemindersOff }, []string{"reminders"}},
		{"empty mode is Outlook's", DefaultSettings(), func(s *Settings) { s.Reminders = "" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(tempdir.New(t), "settings.json")
			s := tt.def
			tt.edit(&s)
			if err := SaveSettingsOver(path, s, tt.def); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("file %s: %v", data, err)
			}
			var keys []string
			for _, k := range SettingsKeys() {
				if _, ok := m[k]; ok {
					keys = append(keys, k)
				}
			}
			if !slices.Equal(keys, tt.wantKeys) || len(m) != len(keys) {
				t.Errorf("file %s; want the keys %v", data, tt.wantKeys)
			}
			want := s
			if want.Reminders == "" {
				want.Reminders = RemindersOutlook
			}
			if got, _, err := ReadSettingsOver(path, tt.def); err != nil || got != want {
				t.Errorf("read back %+v, %v; want %+v", got, err, want)
			}
		})
	}
	// The administrator changes the interval: the user who only changed the window gets it.
	path := filepath.Join(tempdir.New(t), "settings.json")
	s := managed
	s.WindowDays = 3
	if err := SaveSettingsOver(path, s, managed); err != nil {
		t.Fatal(err)
	}
	later := managed
	later.Interval = 15 * time.Minute
	if got, _, err := ReadSettingsOver(path, later); err != nil || got.Interval != 15*time.Minute || got.WindowDays != 3 {
		t.Errorf("after the administrator's change: %+v, %v; want the new 15m interval and the user's 3 days", got, err)
	}
}

func TestSettingsPathUsesConfigDir(t *testing.T) {
	dir := tempdir.New(t)
	t.Setenv("XDG_CONFIG_HOME", dir)
	p, err := SettingsPath()
	if err != nil || p != filepath.Join(dir, "caltray", "settings.json") {
		t.Fatalf("SettingsPath() = %q, %v", p, err)
	}
	t.Setenv("XDG_CACHE_HOME", dir)
	if d, err := CacheDir(); err != nil || d != filepath.Join(dir, "caltray") {
		t.Fatalf("CacheDir() = %q, %v", d, err)
	}
}

func TestAgendaFiltersAndSorts(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	// An all-day event on the 28th starts at local midnight, before a timed event at 01:00 JST.
	allDay := Appointment{ID: "day", AllDay: true, Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}
	early := Appointment{ID: "early", Start: time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)}
	outside := Appointment{ID: "out", Start: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 20, 1, 0, 0, 0, time.UTC)}
	point := Appointment{ID: "point", Start: time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)}
	from := time.Date(2026, 11, 28, 0, 0, 0, 0, tokyo) // = 15:00 UTC on the 27th
	to := from.AddDate(0, 0, 2)
	got := DefaultSettings().Agenda([]Appointment{outside, early, allDay, point}, from, to, tokyo)
	if ids(got) != "point,day,early" {
		t.Fatalf("agenda = %q, want point,day,early (ties broken by end)", ids(got))
	}
}
