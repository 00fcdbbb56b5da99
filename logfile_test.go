package main

import (
	"bytes"
	"errors"
	"log/slog"
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
		log, closeLog, err := newLogger(logOptions{Dir: dir, Stderr: &stderr, Debug: tt.debug})
		if err != nil {
			t.Fatal(err)
		}
		log.Debug("a debug line")
		log.Info("an info line", "n", 1)
		if err := closeLog(); err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(filepath.Join(dir, logFileName))
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
		if fi, _ := os.Stat(filepath.Join(dir, logFileName)); fi.Mode().Perm() != 0o600 {
			t.Errorf("log file mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.secret-part"
	dir := t.TempDir()
	var stderr bytes.Buffer
	log, closeLog, err := newLogger(logOptions{Dir: dir, Stderr: &stderr, Debug: true, Secrets: []string{token, "short"}})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("request", "Authorization", "Bearer "+token)
	log.Info("sent "+token+" to graph", "err", errors.New("401 for token "+token))
	log.Info("fields", "access_token", "whatever-value", "refresh_token", "rt-value", "user", "short")
	closeLog()
	file, _ := os.ReadFile(filepath.Join(dir, logFileName))
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
	log, closeLog, err := newLogger(logOptions{Dir: dir, MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	for i := range 200 {
		log.Info("a line that fills the log", "i", i)
	}
	cur, err := os.Stat(filepath.Join(dir, logFileName))
	if err != nil {
		t.Fatal(err)
	}
	prev, err := os.Stat(filepath.Join(dir, logFileName+".1"))
	if err != nil {
		t.Fatal(err)
	}
	if cur.Size() > 1000 || prev.Size() > 1000 {
		t.Fatalf("sizes %d and %d exceed the 1000-byte cap", cur.Size(), prev.Size())
	}
	last, _ := os.ReadFile(filepath.Join(dir, logFileName))
	if !strings.Contains(string(last), "i=199") {
		t.Errorf("the newest line is not in the current file")
	}
}

func TestNewFailsOnUnusableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, _, err := newLogger(logOptions{Dir: filepath.Join(file, "sub")}); err == nil || !strings.Contains(err.Error(), "log file") {
		t.Fatalf("newLogger = %v, want a log file error", err)
	}
}

type failingLogWriter struct{}

func (failingLogWriter) Write([]byte) (int, error) { return 0, errors.New("terminal gone") }

func TestFileLogSurvivesBrokenStderr(t *testing.T) {
	dir := t.TempDir()
	log, closeLog, err := newLogger(logOptions{Dir: dir, Stderr: failingLogWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("still logged")
	closeLog()
	if data, _ := os.ReadFile(filepath.Join(dir, logFileName)); !strings.Contains(string(data), "still logged") {
		t.Fatalf("log file = %q", data)
	}
}

type logStringer string

func (s logStringer) String() string { return string(s) }

// dangerousRunes lists every code point a log line must never carry raw: C0 but \n (which ends
// the line slog writes), DEL, C1, bidi embeddings, overrides and isolates, the marks that
// also steer bidi, and the line and paragraph separators.
func dangerousRunes() []rune {
	var rs []rune
	for r := rune(0); r < 0x20; r++ {
		rs = append(rs, r)
	}
	rs = append(rs, 0x7F)
	for r := rune(0x80); r <= 0x9F; r++ {
		rs = append(rs, r)
	}
	for r := rune(0x202A); r <= 0x202E; r++ {
		rs = append(rs, r)
	}
	for r := rune(0x2066); r <= 0x2069; r++ {
		rs = append(rs, r)
	}
	return append(rs, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029, 0xFEFF)
}

// A log line never carries a raw control or bidi character, wherever the text comes from
// (message, key, value, error, Stringer, group, a value of another type), and secrets are
// still scrubbed from such lines.
func TestLogLinesAreInert(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.secret-part"
	places := []struct {
		name string
		log  func(l *slog.Logger, s string)
	}{
		{"message", func(l *slog.Logger, s string) { l.Info(s + token) }},
		{"string value", func(l *slog.Logger, s string) { l.Info("m", "subject", s+token) }},
		{"key", func(l *slog.Logger, s string) { l.Info("m", s, token) }},
		{"error", func(l *slog.Logger, s string) { l.Info("m", "err", errors.New(s+token)) }},
		{"logStringer", func(l *slog.Logger, s string) { l.Info("m", "v", logStringer(s+token)) }},
		{"slice", func(l *slog.Logger, s string) { l.Info("m", "files", []string{s, token}) }},
		{"group", func(l *slog.Logger, s string) { l.WithGroup(s).Info("m", "k", token) }},
		{"with", func(l *slog.Logger, s string) { l.With("id", s).Info("m " + token) }},
	}
	for _, p := range places {
		t.Run(p.name, func(t *testing.T) {
			var out bytes.Buffer
			log, closeLog, err := newLogger(logOptions{Stderr: &out, Secrets: []string{token}})
			if err != nil {
				t.Fatal(err)
			}
			defer closeLog()
			for _, r := range dangerousRunes() {
				out.Reset()
				p.log(log, "a"+string(r)+"b")
				line := out.String()
				if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
					t.Errorf("U+%04X: %d lines: %q", r, strings.Count(line, "\n"), line)
				}
				if strings.ContainsRune(strings.TrimSuffix(line, "\n"), r) {
					t.Errorf("U+%04X passes raw: %q", r, line)
				}
				if strings.Contains(line, token) {
					t.Errorf("U+%04X: the token is in %q", r, line)
				}
			}
		})
	}
}

// Text in every script and emoji stays as it is. (slog itself quotes format characters such
// as the zero-width joiner of 👩‍💻 as \u200d: escaped, not lost.)
func TestLogKeepsText(t *testing.T) {
	var out bytes.Buffer
	log, closeLog, _ := newLogger(logOptions{Stderr: &out})
	defer closeLog()
	const text = "Réunion 会議 🎉👍🏽 اجتماع פגישה Встреча ประชุม"
	log.Info("m", "subject", text)
	if !strings.Contains(out.String(), text) {
		t.Fatalf("line %q changed the text", out.String())
	}
}
