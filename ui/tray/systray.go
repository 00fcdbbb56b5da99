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
	mu    sync.Mutex
	title string
	quit  chan struct{}
	once  sync.Once
}

// NewSystray returns the Host that shows the icon through fyne.io/systray.
func NewSystray(title string) *Systray { return &Systray{title: title, quit: make(chan struct{})} }

// Quit ends Run. Safe to call more than once, and before Run.
func (s *Systray) Quit() { s.once.Do(func() { close(s.quit) }) }

// SetIcon shows the icon of a state.
func (s *Systray) SetIcon(st assets.State) { systray.SetIcon(iconBytes(st)) }

// SetMenu rebuilds the menu. Called from the tray's owner goroutine only.
func (s *Systray) SetMenu(items []model.Item, click func(model.Item), quit func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	systray.ResetMenu()
	for _, it := range items {
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
		if it.Action != model.ActionNone {
			go func() {
				for range mi.ClickedCh { // ends when the next rebuild removes the item
					click(it)
				}
			}()
		}
	}
	systray.AddSeparator()
	q := systray.AddMenuItem("Quit", "")
	go func() {
		for range q.ClickedCh {
			quit()
		}
	}()
	// An update of an existing item is what makes systray emit LayoutUpdated.
	q.SetTitle("Quit")
}
