//go:build !linux

package tray

import "fyne.io/systray"

// Run shows the icon and blocks until Quit. On Windows and macOS systray runs its native loop
// on this goroutine, which must be the main one (main locks it to the main thread).
// Not compiled or run on the project's Linux machines: see docs/DESIGN.md.
func (s *Systray) Run(ready func()) {
	go func() {
		<-s.quit
		systray.Quit()
	}()
	systray.Run(func() {
		systray.SetTitle(s.title)
		setActivationPolicy()
		ready()
	}, nil)
}
