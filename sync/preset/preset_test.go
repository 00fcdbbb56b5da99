package preset

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	calsync "caltray/sync"
)

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestCandidates(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  func(string) string
		want []string
	}{
		{"linux default", "linux", env(), []string{"/etc/xdg/caltray/caltray.json"}},
		{"linux empty XDG_CONFIG_DIRS", "linux", env("XDG_CONFIG_DIRS", ""), []string{"/etc/xdg/caltray/caltray.json"}},
		{"linux list in order", "linux", env("XDG_CONFIG_DIRS", "/etc/xdg/xdg-ubuntu:/usr/share/upstart/xdg:/etc/xdg/"),
			[]string{"/etc/xdg/xdg-ubuntu/caltray/caltray.json", "/usr/share/upstart/xdg/caltray/caltray.json", "/etc/xdg/caltray/caltray.json"}},
		{"linux relative entries ignored", "linux", env("XDG_CONFIG_DIRS", "relative:/opt/conf::"),
			[]string{"/opt/conf/caltray/caltray.json"}},
		{"linux only relative entries", "linux", env("XDG_CONFIG_DIRS", "etc:."), []string{"/etc/xdg/caltray/caltray.json"}},
		{"freebsd follows XDG", "freebsd", env("XDG_CONFIG_DIRS", "/usr/local/etc/xdg"), []string{"/usr/local/etc/xdg/caltray/caltray.json"}},
		{"windows ProgramData", "windows", env("ProgramData", `D:\ProgramData`), []string{`D:\ProgramData\caltray\caltray.json`}},
		{"windows trailing separator", "windows", env("ProgramData", `C:\ProgramData\`), []string{`C:\ProgramData\caltray\caltray.json`}},
		{"windows no ProgramData", "windows", env("SystemDrive", "E:"), []string{`E:\ProgramData\caltray\caltray.json`}},
		{"windows nothing set", "windows", env(), []string{`C:\ProgramData\caltray\caltray.json`}},
		{"windows ignores XDG", "windows", env("XDG_CONFIG_DIRS", "/etc/xdg", "ProgramData", `C:\ProgramData`), []string{`C:\ProgramData\caltray\caltray.json`}},
		{"macOS", "darwin", env("XDG_CONFIG_DIRS", "/opt/xdg"), []string{"/Library/Application Support/caltray/caltray.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Candidates(tt.goos, tt.env); !slices.Equal(got, tt.want) {
				t.Errorf("Candidates(%s) = %q, want %q", tt.goos, got, tt.want)
			}
		})
	}
}

// statOf answers stat for a set of existing paths and a set of unreadable ones.
func statOf(exist, denied []string) func(string) (fs.FileInfo, error) {
	return func(p string) (fs.FileInfo, error) {
		switch {
		case slices.Contains(exist, p):
			return nil, nil
		case slices.Contains(denied, p):
			return nil, fs.ErrPermission
		}
		return nil, fs.ErrNotExist
	}
}

func TestFind(t *testing.T) {
	dirs := env("XDG_CONFIG_DIRS", "/a:/b:/c")
	tests := []struct {
		name          string
		goos          string
		env           func(string) string
		exist, denied []string
		want          string
	}{
		{"none", "linux", dirs, nil, nil, ""},
		{"first that has one", "linux", dirs, []string{"/b/caltray/caltray.json", "/c/caltray/caltray.json"}, nil, "/b/caltray/caltray.json"},
		{"unreadable counts", "linux", dirs, []string{"/c/caltray/caltray.json"}, []string{"/a/caltray/caltray.json"}, "/a/caltray/caltray.json"},
		{"default dir", "linux", env(), []string{"/etc/xdg/caltray/caltray.json"}, nil, "/etc/xdg/caltray/caltray.json"},
		{"windows", "windows", env("ProgramData", `C:\ProgramData`), []string{`C:\ProgramData\caltray\caltray.json`}, nil, `C:\ProgramData\caltray\caltray.json`},
		{"macOS absent", "darwin", env(), nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Find(tt.goos, tt.env, statOf(tt.exist, tt.denied)); got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const path = "/etc/xdg/caltray/caltray.json"
	const id = "3f2a1b0c-1111-4a2b-9c3d-5e6f7a8b9c0d"
	tenMin := calsync.DefaultSettings()
	tenMin.Interval, tenMin.HideDeclined = 10*time.Minute, true
	tests := []struct {
		name      string
		data      string
		want      File
		warns     []string // each a substring of one warning, in order
		errSubstr []string // all in the error; nil: no error
	}{
		{name: "all keys", data: `{"client_id": " ` + id + ` ", "tenant": "contoso.onmicrosoft.com",
			"authority": "https://login.microsoftonline.us/", "graph_url": "https://graph.microsoft.us/v1.0"}`,
			want: File{Path: path, ClientID: id, Tenant: "contoso.onmicrosoft.com", Authority: "https://login.microsoftonline.us/", GraphURL: "https://graph.microsoft.us/v1.0"}},
		{name: "byte order mark", data: "\uFEFF{\"client_id\": \"" + id + "\"}", want: File{Path: path, ClientID: id}},
		{name: "settings defaults", data: `{"settings": {"interval": "10m", "hide_declined": true}}`,
			want: File{Path: path, Settings: &tenMin}},
		{name: "unknown key", data: `{"client_id": "` + id + `", "clientid": "x", "tenant_id": 1}`,
			want:  File{Path: path, ClientID: id},
			warns: []string{path + ` has the unknown key "clientid"`, `unknown key "tenant_id"`}},
		{name: "unknown setting", data: `{"settings": {"intervall": "10m"}}`,
			want:  File{Path: path, Settings: ptr(calsync.DefaultSettings())},
			warns: []string{path + `: key "settings" has the unknown setting "intervall"`}},
		{name: "hostile key quoted", data: `{"a\u001b[2Jb": 1}`, want: File{Path: path},
			warns: []string{`"a\x1b[2Jb"`}},
		{name: "syntax error", data: "{\n  \"client_id\": \"" + id + "\",\n  \"tenant\" \"x\"\n}",
			errSubstr: []string{path, "not valid JSON at line 3, column 12"}},
		{name: "not an object", data: `["client_id"]`, errSubstr: []string{path, "one JSON object"}},
		{name: "empty", data: " \n", errSubstr: []string{path, "is empty"}},
		{name: "UTF-16", data: "\xff\xfe{\x00}\x00", errSubstr: []string{path, "UTF-16"}},
		{name: "number for a string", data: `{"client_id": 42}`, errSubstr: []string{path, `"client_id"`, "must be a string"}},
		{name: "empty value", data: `{"tenant": "  "}`, errSubstr: []string{path, `"tenant"`, "empty value"}},
		{name: "graph_url over http", data: `{"graph_url": "http://graph.example.com/v1.0"}`, errSubstr: []string{path, `"graph_url"`}},
		{name: "settings out of range", data: `{"settings": {"interval": "10s"}}`, errSubstr: []string{path, `"settings"`, "interval"}},
		{name: "settings wrong type", data: `{"settings": {"window_days": "seven"}}`, errSubstr: []string{path, `"settings"`, "window_days"}},
		{name: "settings not an object", data: `{"settings": "10m"}`, errSubstr: []string{path, `"settings"`, "JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns, err := Parse(path, []byte(tt.data))
			if tt.errSubstr != nil {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				for _, s := range tt.errSubstr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				if got != (File{}) {
					t.Errorf("with an error the File is %+v, want zero", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Path != tt.want.Path || got.ClientID != tt.want.ClientID || got.Tenant != tt.want.Tenant ||
				got.Authority != tt.want.Authority || got.GraphURL != tt.want.GraphURL {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if (got.Settings == nil) != (tt.want.Settings == nil) || got.Settings != nil && *got.Settings != *tt.want.Settings {
				t.Errorf("settings %+v, want %+v", got.Settings, tt.want.Settings)
			}
			if len(warns) != len(tt.warns) {
				t.Fatalf("warnings %q, want %d", warns, len(tt.warns))
			}
			for i, w := range tt.warns {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %q does not contain %q", warns[i], w)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestRead reads real files: one in the second of two XDG directories (Load's own path
// through Find with the real stat), and one the user cannot read.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	if err := os.MkdirAll(filepath.Join(second, "caltray"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(second, "caltray", "caltray.json")
	if err := os.WriteFile(file, []byte(`{"tenant": "contoso.onmicrosoft.com"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	path := Find("linux", env("XDG_CONFIG_DIRS", first+":"+second), os.Stat)
	if path != file {
		t.Fatalf("Find = %q, want %q", path, file)
	}
	f, _, err := Read(path)
	if err != nil || f.Tenant != "contoso.onmicrosoft.com" || f.Path != file {
		t.Fatalf("Read = %+v, %v", f, err)
	}

	if os.Geteuid() == 0 {
		t.Skip("root reads any file: the unreadable case cannot be made")
	}
	if err := os.Chmod(file, 0); err != nil {
		t.Fatal(err)
	}
	_, _, err = Read(file)
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("unreadable file: %v", err)
	}
}

// TestSettingsOver: the user's settings file is read over the managed defaults, key by key.
func TestSettingsOver(t *testing.T) {
	f, _, err := Parse("managed.json", []byte(`{"settings": {"interval": "10m", "window_days": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	user := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(user, []byte(`{"window_days": 14}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := calsync.ReadSettingsOver(user, *f.Settings)
	if err != nil {
		t.Fatal(err)
	}
	if s.WindowDays != 14 || s.Interval != 10*time.Minute {
		t.Errorf("got window %d, interval %v; want the user's 14 and the managed 10m", s.WindowDays, s.Interval)
	}
	// No user file: the managed defaults.
	s, _, err = calsync.ReadSettingsOver(filepath.Join(t.TempDir(), "none.json"), *f.Settings)
	if err != nil || s.WindowDays != 3 || s.Interval != 10*time.Minute {
		t.Errorf("without a user file got %+v, %v", s, err)
	}
}
