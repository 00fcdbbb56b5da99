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
	DaysAhead       string               // whole days after today, 0–calsync.MaxWindowDays
	IntervalMinutes string               // minutes between syncs
	Reminders       calsync.ReminderMode // see ReminderChoices; "" means Outlook's
	ReminderMinutes string               // minutes before every meeting (RemindersFixed); 0: at the start
	RemindAllDay    bool
	StartWindow     bool
	HideDeclined    bool
	HideCancelled   bool
	HideAllDay      bool
}

// FormOf fills the form from settings.
func FormOf(s calsync.Settings) Form {
	return Form{
		DaysAhead:       strconv.Itoa(s.WindowDays),
		IntervalMinutes: strconv.Itoa(int(s.Interval / time.Minute)),
		Reminders:       s.Reminders,
		ReminderMinutes: strconv.Itoa(s.ReminderMinutes),
		RemindAllDay:    s.RemindAllDay,
		StartWindow:     s.StartWindow,
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
	ValidateReminder  = intField("Remind before", 0, calsync.MaxReminder, reminderHint)
)

const reminderHint = "minutes before every meeting; 0 reminds at the start"

// A ReminderChoice is one of the preferences' reminder modes, with its label.
type ReminderChoice struct {
	Mode  calsync.ReminderMode
	Label string
}

// ReminderChoices are the reminder modes the preferences offer, in order; the first is the
// default.
var ReminderChoices = []ReminderChoice{
	{calsync.RemindersOutlook, "As set in Outlook"},
	{calsync.RemindersFixed, "The same time before every meeting"},
	{calsync.RemindersOff, "Off"},
}

// ReminderLabel returns the label of mode ("" is Outlook's).
func ReminderLabel(mode calsync.ReminderMode) string {
	for _, c := range ReminderChoices {
		if c.Mode == mode {
			return c.Label
		}
	}
	return ReminderChoices[0].Label
}

// ReminderModeOf returns the mode whose label is label, or Outlook's for any other text.
func ReminderModeOf(label string) calsync.ReminderMode {
	for _, c := range ReminderChoices {
		if c.Label == label {
			return c.Mode
		}
	}
	return ReminderChoices[0].Mode
}

// ReminderHelp explains the reminders in the preferences: where they come from, and that
// Snooze and Dismiss stay in caltray.
const ReminderHelp = "caltray reminds you when Outlook would, or at the time you choose. " +
	"Snooze and Dismiss are caltray's own: caltray only reads your calendar, so Outlook and " +
	"your other devices still show their reminders."

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
	reminder, err3 := parseInt("Remind before", f.ReminderMinutes, 0, calsync.MaxReminder, reminderHint)
	if err := errors.Join(err1, err2, err3); err != nil {
		return base, err
	}
	s := base
	s.WindowDays = days
	s.Interval = time.Duration(interval) * time.Minute
	s.Reminders, s.ReminderMinutes, s.RemindAllDay, s.StartWindow = f.Reminders, reminder, f.RemindAllDay, f.StartWindow
	s.HideDeclined, s.HideCancelled, s.HideAllDay = f.HideDeclined, f.HideCancelled, f.HideAllDay
	// The sync package owns the rules; check against them too, in case they grow.
	if err := s.Validate(); err != nil {
		return base, err
	}
	return s, nil
}
