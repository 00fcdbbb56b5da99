package tray

import (
	"sync"

	"fyne.io/systray"

	"caltray/assets"
	"caltray/ui/model"
)

// Systray is the Host of the real desktop: fyne.io/systray, used directly. Its known traps,
// and what this code does about them:
//   - it watches NameOwnerChanged on the shared session-bus connection and gives up
//     re-registering (after a panel restart) on any signal with fewer than 3 arguments there:
//     nothing else in the tray process uses the shared connection (notifications, the
//     single-instance name and the tray-host check each open a private one);
//   - onReady runs on a goroutine concurrently with the native start (a data race on the
//     D-Bus objects): on Linux the start runs to its end before ready is called (run_linux.go);
//   - adding an item sends no LayoutUpdated, so a panel keeps showing the old menu: SetMenu
//     ends each rebuild by updating an existing item, which emits one;
//   - Remove (and so ResetMenu) closes an item's ClickedCh: each item's goroutine ranges over
//     its channel and so ends, never spins, when the item goes;
//   - Windows wants ICO icons: icon_windows.go wraps the PNGs.
type Systray struct {
	mu     sync.Mutex
	title  string
	items  []model.Item        // what the menu shows
	built  []*systray.MenuItem // its items, nil for separators
	click  func(model.Item)
	quitFn func()
	quit   chan struct{}
	once   sync.Once
}

// NewSystray returns the Host that shows the icon through fyne.io/systray.
func NewSystray(title string) *Systray { return &Systray{title: title, quit: make(chan struct{})} }

// Quit ends Run. Safe to call more than once, and before Run.
func (s *Systray) Quit() { s.once.Do(func() { close(s.quit) }) }

// SetIcon shows the icon of a state.
func (s *Systray) SetIcon(st assets.State) { systray.SetIcon(iconBytes(st)) }

// SetMenu shows items. When only labels, states and links changed (the minute's countdown, a
// sync finishing) the items are updated in place and keep their IDs, so an open menu stays
// open and a click already on its way reaches its item; otherwise the menu is rebuilt. Called
// from the tray's owner goroutine only.
func (s *Systray) SetMenu(items []model.Item, click func(model.Item), quit func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.click, s.quitFn = click, quit
	if sameShape(s.items, items) && s.built != nil {
		for i, it := range items {
			mi := s.built[i]
			if mi == nil {
				continue // a separator
			}
			if it.Label != s.items[i].Label {
				mi.SetTitle(it.Label)
			}
			switch {
			case it.Disabled && !s.items[i].Disabled:
				mi.Disable()
			case !it.Disabled && s.items[i].Disabled:
				mi.Enable()
			}
			switch {
			case it.Checked && !s.items[i].Checked:
				mi.Check()
			case !it.Checked && s.items[i].Checked:
				mi.Uncheck()
			}
		}
		s.items = items
		return
	}
	systray.ResetMenu()
	s.items, s.built = items, make([]*systray.MenuItem, len(items))
	for i, it := range items {
		if it.Separator {
			systray.AddSeparator()
			continue
		}
		var mi *systray.MenuItem
		if it.Action == model.ActionOutage {
			mi = systray.AddMenuItemCheckbox(it.Label, "", it.Checked)
		} else {
			mi = systray.AddMenuItem(it.Label, "")
		}
		if it.Disabled {
			mi.Disable()
		}
		s.built[i] = mi
		go func() {
			for range mi.ClickedCh { // ends when a rebuild removes the item
				s.clicked(i)
			}
		}()
	}
	systray.AddSeparator()
	q := systray.AddMenuItem("Quit", "")
	go func() {
		for range q.ClickedCh {
			s.mu.Lock()
			quit := s.quitFn
			s.mu.Unlock()
			quit()
		}
	}()
	// An update of an existing item is what makes systray emit LayoutUpdated.
	q.SetTitle("Quit")
}

// clicked runs the current item at index i (its link may have changed since it was built).
func (s *Systray) clicked(i int) {
	s.mu.Lock()
	if i >= len(s.items) || s.items[i].Action == model.ActionNone || s.items[i].Disabled {
		s.mu.Unlock()
		return
	}
	it, click := s.items[i], s.click
	s.mu.Unlock()
	click(it)
}

// sameShape reports whether b can be shown by updating a's items in place: the same
// separators, actions and check boxes in the same places.
func sameShape(a, b []model.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Separator != b[i].Separator || a[i].Action != b[i].Action {
			return false
		}
	}
	return true
}
