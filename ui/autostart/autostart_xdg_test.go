//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestXDGAutostart(t *testing.T) {
	tests := []struct {
		name     string
		exe      string
		args     []string
		wantExec string
	}{
		{"plain", "/usr/bin/caltray", nil, "Exec=/usr/bin/caltray"},
		{"args", "/usr/bin/caltray", []string{"--demo"}, "Exec=/usr/bin/caltray --demo"},
		{"space and quote", "/opt/my apps/caltray", []string{`say "hi"`, "100%"},
			`Exec="/opt/my apps/caltray" "say \\"hi\\"" "100%%"`},
		// Exec escapes \ to \\, and the file's string escaping doubles both: four in the file.
		{"backslash and dollar", `/opt/a\b/caltray`, []string{"$HOME"},
			`Exec="/opt/a\\\\b/caltray" "\\$HOME"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := t.TempDir()
			t.Setenv("XDG_CONFIG_HOME", cfg)
			file := filepath.Join(cfg, "autostart", "app.caltray.desktop")

			if on, err := Enabled(); err != nil || on {
				t.Fatalf("before Enable: Enabled() = %v, %v", on, err)
			}
			if err := Enable(tt.exe, tt.args...); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no entry written: %v", err)
			}
			lines := strings.Split(string(data), "\n")
			if lines[0] != "[Desktop Entry]" {
				t.Errorf("first line %q", lines[0])
			}
			for _, want := range []string{"Type=Application", "Name=caltray", tt.wantExec} {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("entry lacks %q:\n%s", want, data)
				}
			}
			if on, err := Enabled(); err != nil || !on {
				t.Errorf("after Enable: Enabled() = %v, %v", on, err)
			}
			if err := Disable(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Errorf("entry still there after Disable: %v", err)
			}
			if err := Disable(); err != nil {
				t.Errorf("second Disable: %v", err)
			}
		})
	}
}

func TestXDGAutostartTurnedOffByDesktop(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		t.Run(line, func(t *testing.T) {
			cfg := t.TempDir()
			t.Setenv("XDG_CONFIG_HOME", cfg)
			dir := filepath.Join(cfg, "autostart")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			entry := "[Desktop Entry]\nType=Application\nExec=/usr/bin/caltray\n" + line + "\n"
			if err := os.WriteFile(filepath.Join(dir, "app.caltray.desktop"), []byte(entry), 0o644); err != nil {
				t.Fatal(err)
			}
			if on, err := Enabled(); err != nil || on {
				t.Errorf("Enabled() = %v, %v; want false for %s", on, err, line)
			}
		})
	}
}

func TestXDGAutostartHomeFallback(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", home)
	if err := Enable("/usr/bin/caltray"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "autostart", "app.caltray.desktop")); err != nil {
		t.Errorf("entry not under ~/.config/autostart: %v", err)
	}
}

func TestEnableRefusesBadInput(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	tests := []struct {
		exe  string
		args []string
		want string
	}{
		{"caltray", nil, "is not absolute"},
		{"/usr/bin/caltray", []string{"a\nb"}, "line break"},
	}
	for _, tt := range tests {
		err := Enable(tt.exe, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Enable(%q, %q) = %v, want an error saying %q", tt.exe, tt.args, err, tt.want)
		}
	}
}
