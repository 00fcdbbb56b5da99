// Command ui-bench-systray is the lower floor scripts/bench-ui.sh measures caltray's tray
// process against: the least a tray app can be with fyne.io/systray alone (no Fyne app, no
// GL), an icon and three menu items.
//
//	ui-bench-systray
package main

import (
	"os"
	"os/signal"
	"syscall"

	"fyne.io/systray"

	"caltray/assets"
)

func main() {
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		<-sigs
		systray.Quit()
	}()
	systray.Run(func() {
		systray.SetIcon(assets.Tray(assets.Operational))
		systray.SetTitle("systray floor")
		for _, label := range []string{"One", "Two", "Three"} {
			item := systray.AddMenuItem(label, "")
			go func() {
				for range item.ClickedCh {
				}
			}()
		}
	}, nil)
}
