//go:build windows

package autostart

import (
	"errors"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// TestRunKey writes caltray's value under HKCU\...\Run, as Windows reads it back at login:
// CommandLineToArgvW must return the program and its arguments unchanged. make test runs it
// under Wine, in a throwaway prefix; on a real Windows machine it restores the user's own
// entry afterwards.
func TestRunKey(t *testing.T) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err == nil {
		if old, _, err := k.GetStringValue(Name); err == nil {
			t.Cleanup(func() {
				if k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE); err == nil {
					k.SetStringValue(Name, old)
					k.Close()
				}
			})
		}
		k.Close()
	}

	tests := []struct {
		name string
		exe  string
		args []string
	}{
		{"plain", `C:\Users\alex\AppData\Local\Programs\caltray\caltray.exe`, nil},
		{"space in the path", `C:\Program Files\caltray\caltray.exe`, []string{"--demo"}},
		{"quotes and trailing backslash", `C:\caltray\caltray.exe`, []string{`say "hi"`, `C:\dir\`, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Enable(tt.exe, tt.args...); err != nil {
				t.Fatal(err)
			}
			if on, err := Enabled(); err != nil || !on {
				t.Fatalf("Enabled after Enable = %v, %v", on, err)
			}
			k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
			if err != nil {
				t.Fatal(err)
			}
			line, _, err := k.GetStringValue(Name)
			k.Close()
			if err != nil {
				t.Fatal(err)
			}
			got, err := windows.DecomposeCommandLine(line)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{tt.exe}, tt.args...)
			if len(got) != len(want) {
				t.Fatalf("Run value %q reads back as %q, want %q", line, got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("Run value %q reads back as %q, want %q", line, got, want)
				}
			}
			if err := Disable(); err != nil {
				t.Fatal(err)
			}
			if on, err := Enabled(); err != nil || on {
				t.Fatalf("Enabled after Disable = %v, %v", on, err)
			}
			if err := Disable(); err != nil {
				t.Fatalf("Disable of an absent entry: %v", err)
			}
			if _, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE); err != nil && !errors.Is(err, registry.ErrNotExist) {
				t.Fatal(err)
			}
		})
	}
}
