// Package locale keeps Fyne quiet about locales it cannot parse. Fyne's lang package reads the
// POSIX locale while the program initialises and logs three lines ("Fyne error: Error parsing
// user locale C") for names such as C.UTF-8, which minimal systems and CI use, on every run of
// every command. Imported (blank) by main, this package runs first: Go initialises packages
// in import-path order once their imports are ready, and it imports only the standard
// library, so "caltray/…" comes before "fyne.io/…". It presents such a locale as plain "C",
// which Fyne treats as "no preference", and Restore puts the environment back before any
// command runs, so child processes (xdg-open, the browser) see the user's real locale.
package locale

import "os"

// saved is the variable changed at init and its original value.
var saved struct {
	name, value string
}

func init() { hide() }

// hide presents a POSIX locale with a codeset as plain "C" to Fyne's initialisers.
func hide() {
	// The variables Fyne's locale library reads, in its order: the first one set decides.
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		if isPOSIXVariant(v) {
			saved.name, saved.value = name, v
			os.Setenv(name, "C")
		}
		return
	}
}

// isPOSIXVariant reports C or POSIX with a codeset or modifier (C.UTF-8, POSIX@x): a locale Fyne
// cannot parse although it means no language preference.
func isPOSIXVariant(v string) bool {
	for _, base := range []string{"C", "POSIX"} {
		if len(v) > len(base) && v[:len(base)] == base && (v[len(base)] == '.' || v[len(base)] == '@') {
			return true
		}
	}
	return false
}

// Restore undoes what init changed. main calls it first.
func Restore() {
	if saved.name != "" {
		os.Setenv(saved.name, saved.value)
		saved.name = ""
	}
}
