package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"caltray/assets"
	calsync "caltray/sync"
	"caltray/ui/model"
)

// owner is the one goroutine that decides what the tray and windows show, as in Tailscale's
// systray: snapshots, the minute tick and other changes (through controller.kick, a buffered
// channel of one) wake it; it computes the menu, icon and reminders from the latest state and
// hands only real changes to the Fyne goroutine with fyne.Do.
type owner struct {
	c         *controller
	items     []model.Item // the menu last rendered
	icon      assets.State
	rendered  bool
	reminders *model.Reminders
}

func newOwner(c *controller) *owner {
	return &owner{c: c, icon: -1, reminders: model.NewReminders()}
}

// run renders until ctx ends. It sleeps between events: the only timer is the next whole
// minute (for the countdown) or the next reminder, whichever comes first.
func (w *owner) run(ctx context.Context, snaps <-chan calsync.Snapshot) {
	clock := w.c.o.Clock
	for {
		now := clock.Now()
		next := w.render(now)
		t := clock.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case s, ok := <-snaps:
			if !ok {
				snaps = nil // the loop stopped: keep showing the last state
				break
			}
			w.c.mu.Lock()
			w.c.snap, w.c.haveSnap = s, true
			w.c.mu.Unlock()
		case <-w.c.kick:
		case <-t.C():
		}
		t.Stop()
	}
}

// render brings the UI up to date at now and returns when it must run again.
func (w *owner) render(now time.Time) (next time.Time) {
	st := w.c.state()
	snap, have, outage, settings := st.snap, st.haveSnap, st.outage, st.settings
	loc := w.c.o.Location
	next = nextMinute(now, loc)

	items := model.Menu(snap, now, w.c.menuOptions(outage))
	icon := model.IconState(snap)
	if !have {
		// Before the first snapshot there is nothing to report: show the neutral icon.
		icon = assets.SignedOut
	}
	policy := model.PolicyOf(settings)
	var due []model.Reminder
	if !w.c.o.Child { // the window process leaves reminders to the tray process
		due = w.reminders.Due(snap.Appointments, now, policy, loc)
		if r := w.reminders.Next(snap.Appointments, now, policy, loc); !r.IsZero() && r.Before(next) {
			next = r
		}
	}

	menuChanged := !w.rendered || !slices.Equal(items, w.items)
	iconChanged := icon != w.icon
	w.items, w.icon, w.rendered = items, icon, true
	c := w.c
	c.ui(func() {
		if c.tray != nil {
			if menuChanged {
				c.tray.SetSystemTrayMenu(c.fyneMenu(items))
			}
			if iconChanged {
				c.tray.SetSystemTrayIcon(trayIcon(icon))
			}
		}
		if c.agenda != nil {
			c.agenda.update(snap, now)
		}
		for _, r := range due {
			c.notify(r.Title, r.Body)
		}
	})
	return next
}

// nextMinute is the start of the minute after now, plus a little so the countdown has
// surely moved on when we wake (timers can fire a hair early relative to the wall clock).
func nextMinute(now time.Time, loc *time.Location) time.Time {
	return now.In(loc).Truncate(time.Minute).Add(time.Minute + 50*time.Millisecond)
}

// trayIcons are built once: the tray compares resources by content anyway, but there is no
// need to allocate on every state change.
var trayIcons = func() map[assets.State]fyne.Resource {
	m := map[assets.State]fyne.Resource{}
	for _, s := range assets.States {
		m[s] = fyne.NewStaticResource("caltray-"+s.String()+".png", assets.Tray(s))
	}
	return m
}()

func trayIcon(s assets.State) fyne.Resource { return trayIcons[s] }

// fyneMenu renders the model's items. Fyne appends its own separator and Quit.
func (c *controller) fyneMenu(items []model.Item) *fyne.Menu {
	var out []*fyne.MenuItem
	for _, it := range items {
		if it.Separator {
			out = append(out, fyne.NewMenuItemSeparator())
			continue
		}
		mi := fyne.NewMenuItem(it.Label, nil)
		mi.Disabled = it.Disabled
		mi.Checked = it.Checked
		if it.Action != model.ActionNone {
			mi.Action = func() { c.do(it) }
		}
		out = append(out, mi)
	}
	// The one Quit: Fyne keeps a last item labelled "Quit" as its quit item instead of
	// appending another, and this one marks the app as quitting before Fyne tears down.
	quit := fyne.NewMenuItem(lang.L("Quit"), c.quit)
	quit.IsQuit = true
	out = append(out, fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMenu("caltray", out...)
}
