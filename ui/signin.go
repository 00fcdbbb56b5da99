package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	calsync "caltray/sync"
	"caltray/ui/ipc"
	"caltray/ui/model"
)

// SignInTitle is the sign-in window's title.
const SignInTitle = "Sign in — caltray"

// signInWindow is the sign-in window's widgets. The sign-in itself runs in the tray process
// (it owns the token): the window starts and cancels it (Options.StartSignIn, CancelSignIn) and
// shows the states the tray sends (controller.setSignIn). Fyne goroutine only.
type signInWindow struct {
	win fyne.Window

	// The settings, shown only when no configuration gives a client ID.
	settings         *fyne.Container
	clientID, tenant *widget.Entry
	help             *widget.Button

	browser, code *widget.Button // start the two flows
	choose        *fyne.Container

	// While a sign-in runs.
	waiting              *fyne.Container
	waitText             *widget.Label
	userCode, verify     *widget.Label
	copyCode, openVerify *widget.Button
	codeBox              *fyne.Container
	cancel               *widget.Button

	// After a failure.
	failure           *fyne.Container
	what, fix, detail *widget.Label
	consentURL        *widget.Label
	copyConsent       *widget.Button
	consentBox        *fyne.Container
}

// showSignIn opens (or raises) the sign-in window with the latest state.
func (c *controller) showSignIn() {
	if c.o.StartSignIn == nil {
		return
	}
	if c.signin != nil {
		c.signin.update(c.signinState)
		c.signin.win.Show()
		c.signin.win.RequestFocus()
		return
	}
	s := c.newSignInWindow()
	s.win.SetOnClosed(func() {
		if c.signinState.Running {
			_ = c.o.CancelSignIn() // nobody is left to see it finish
		}
		c.signin = nil
		c.maybeQuit()
	})
	c.signin = s
	s.update(c.signinState)
	// Sized after update has hidden what this state does not show: measured with everything
	// visible, the window would open hundreds of pixels too tall.
	s.win.Resize(fyne.NewSize(520, 1))
	s.win.Show()
	if s.settings.Visible() {
		s.win.Canvas().Focus(s.clientID)
	} else {
		s.win.Canvas().Focus(s.browser)
	}
}

// setSignIn takes a state from the tray: the window shows it, and closes after a success.
func (c *controller) setSignIn(st ipc.SignInState) {
	c.signinState = st
	if c.signin == nil {
		return
	}
	if st.Done {
		c.signin.win.Close()
		return
	}
	c.signin.update(st)
}

func (c *controller) newSignInWindow() *signInWindow {
	s := &signInWindow{win: c.app.NewWindow(SignInTitle)}
	intro := widget.NewLabel("Sign in with your work or school account to see your meetings.")
	// One short line: a wrapped label measured before the window has its width would make it
	// hundreds of pixels tall.

	s.clientID = widget.NewEntry()
	s.clientID.SetPlaceHolder("00000000-0000-0000-0000-000000000000")
	s.clientID.Validator = model.ValidateClientID
	s.tenant = widget.NewEntry()
	s.tenant.SetPlaceHolder("organizations (any work or school account)")
	s.tenant.Validator = model.ValidateTenant
	s.help = widget.NewButton("How to register caltray…", func() { c.openURL(model.RegistrationHelpURL) })
	s.help.Importance = widget.LowImportance
	hint := widget.NewLabel("No Application (client) ID is configured. Ask your IT department for it, " +
		"or register caltray yourself (README: \"Register caltray in Microsoft Entra ID\").")
	hint.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem("Application (client) ID", s.clientID), widget.NewFormItem("Tenant", s.tenant))
	s.settings = container.NewVBox(hint, form, container.NewHBox(s.help))
	// The buttons follow the client ID's check as it is typed.
	s.clientID.OnChanged = func(string) { s.checkSettings() }
	s.tenant.OnChanged = func(string) { s.checkSettings() }

	start := func(deviceCode bool) {
		if s.settings.Visible() && s.settingsErr() != nil {
			return
		}
		id, tenant := "", ""
		if s.settings.Visible() {
			id, tenant = strings.TrimSpace(s.clientID.Text), strings.TrimSpace(s.tenant.Text)
		}
		if err := c.o.StartSignIn(deviceCode, id, tenant); err != nil {
			c.o.Logger.Error("start the sign-in", "err", err)
		}
	}
	s.browser = widget.NewButton("Sign in with the browser", func() { start(false) })
	s.browser.Importance = widget.HighImportance
	s.code = widget.NewButton("Use a code instead", func() { start(true) })
	s.choose = container.NewHBox(s.browser, s.code)

	s.waitText = widget.NewLabel("")
	s.waitText.Wrapping = fyne.TextWrapWord
	s.userCode = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.userCode.Selectable = true
	s.copyCode = widget.NewButton("Copy", func() { c.app.Clipboard().SetContent(s.userCode.Text) })
	s.verify = widget.NewLabel("")
	s.verify.Selectable = true
	s.openVerify = widget.NewButton("Open", func() { c.openURL(s.verify.Text) })
	s.codeBox = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Code:"), s.copyCode, s.userCode),
		container.NewBorder(nil, nil, widget.NewLabel("At:"), s.openVerify, s.verify))
	s.cancel = widget.NewButton("Cancel", func() { _ = c.o.CancelSignIn() })
	s.waiting = container.NewVBox(widget.NewProgressBarInfinite(), s.waitText, s.codeBox, container.NewHBox(s.cancel))

	s.what = widget.NewLabel("")
	s.what.Wrapping = fyne.TextWrapWord
	s.what.Importance = widget.DangerImportance
	s.fix = widget.NewLabel("")
	s.fix.Wrapping = fyne.TextWrapWord
	s.detail = widget.NewLabel("")
	s.detail.Wrapping = fyne.TextWrapWord
	s.detail.SizeName = "captionText"
	s.consentURL = widget.NewLabel("")
	s.consentURL.Selectable = true
	s.consentURL.Wrapping = fyne.TextWrapBreak
	s.copyConsent = widget.NewButton("Copy", func() { c.app.Clipboard().SetContent(s.consentURL.Text) })
	s.consentBox = container.NewBorder(nil, nil, nil, s.copyConsent, s.consentURL)
	s.failure = container.NewVBox(s.what, s.fix, s.consentBox, s.detail)

	s.win.SetContent(container.NewPadded(container.NewVBox(intro, s.settings, s.choose, s.waiting, s.failure)))
	return s
}

// settingsErr is the first problem with the typed client ID or tenant.
func (s *signInWindow) settingsErr() error {
	if err := model.ValidateClientID(s.clientID.Text); err != nil {
		return err
	}
	return model.ValidateTenant(s.tenant.Text)
}

// checkSettings enables the sign-in buttons only for a valid client ID and tenant.
func (s *signInWindow) checkSettings() {
	if !s.settings.Visible() || s.settingsErr() == nil {
		s.browser.Enable()
		s.code.Enable()
		return
	}
	s.browser.Disable()
	s.code.Disable()
}

// update shows st.
func (s *signInWindow) update(st ipc.SignInState) {
	if st.NeedClientID {
		s.settings.Show()
	} else {
		s.settings.Hide()
	}
	s.checkSettings()
	if st.Running {
		s.choose.Hide()
		s.settings.Hide()
		s.failure.Hide()
		s.waiting.Show()
		s.codeBox.Hide()
		s.waitText.SetText("Starting the sign-in…")
		if p := st.Progress; p != nil {
			switch p.Step {
			case calsync.SignInBrowser:
				s.waitText.SetText("Waiting for the browser… Finish signing in there; this window goes on by itself.")
			case calsync.SignInDeviceCode:
				s.waitText.SetText("On this or any other device, open the address and enter the code. caltray goes on by itself once it is entered.")
				s.userCode.SetText(p.UserCode)
				s.verify.SetText(p.URL)
				if p.URL == "" {
					s.openVerify.Disable()
				} else {
					s.openVerify.Enable()
				}
				s.codeBox.Show()
			}
		}
		s.win.Content().Refresh()
		return
	}
	s.waiting.Hide()
	s.choose.Show()
	if st.Failure == nil {
		s.failure.Hide()
		return
	}
	words := model.SignInFailureWords(*st.Failure)
	s.what.SetText(words.What)
	s.fix.SetText(words.Fix)
	if words.Fix == "" {
		s.fix.Hide()
	} else {
		s.fix.Show()
	}
	detail := ""
	if words.ShowDetail {
		detail = st.Failure.Message
		if st.Failure.Detail != "" {
			detail = st.Failure.Detail
		}
	}
	s.detail.SetText(detail)
	if detail == "" {
		s.detail.Hide()
	} else {
		s.detail.Show()
	}
	if u := st.Failure.AdminConsentURL; u != "" {
		s.consentURL.SetText(u)
		s.consentBox.Show()
	} else {
		s.consentBox.Hide()
	}
	s.failure.Show()
	s.win.Content().Refresh()
}

// sourcesView is the Preferences window's "Sign-in settings": each setting, its value and where
// it comes from (a flag, the environment, the account record, the managed configuration, the
// default), as `caltray whoami` says it. An empty container when the tray sent none.
func (c *controller) sourcesView() fyne.CanvasObject {
	if len(c.sources) == 0 {
		return container.NewVBox()
	}
	items := make([]*widget.FormItem, 0, len(c.sources))
	for _, s := range c.sources {
		l := widget.NewLabel(s.Value + "\n" + s.From)
		l.Wrapping = fyne.TextWrapBreak
		l.Selectable = true
		items = append(items, widget.NewFormItem(s.Name, l))
	}
	title := widget.NewLabelWithStyle("Sign-in settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewVBox(widget.NewSeparator(), title, widget.NewForm(items...))
}
