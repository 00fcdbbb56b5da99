// Command ui-bench-floor is the floor scripts/bench-ui.sh measures caltray against: the least
// a Fyne tray app can be, a hello-world window plus a one-item tray menu, on the same Fyne.
//
//	ui-bench-floor [-hidden]   (-hidden: tray only, the window never shown)
package main

import (
	"flag"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

func main() {
	hidden := flag.Bool("hidden", false, "do not show the window: tray only")
	flag.Parse()
	a := app.NewWithID("app.caltray.floor")
	w := a.NewWindow("Floor — hello")
	w.SetContent(widget.NewLabel("Hello, world"))
	w.Resize(fyne.NewSize(520, 640))
	if d, ok := a.(desktop.App); ok {
		d.SetSystemTrayMenu(fyne.NewMenu("floor", fyne.NewMenuItem("Hello", func() {})))
	}
	if !*hidden {
		w.Show()
	}
	a.Run()
}
