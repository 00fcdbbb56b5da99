//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// entryPath is $XDG_CONFIG_HOME/autostart/app.caltray.desktop, per the XDG Autostart spec
// (XDG_CONFIG_HOME defaults to ~/.config).
func entryPath() (string, error) {
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

// entry writes the .desktop file. Exec quotes every argument as the Desktop Entry spec
// says, so paths with spaces survive.
func entry(exe string, args []string) []byte {
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

// quoteExec quotes one Exec argument. The Desktop Entry spec escapes twice: inside the Exec
// quotes, ", `, $ and \ take a backslash; then the file's string escaping doubles every
// backslash. So " is written \\" and \ is written \\\\. A literal % is written %%.
func quoteExec(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"'\\><~|&;$*?#()`%") {
		return a
	}
	var q strings.Builder
	q.WriteByte('"')
	for _, r := range a {
		switch r {
		case '"', '`', '$':
			q.WriteString(`\\`)
		case '\\':
			q.WriteString(`\\\`)
		case '%':
			q.WriteString("%")
		}
		q.WriteRune(r)
	}
	q.WriteByte('"')
	return q.String()
}

// entryOn reads the entry: on unless turned off by Hidden=true or X-GNOME-Autostart-enabled=false
// (which desktop settings panels write).
func entryOn(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch v = strings.TrimSpace(v); strings.TrimSpace(k) {
		case "Hidden":
			if v == "true" {
				return false
			}
		case "X-GNOME-Autostart-enabled":
			if v == "false" {
				return false
			}
		}
	}
	return true
}
