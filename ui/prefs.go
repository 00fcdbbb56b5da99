package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	calsync "caltray/sync"
	"caltray/ui/autostart"
	"caltray/ui/model"
)

// PrefsTitle is the preferences window's title.
const PrefsTitle = "Preferences — caltray"

// prefsForm is the preferences window's widgets, kept for tests.
type prefsForm struct {
	days, interval, reminder                       *widget.Entry
	hideDeclined, hideCancelled, hideAllDay, login *widget.Check
	form                                           *widget.Form
	message                                        *widget.Label

	// Reminders: when (model.ReminderChoices), all-day events too, a window at the start.
	reminders                 *widget.RadioGroup
	remindAllDay, startWindow *widget.Check
}

// showPrefs opens (or raises) the preferences window.
func (c *controller) showPrefs() {
	if c.prefs != nil {
		c.prefs.Show()
		c.prefs.RequestFocus()
		return
	}
	w := c.app.NewWindow(PrefsTitle)
	f := c.newPrefsForm(func() { w.Close() })
	w.SetContent(container.NewPadded(container.NewVBox(f.form, c.sourcesView(), f.message)))
	w.SetOnClosed(func() {
		c.prefs = nil
		c.maybeQuit()
	})
	w.Resize(fyne.NewSize(460, 0))
	c.prefs = w
	w.Show()
}

// newPrefsForm builds the form from the current settings. Entries refuse bad input as it is
// typed (the form shows the validator's message and disables Save); Save writes the settings
// file, hands the settings to the loop and sets up start at login, then calls done.
func (c *controller) newPrefsForm(done func()) *prefsForm {
	settings := c.state().settings
	v := model.FormOf(settings)
	f := &prefsForm{message: widget.NewLabel("")}
	f.message.Wrapping = fyne.TextWrapWord
	f.message.Importance = widget.DangerImportance
	entry := func(text string, validate func(string) error) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(text)
		e.Validator = validate
		return e
	}
	f.days = entry(v.DaysAhead, model.ValidateDaysAhead)
	f.interval = entry(v.IntervalMinutes, model.ValidateInterval)
	f.reminder = entry(v.ReminderMinutes, model.ValidateReminder)
	var labels []string
	for _, c := range model.ReminderChoices {
		labels = append(labels, c.Label)
	}
	f.reminders = widget.NewRadioGroup(labels, func(label string) {
		// The minutes apply only to "the same time before every meeting".
		if model.ReminderModeOf(label) == calsync.RemindersFixed {
			f.reminder.Enable()
		} else {
			f.reminder.Disable()
		}
	})
	f.reminders.Required = true
	f.reminders.SetSelected(model.ReminderLabel(v.Reminders))
	f.remindAllDay = widget.NewCheck("Remind of all-day events too", nil)
	f.remindAllDay.SetChecked(v.RemindAllDay)
	f.startWindow = widget.NewCheck("Show a window when a meeting starts", nil)
	f.startWindow.SetChecked(v.StartWindow)
	help := widget.NewLabel(model.ReminderHelp)
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	f.hideDeclined = widget.NewCheck("Hide declined meetings", nil)
	f.hideDeclined.SetChecked(v.HideDeclined)
	f.hideCancelled = widget.NewCheck("Hide cancelled meetings", nil)
	f.hideCancelled.SetChecked(v.HideCancelled)
	f.hideAllDay = widget.NewCheck("Hide all-day events", nil)
	f.hideAllDay.SetChecked(v.HideAllDay)
	f.login = widget.NewCheck("Start caltray when I log in", nil)
	if on, err := autostart.Enabled(); err != nil {
		f.message.SetText(err.Error())
	} else {
		f.login.SetChecked(on)
	}

	f.form = &widget.Form{
		Items: []*widget.FormItem{
			{Text: "Days ahead", Widget: f.days, HintText: "Days after today the agenda shows (0–60)"},
			{Text: "Refresh every", Widget: f.interval, HintText: "Minutes between syncs"},
			{Text: "Reminders", Widget: f.reminders},
			{Text: "Remind before", Widget: f.reminder, HintText: "Minutes before every meeting; 0 reminds at the start"},
			{Text: "", Widget: f.remindAllDay},
			{Text: "", Widget: f.startWindow},
			{Text: "", Widget: help},
			{Text: "", Widget: f.hideDeclined},
			{Text: "", Widget: f.hideCancelled},
			{Text: "", Widget: f.hideAllDay},
			{Text: "", Widget: f.login},
		},
		SubmitText: "Save",
		OnSubmit: func() {
			if err := c.savePrefs(f); err != nil {
				f.message.SetText(err.Error())
				return
			}
			f.message.SetText("")
			if done != nil {
				done()
			}
		},
		CancelText: "Cancel",
		OnCancel: func() {
			if done != nil {
				done()
			}
		},
	}
	f.form.Refresh()
	return f
}

// savePrefs validates and applies the form. Nothing is written unless every field is valid.
func (c *controller) savePrefs(f *prefsForm) error {
	base := c.state().settings
	s, err := model.Form{
		DaysAhead:       f.days.Text,
		IntervalMinutes: f.interval.Text,
		Reminders:       model.ReminderModeOf(f.reminders.Selected),
		ReminderMinutes: f.reminder.Text,
		RemindAllDay:    f.remindAllDay.Checked,
		StartWindow:     f.startWindow.Checked,
		HideDeclined:    f.hideDeclined.Checked,
		HideCancelled:   f.hideCancelled.Checked,
		HideAllDay:      f.hideAllDay.Checked,
	}.Settings(base)
	if err != nil {
		return err
	}
	if c.o.SaveSettings != nil {
		// The window process: the tray process writes the file, applies the settings and
		// sets up start at login; it reports a failure as a notification.
		if err := c.o.SaveSettings(s, f.login.Checked); err != nil {
			return err
		}
		c.mu.Lock()
		c.settings = s
		c.mu.Unlock()
		c.changed()
		return nil
	}
	path, err := c.settingsPath()
	if err != nil {
		return err
	}
	if err := calsync.SaveSettings(path, s); err != nil {
		return fmt.Errorf("could not save the settings: %w", err)
	}
	if err := c.o.Loop.SetSettings(s); err != nil {
		return fmt.Errorf("the settings were saved but not applied: %w", err)
	}
	c.mu.Lock()
	c.settings = s
	c.mu.Unlock()
	c.changed()

	if f.login.Checked {
		p, err := exe()
		if err == nil {
			err = autostart.Enable(p)
		}
		if err != nil {
			return err
		}
	} else if err := autostart.Disable(); err != nil {
		return err
	}
	return nil
}
