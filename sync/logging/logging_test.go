package logging

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLevelsAndBothOutputs(t *testing.T) {
	tests := []struct {
		debug     bool
		wantDebug bool
	}{{false, false}, {true, true}}
	for _, tt := range tests {
		dir := t.TempDir()
		var stderr bytes.Buffer
		log, closeLog, err := New(Options{Dir: dir, Stderr: &stderr, Debug: tt.debug})
		if err != nil {
			t.Fatal(err)
		}
		log.Debug("a debug line")
		log.Info("an info line", "n", 1)
		if err := closeLog(); err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"stderr": stderr.String(), "file": string(file)} {
			if !strings.Contains(out, `level=INFO msg="an info line" n=1`) {
				t.Errorf("debug=%v %s = %q, want the info line", tt.debug, name, out)
			}
			if got := strings.Contains(out, "a debug line"); got != tt.wantDebug {
				t.Errorf("debug=%v: %s has the debug line: %v", tt.debug, name, got)
			}
		}
		if fi, _ := os.Stat(filepath.Join(dir, FileName)); fi.Mode().Perm() != 0o600 {
			t.Errorf("log file mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.secret-part"
	dir := t.TempDir()
	var stderr bytes.Buffer
	log, closeLog, err := New(Options{Dir: dir, Stderr: &stderr, Debug: true, Secrets: []string{token, "short"}})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("request", "Authorization", "Bearer "+token)
	log.Info("sent "+token+" to graph", "err", errors.New("401 for token "+token))
	log.Info("fields", "access_token", "whatever-value", "refresh_token", "rt-value", "user", "short")
	closeLog()
	file, _ := os.ReadFile(filepath.Join(dir, FileName))
	for name, out := range map[string]string{"stderr": stderr.String(), "file": string(file)} {
		for _, secret := range []string{token, "whatever-value", "rt-value"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s holds %q:\n%s", name, secret, out)
			}
		}
		if !strings.Contains(out, "sent [redacted] to graph") || !strings.Contains(out, "user=short") {
			t.Errorf("%s: redaction went wrong:\n%s", name, out)
		}
	}
}

func TestFileIsCapped(t *testing.T) {
	dir := t.TempDir()
	log, closeLog, err := New(Options{Dir: dir, MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	for i := range 200 {
		log.Info("a line that fills the log", "i", i)
	}
	cur, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	prev, err := os.Stat(filepath.Join(dir, FileName+".1"))
	if err != nil {
		t.Fatal(err)
	}
	if cur.Size() > 1000 || prev.Size() > 1000 {
		t.Fatalf("sizes %d and %d exceed the 1000-byte cap", cur.Size(), prev.Size())
	}
	last, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !strings.Contains(string(last), "i=199") {
		t.Errorf("the newest line is not in the current file")
	}
}

func TestNewFailsOnUnusableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, _, err := New(Options{Dir: filepath.Join(file, "sub")}); err == nil || !strings.Contains(err.Error(), "log file") {
		t.Fatalf("New = %v, want a log file error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("terminal gone") }

func TestFileLogSurvivesBrokenStderr(t *testing.T) {
	dir := t.TempDir()
	log, closeLog, err := New(Options{Dir: dir, Stderr: failingWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("still logged")
	closeLog()
	if data, _ := os.ReadFile(filepath.Join(dir, FileName)); !strings.Contains(string(data), "still logged") {
		t.Fatalf("log file = %q", data)
	}
}
