package tempdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRemove(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files []string // relative paths; a trailing / makes a directory
	}{
		{"empty", nil},
		{"files", []string{"a", "b.json"}},
		{"nested", []string{"caltray/", "caltray/settings.json", "caltray/cache/", "caltray/cache/cache.json", "caltray/cache/deeper/", "caltray/cache/deeper/x"}},
		{"empty subdirectories", []string{"a/", "a/b/", "a/b/c/"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dir")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.files {
				p := filepath.Join(dir, filepath.FromSlash(f))
				var err error
				if f[len(f)-1] == '/' {
					err = os.Mkdir(p, 0o700)
				} else {
					err = os.WriteFile(p, []byte("x"), 0o600)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			Remove(dir)
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Errorf("after Remove, Lstat(%s) = %v, want not-exist", dir, err)
			}
		})
	}
}

// TestNewRemovesBeforeTheTestingCleanup checks that New's directory is gone before the testing
// package's own cleanup runs (which, under Wine, could not remove it). That cleanup is
// registered by the first t.TempDir call; the check is registered after it and before New's,
// so it runs between the two.
func TestNewRemovesBeforeTheTestingCleanup(t *testing.T) {
	t.Run("inner", func(t *testing.T) {
		t.TempDir() // registers the testing package's cleanup: it runs last
		var dir string
		t.Cleanup(func() {
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Errorf("New's directory is still there for the testing package's cleanup: Lstat = %v", err)
			}
		})
		dir = New(t)
		if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "a", "b", "c"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	})
}
