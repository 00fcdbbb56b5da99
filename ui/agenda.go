package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"caltray/assets"
	calsync "caltray/sync"
	"caltray/ui/model"
)

// AgendaTitle is the agenda window's title; tests and scripts find the window by it.
const AgendaTitle = "Agenda — caltray"

// agendaWindow is the agenda: the health on top, the Refresh button, and the meetings grouped
// by day. While all is well the health is one line ("Up to date · synced 10:42") and the
// meetings get the room; the full panel (breaker, failures, last error, next retry, the plot)
// opens by itself when something is wrong (model.Troubled), or with "Details". It belongs to
// the Fyne goroutine.
type agendaWindow struct {
	c   *controller
	win fyne.Window

	// The health panel.
	icon        *canvas.Image
	status      *widget.Label
	breaker     *widget.Label
	failures    *widget.Label
	lastSuccess *widget.Label
	lastError   *widget.Label
	nextRetry   *widget.Label
	plot        *plot
	lastSync    *widget.Label   // the plot's latest bar in words
	details     *fyne.Container // the panel below the status line: shown when troubled or asked for
	more        *widget.Button  // "Details" / "Hide details", while all is well
	expanded    bool            // the user asked for the details

	refresh  *widget.Button
	progress *widget.ProgressBarInfinite
	notice   *fyne.Container // a banner for the keyring state
	list     *container.Scroll

	shownGen uint64 // the snapshot generation and minute the list shows, to skip no-op updates
	shownAt  time.Time
	shown    bool

	// focusID is the event bringIntoView asks for while the list is built; focusRow its row.
	focusID  string
	focusRow fyne.CanvasObject
}

// showAgenda opens (or raises) the agenda window, filled from the latest snapshot.
func (c *controller) showAgenda() {
	if c.agenda == nil {
		c.agenda = newAgendaWindow(c)
	}
	snap := c.state().snap
	c.agenda.update(snap, c.o.Clock.Now())
	c.agenda.win.Show()
	c.agenda.win.RequestFocus()
	c.agendaShown = true
}

// closeAgenda is the agenda window's close button. The window is hidden, not destroyed, so it
// opens again at once; in the window process, closing the last window ends the process.
func (c *controller) closeAgenda() {
	if c.noTray && !c.o.Child {
		// Without a tray the window is the app: closing it quits.
		c.quit()
		return
	}
	c.agenda.win.Hide()
	c.agendaShown = false
	c.maybeQuit()
}

func newAgendaWindow(c *controller) *agendaWindow {
	w := &agendaWindow{c: c, win: c.app.NewWindow(AgendaTitle)}
	w.win.SetIcon(fyne.NewStaticResource("caltray.png", assets.App()))
	w.win.SetCloseIntercept(c.closeAgenda)

	w.icon = canvas.NewImageFromResource(trayIcon(assets.SignedOut))
	w.icon.FillMode = canvas.ImageFillContain
	w.icon.SetMinSize(fyne.NewSize(24, 24))
	w.status = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.status.Wrapping = fyne.TextWrapWord
	w.breaker, w.failures, w.lastSuccess = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	w.lastError, w.nextRetry = widget.NewLabel(""), widget.NewLabel("")
	w.lastError.Wrapping = fyne.TextWrapWord
	w.plot = newPlot()
	w.lastSync = widget.NewLabel("")
	w.lastSync.Importance = widget.LowImportance

	grid := container.New(layout.NewFormLayout(),
		dim("Breaker"), w.breaker,
		dim("Failures"), w.failures,
		dim("Last success"), w.lastSuccess,
		dim("Last error"), w.lastError,
		dim("Next retry"), w.nextRetry,
		dim("Last syncs"), container.NewVBox(w.plot, w.lastSync),
	)
	w.details = grid
	w.more = widget.NewButton("Details", func() {
		w.expanded = !w.expanded
		w.update(c.state().snap, c.o.Clock.Now())
	})
	w.more.Importance = widget.LowImportance
	health := container.NewVBox(container.NewBorder(nil, nil, w.icon, w.more, w.status), grid)

	w.refresh = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), func() {
		// Disable at once: the snapshot saying "syncing" comes a moment later, and a second
		// click in between must not queue a second sync.
		w.refresh.Disable()
		c.o.Loop.Refresh()
	})
	// Preferences is here too: without a tray host this window is the only way to them.
	prefs := widget.NewButtonWithIcon("Preferences…", theme.SettingsIcon(), func() { c.showPrefs() })
	w.progress = widget.NewProgressBarInfinite()
	w.progress.Hide()
	w.progress.Stop()
	w.notice = container.NewVBox()
	w.list = container.NewVScroll(container.NewVBox())

	buttons := container.NewHBox(prefs, w.refresh)
	top := container.NewVBox(health, container.NewBorder(nil, nil, nil, buttons, w.progress), w.notice, widget.NewSeparator())
	w.win.SetContent(container.NewBorder(top, nil, nil, nil, w.list))
	w.win.Resize(fyne.NewSize(520, 640))
	return w
}

func dim(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Importance = widget.LowImportance
	return l
}

// update shows snap at now.
func (w *agendaWindow) update(snap calsync.Snapshot, now time.Time) {
	c := w.c
	loc := c.o.Location
	p := model.HealthPanel(snap, now, loc, c.o.AttemptTimeout)
	w.icon.Resource = trayIcon(model.IconState(snap))
	w.icon.Refresh()
	full := model.Troubled(snap) || w.expanded
	if full {
		w.status.SetText(p.Status)
	} else {
		w.status.SetText(model.SummaryLine(snap, now, loc))
	}
	if full != w.details.Visible() {
		if full {
			w.details.Show()
		} else {
			w.details.Hide()
		}
		// The top's height changed: lay the window out again, so the list takes the room.
		defer w.win.Content().Refresh()
	}
	// Asking for the details only matters while all is well; when something is wrong they
	// are shown anyway.
	switch {
	case model.Troubled(snap):
		w.more.Hide()
	case w.expanded:
		w.more.SetText("Hide details")
		w.more.Show()
	default:
		w.more.SetText("Details")
		w.more.Show()
	}
	w.breaker.SetText(p.Breaker)
	w.failures.SetText(p.Failures)
	w.lastSuccess.SetText(p.LastSuccess)
	w.lastError.SetText(p.LastError)
	w.nextRetry.SetText(p.NextRetry)
	w.plot.set(p.Bars)
	w.lastSync.SetText("")
	if n := len(p.Bars); n > 0 {
		w.lastSync.SetText("Latest: " + p.Bars[n-1].Label)
	}

	signedIn := snap.Auth != calsync.AuthSignedOut && snap.Auth != calsync.AuthSignInNeeded
	if snap.Syncing {
		w.refresh.SetText("Syncing…")
		w.refresh.Disable()
		w.progress.Show()
		w.progress.Start()
	} else {
		w.refresh.SetText("Refresh")
		if signedIn {
			w.refresh.Enable()
		} else {
			w.refresh.Disable()
		}
		w.progress.Stop()
		w.progress.Hide()
	}

	w.notice.Objects = nil
	if c.noTray {
		w.notice.Objects = append(w.notice.Objects, warning(model.NoTrayText))
	}
	if snap.Auth == calsync.AuthNoKeyring {
		w.notice.Objects = append(w.notice.Objects, warning(
			"No keyring: your sign-in lasts only until caltray quits. Start or unlock your desktop's keyring "+
				"(GNOME Keyring or KWallet, the Secret Service) to stay signed in."))
	}
	if snap.Health.Stale && signedIn && !snap.LastSync.IsZero() {
		w.notice.Objects = append(w.notice.Objects, warning(fmt.Sprintf(
			"This agenda is from %s (%s) and may be out of date.", snap.LastSync.In(loc).Format("Mon 15:04"), model.Ago(snap.LastSync, now))))
	}
	w.notice.Refresh()

	minute := now.Truncate(time.Minute)
	if w.shown && snap.Generation == w.shownGen && minute.Equal(w.shownAt) {
		return
	}
	w.shown, w.shownGen, w.shownAt = true, snap.Generation, minute
	offset := w.list.Offset
	w.list.Content = w.dayList(snap, now, signedIn)
	w.list.Offset = offset // kept across updates, so the minute tick does not scroll away
	w.list.Refresh()
}

func warning(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return l
}

// dayList builds the meetings, or the empty state that says what to do.
func (w *agendaWindow) dayList(snap calsync.Snapshot, now time.Time, signedIn bool) fyne.CanvasObject {
	c := w.c
	switch {
	case snap.Auth == calsync.AuthSignedOut || snap.Auth == calsync.AuthSignInNeeded:
		text := "You are signed out. Sign in with your Microsoft 365 account to see your meetings."
		if snap.Auth == calsync.AuthSignInNeeded {
			text = "Your sign-in has expired. Sign in again to update your meetings."
		}
		// The account's own words, except for nobody signed in: those point to the terminal
		// and the tray menu, and the button below is the way here.
		if snap.AuthMessage != "" && snap.Auth != calsync.AuthSignedOut {
			text += "\n" + snap.AuthMessage
		}
		return emptyState(text, c.o.SignIn != nil, "Sign in…", func() { c.do(model.Item{Action: model.ActionSignIn}) })
	case model.FirstSyncFailed(snap):
		text := "Could not load your calendar yet"
		if snap.Health.LastError != "" {
			text += ": " + model.ErrorText(snap.Health.LastErrorKind, snap.Health.LastError, c.o.AttemptTimeout)
		}
		return emptyState(text+".\ncaltray keeps trying (see Next retry above); Refresh tries now.", false, "", nil)
	case snap.LastSync.IsZero() && len(snap.Appointments) == 0:
		return emptyState("Loading your calendar…", false, "", nil)
	}
	days := model.Agenda(snap, now, c.o.Location)
	if len(days) == 0 {
		c.mu.Lock()
		n := c.settings.WindowDays
		c.mu.Unlock()
		return emptyState(fmt.Sprintf("No meetings today or in the next %d days.\n"+
			"If you expected some, check Preferences: declined, cancelled or all-day events may be hidden.", n),
			true, "Preferences…", func() { c.do(model.Item{Action: model.ActionPreferences}) })
	}
	// Build the whole list first: each Container.Add lays the box out again.
	var objs []fyne.CanvasObject
	for _, d := range days {
		h := widget.NewLabelWithStyle(d.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		h.SizeName = theme.SizeNameSubHeadingText
		objs = append(objs, h)
		for _, r := range d.Rows {
			o := w.row(r)
			if r.ID != "" && r.ID == w.focusID && w.focusRow == nil {
				w.focusRow = o
			}
			objs = append(objs, o)
		}
	}
	return container.NewVBox(objs...)
}

func emptyState(text string, withButton bool, label string, tapped func()) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	box := container.NewVBox(layout.NewSpacer(), l)
	if withButton {
		b := widget.NewButton(label, tapped)
		b.Importance = widget.HighImportance
		box.Add(container.NewCenter(b))
	}
	return box
}

// timeWidth fits "23:30 – 00:30 (Sat)" so titles line up.
const timeWidth = 150

func (w *agendaWindow) row(r model.Row) fyne.CanvasObject {
	c := w.c
	when := widget.NewLabel(r.Time)
	title := widget.NewLabelWithStyle(r.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: r.Now})
	var sub []fyne.CanvasObject
	if r.Badge != "" {
		b := widget.NewLabelWithStyle(r.Badge, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		b.Importance = widget.WarningImportance
		if r.Badge != "Tentative" {
			b.Importance = widget.DangerImportance
		}
		sub = append(sub, b)
	}
	if r.Location != "" {
		loc := widget.NewLabel(r.Location)
		loc.Importance = widget.LowImportance
		sub = append(sub, loc)
	}
	var details fyne.CanvasObject = title
	if len(sub) > 0 {
		details = container.NewVBox(title, container.NewHBox(sub...))
	}
	if r.Past {
		when.Importance, title.Importance = widget.LowImportance, widget.LowImportance
	}
	var right fyne.CanvasObject
	if r.JoinURL != "" && !r.Past {
		url := r.JoinURL
		b := widget.NewButton("Join", func() { c.openURL(url) })
		if r.Now {
			b.Importance = widget.HighImportance
		}
		right = b
	}
	timeBox := container.New(layout.NewGridWrapLayout(fyne.NewSize(timeWidth, when.MinSize().Height)), when)
	return container.NewBorder(nil, nil, timeBox, right, details)
}

// plot draws the last syncs' durations as bars, tallest scaled to the plot's height; a failed
// sync is a full-height red bar with a cross under it, so it stands out without colour too.
type plot struct {
	widget.BaseWidget
	bars []model.Bar
}

func newPlot() *plot {
	p := &plot{}
	p.ExtendBaseWidget(p)
	return p
}

func (p *plot) set(bars []model.Bar) {
	p.bars = bars
	p.Refresh()
}

func (p *plot) CreateRenderer() fyne.WidgetRenderer {
	r := &plotRenderer{p: p, empty: canvas.NewText("no syncs yet", theme.Color(theme.ColorNameDisabled))}
	r.empty.TextSize = theme.CaptionTextSize()
	r.Refresh()
	return r
}

type plotRenderer struct {
	p       *plot
	rects   []*canvas.Rectangle
	marks   []*canvas.Text
	empty   *canvas.Text
	objects []fyne.CanvasObject
}

const (
	plotHeight = 36
	barWidth   = 10
	barGap     = 3
	markHeight = 12
)

func (r *plotRenderer) MinSize() fyne.Size {
	return fyne.NewSize(model.MaxBars*(barWidth+barGap), plotHeight+markHeight)
}

func (r *plotRenderer) Layout(size fyne.Size) {
	bars := r.p.bars
	var longest time.Duration
	for _, b := range bars {
		longest = max(longest, b.Duration)
	}
	for i, b := range bars {
		h := float32(plotHeight)
		if !b.Failed && longest > 0 {
			h = max(2, float32(plotHeight)*float32(b.Duration)/float32(longest))
		}
		x := float32(i * (barWidth + barGap))
		r.rects[i].Move(fyne.NewPos(x, plotHeight-h))
		r.rects[i].Resize(fyne.NewSize(barWidth, h))
		r.marks[i].Move(fyne.NewPos(x, plotHeight))
		r.marks[i].Resize(fyne.NewSize(barWidth, markHeight))
	}
	r.empty.Move(fyne.NewPos(0, plotHeight/2))
}

func (r *plotRenderer) Refresh() {
	bars := r.p.bars
	for len(r.rects) < len(bars) {
		r.rects = append(r.rects, canvas.NewRectangle(color.Transparent))
		t := canvas.NewText("", color.Black)
		t.TextSize = markHeight - 2
		t.Alignment = fyne.TextAlignCenter
		r.marks = append(r.marks, t)
	}
	r.rects, r.marks = r.rects[:len(bars)], r.marks[:len(bars)]
	r.objects = r.objects[:0]
	for i, b := range bars {
		if b.Failed {
			r.rects[i].FillColor = theme.Color(theme.ColorNameError)
			r.marks[i].Text = "✕"
			r.marks[i].Color = theme.Color(theme.ColorNameError)
		} else {
			r.rects[i].FillColor = theme.Color(theme.ColorNameSuccess)
			r.marks[i].Text = ""
		}
		r.objects = append(r.objects, r.rects[i], r.marks[i])
	}
	if len(bars) == 0 {
		r.objects = append(r.objects, r.empty)
	}
	r.Layout(r.p.Size())
	canvas.Refresh(r.p)
}

func (r *plotRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *plotRenderer) Destroy()                     {}
