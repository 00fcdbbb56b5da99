package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	calsync "caltray/sync"
)

// daysFlag is --days: a count of days, or unset to use the settings' window.
type daysFlag struct {
	n   int
	set bool
}

func (d *daysFlag) String() string {
	if d == nil || !d.set {
		return "" // unset: PrintDefaults shows no default, the usage line says what it is
	}
	return strconv.Itoa(d.n)
}

func (d *daysFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("want a whole number of days, 0 or more")
	}
	if n > calsync.MaxWindowDays {
		return fmt.Errorf("the agenda covers at most %d days ahead (0 is today only)", calsync.MaxWindowDays)
	}
	d.n, d.set = n, true
	return nil
}

// value is the days for agenda.Options: -1 when unset.
func (d *daysFlag) value() int {
	if !d.set {
		return -1
	}
	return d.n
}

// urlFlag is a URL-valued flag that refuses, at parse time, what can only be a mistake: an
// empty or blank value (which would otherwise mean "the default", sending the token to
// Microsoft's Graph when the user meant another), and spaces or control characters.
type urlFlag struct{ p *string }

// urlVar defines a URL flag on fs that stores into p, with default def.
func urlVar(fs *flag.FlagSet, p *string, name, def, usage string) {
	*p = def
	fs.Var(&urlFlag{p}, name, usage)
}

func (u *urlFlag) String() string {
	if u == nil || u.p == nil {
		return ""
	}
	return *u.p
}

func (u *urlFlag) Set(s string) error {
	if err := checkURLText(s); err != nil {
		return err
	}
	*u.p = s
	return nil
}

// checkURLText reports a URL's text that is empty or holds a space or a control character,
// naming the character and where it is.
func checkURLText(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("is empty: give a URL, or leave the flag out to use the default")
	}
	for i, r := range []rune(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("has %s at character %d: a URL cannot contain spaces or control characters (percent-encode a space as %%20)",
				describeRune(r), i+1)
		}
	}
	return nil
}

// describeRune names a character for an error message without printing it raw.
func describeRune(r rune) string {
	if r == ' ' {
		return "a space (U+0020)"
	}
	return fmt.Sprintf("the character %U", r)
}

// checkURLFlags applies checkURLText to the URL flags of fs that were set but are not urlFlags
// (the sign-in's --authority, which package auth registers).
func checkURLFlags(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if _, ok := f.Value.(*urlFlag); ok || err != nil {
			return
		}
		if f.Name == "authority" || strings.HasSuffix(f.Name, "-url") {
			if e := checkURLText(f.Value.String()); e != nil {
				err = fmt.Errorf("--%s %w", f.Name, e)
			}
		}
	})
	return err
}
