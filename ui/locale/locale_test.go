package locale

import (
	"os"
	"testing"
)

func TestIsPOSIXVariant(t *testing.T) {
	for v, want := range map[string]bool{
		"C.UTF-8": true, "C.utf8": true, "POSIX.UTF-8": true, "C@euro": true,
		"C": false, "POSIX": false, "": false, "en_US.UTF-8": false, "Ca_ES.UTF-8": false, "CC.UTF-8": false,
	} {
		if got := isPOSIXVariant(v); got != want {
			t.Errorf("isPOSIXVariant(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestInitAndRestore(t *testing.T) {
	tests := []struct {
		name                    string
		lcAll, lcMessages, lang string
		changed                 string // the variable init presents as "C"; "" for none
	}{
		{"LANG C.UTF-8", "", "", "C.UTF-8", "LANG"},
		{"LC_ALL decides", "C.UTF-8", "", "en_GB.UTF-8", "LC_ALL"},
		{"a real locale first", "", "de_DE.UTF-8", "C.UTF-8", ""},
		{"plain C", "", "", "C", ""},
		{"nothing set", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"LC_ALL": tt.lcAll, "LC_MESSAGES": tt.lcMessages, "LANG": tt.lang}
			for k, v := range env {
				t.Setenv(k, v)
			}
			hide()
			for k, v := range env {
				want := v
				if k == tt.changed {
					want = "C"
				}
				if got := os.Getenv(k); got != want {
					t.Errorf("after init %s = %q, want %q", k, got, want)
				}
			}
			Restore()
			for k, v := range env {
				if got := os.Getenv(k); got != v {
					t.Errorf("after Restore %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
