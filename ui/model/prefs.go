package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	calsync "caltray/sync"
)

// Form is the preferences window's fields as the user typed them.
type Form struct {
	DaysAhead       string // whole days after today, 0–calsync.MaxWindowDays
	IntervalMinutes string // minutes between syncs
	ReminderMinutes string // minutes before a meeting; 0 turns reminders off
	HideDeclined    bool
	HideCancelled   bool
	HideAllDay      bool
}

// FormOf fills the form from settings.
func FormOf(s calsync.Settings) Form {
	return Form{
		DaysAhead:       strconv.Itoa(s.WindowDays),
		IntervalMinutes: strconv.Itoa(int(s.Interval / time.Minute)),
		ReminderMinutes: strconv.Itoa(s.ReminderMinutes),
		HideDeclined:    s.HideDeclined,
		HideCancelled:   s.HideCancelled,
		HideAllDay:      s.HideAllDay,
	}
}

// The field validators, each usable as a Fyne Entry's Validator: they return an error that
// says what is wrong and what to type instead.
var (
	ValidateDaysAhead = intField("Days ahead", 0, calsync.MaxWindowDays, "0 shows today only")
	ValidateInterval  = intField("Refresh every", int(calsync.MinInterval/time.Minute), int(calsync.MaxInterval/time.Minute), "minutes")
	ValidateReminder  = intField("Remind before", 0, calsync.MaxReminder, "minutes; 0 turns reminders off")
)

func intField(name string, lo, hi int, hint string) func(string) error {
	return func(s string) error {
		_, err := parseInt(name, s, lo, hi, hint)
		return err
	}
}

func parseInt(name, s string, lo, hi int, hint string) (int, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%s is empty: type a whole number from %d to %d (%s)", name, lo, hi, hint)
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number; type one from %d to %d (%s)", name, t, lo, hi, hint)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s: %d is out of range; type a number from %d to %d (%s)", name, n, lo, hi, hint)
	}
	return n, nil
}

// Settings parses the form over base (which keeps any setting the form does not show). It
// returns every field's problem at once, joined, and the settings only if there are none.
func (f Form) Settings(base calsync.Settings) (calsync.Settings, error) {
	days, err1 := parseInt("Days ahead", f.DaysAhead, 0, calsync.MaxWindowDays, "0 shows today only")
	interval, err2 := parseInt("Refresh every", f.IntervalMinutes, int(calsync.MinInterval/time.Minute), int(calsync.MaxInterval/time.Minute), "minutes")
	reminder, err3 := parseInt("Remind before", f.ReminderMinutes, 0, calsync.MaxReminder, "minutes; 0 turns reminders off")
	if err := errors.Join(err1, err2, err3); err != nil {
		return base, err
	}
	s := base
	s.WindowDays = days
	s.Interval = time.Duration(interval) * time.Minute
	s.ReminderMinutes = reminder
	s.HideDeclined, s.HideCancelled, s.HideAllDay = f.HideDeclined, f.HideCancelled, f.HideAllDay
	// The sync package owns the rules; check against them too, in case they grow.
	if err := s.Validate(); err != nil {
		return base, err
	}
	return s, nil
}
