package tray

import (
	"os"
	"strings"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/ui/ipc"
)

// TestSaveSettingsOverManagedDefaults: the window's Save writes only what differs from the
// defaults in force (Options.SettingsDefaults, the managed configuration's), so the file does
// not pin the administrator's values and a later change of them reaches this user.
func TestSaveSettingsOverManagedDefaults(t *testing.T) {
	managed := calsync.DefaultSettings()
	managed.Interval = 10 * time.Minute
	tests := []struct {
		name string
		edit func(*calsync.Settings)
		want string // the file, exactly
	}{
		{"one change", func(s *calsync.Settings) { s.WindowDays = 3 }, "{\n  \"window_days\": 3\n}\n"},
		{"none", func(*calsync.Settings) {}, "{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.Settings, o.SettingsDefaults = managed, managed })
			h.host.press(t, "Preferences")
			c := h.child()
			c.hello(t, ipc.Version)
			s := managed
			tt.edit(&s)
			c.intent(t, ipc.Intent{Kind: ipc.IntentSaveSettings, Settings: &s})
			wait(t, "the settings applied", func() bool {
				h.loop.mu.Lock()
				defer h.loop.mu.Unlock()
				return len(h.loop.settings) == 1
			})
			data, err := os.ReadFile(h.tray.o.SettingsPath)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want || strings.Contains(string(data), "interval") {
				t.Errorf("settings file %q; want %q, without the managed interval", data, tt.want)
			}
		})
	}
}
