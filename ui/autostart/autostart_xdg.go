//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// path is $XDG_CONFIG_HOME/autostart/app.caltray.desktop, per the XDG Autostart spec
// (XDG_CONFIG_HOME defaults to ~/.config).
func path() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory to put the autostart entry in (set $HOME): %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", Name+".desktop"), nil
}

// desktopEntry writes the .desktop file. Exec quotes every argument as the Desktop Entry spec
// says, so paths with spaces survive.
func desktopEntry(exe string, args []string) []byte {
	var b bytes.Buffer
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=caltray\n")
	b.WriteString("Comment=Your Microsoft 365 meetings in the system tray\n")
	b.WriteString("Exec=")
	for i, a := range append([]string{exe}, args...) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteExec(a))
	}
	b.WriteString("\nTerminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return b.Bytes()
}

// quoteExec quotes one Exec argument: inside double quotes, the characters ", `, $ and \ are
// escaped with a backslash, and the string-value escaping doubles each backslash again.
func quoteExec(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"'\\><~|&;$*?#()`%") {
		return a
	}
	var q strings.Builder
	q.WriteByte('"')
	for _, r := range a {
		switch r {
		case '"', '`', '$', '\\':
			q.WriteString(`\\`)
		case '%':
			q.WriteString("%") // a literal % is written %%
		}
		q.WriteRune(r)
	}
	q.WriteByte('"')
	return q.String()
}

func enable(exe string, args []string) error {
	p, err := path()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, desktopEntry(exe, args), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("install %s: %w", p, err)
	}
	return nil
}

func disable() error {
	p, err := path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// enabled reads the entry: present, and not turned off by Hidden=true or
// X-GNOME-Autostart-enabled=false (which desktop settings panels write).
func enabled() (bool, error) {
	p, err := path()
	if err != nil {
		return false, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch strings.TrimSpace(k) {
		case "Hidden":
			if strings.TrimSpace(v) == "true" {
				return false, nil
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(v) == "false" {
				return false, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	return true, nil
}
