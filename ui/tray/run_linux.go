package tray

import "fyne.io/systray"

// Run shows the icon and blocks until Quit. On Linux the native start (exporting the D-Bus
// objects on the session bus) runs here, to its end, before ready: systray's own onReady
// would run concurrently with it and race on the connection it is still setting up.
func (s *Systray) Run(ready func()) {
	start, end := systray.RunWithExternalLoop(nil, nil)
	systray.SetTitle(s.title)
	start()
	ready()
	<-s.quit
	end()
}
