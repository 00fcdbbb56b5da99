// Command ui-trayhost is a stand-in system tray host for scripts: it owns
// org.kde.StatusNotifierWatcher on the session bus, waits for caltray's StatusNotifierItem,
// and then can click a menu item by its label, print the menu, save the icon, and draw the
// menu as Fyne draws menus (software renderer) — what a panel would show, for screenshots on
// a headless desktop with no panel. With -serve it stays the host until SIGTERM.
//
//	ui-trayhost [-wait 30s] [-click LABEL] [-menu-txt F] [-menu-png F] [-icon-png F] [-serve] [-stdin]
//
// With -stdin it reads labels from its standard input once the menu is ready, clicks the item
// of each (from a fresh layout) and prints "clicked LABEL" when the click has been delivered:
// scripts/bench-ui.sh times click → window painted with it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ui-trayhost:", err)
		os.Exit(1)
	}
}

type watcher struct {
	mu    sync.Mutex
	items []string
	got   chan struct{}
}

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.HasPrefix(service, "/") {
		service = string(sender) + service
	} else {
		service += "/StatusNotifierItem"
	}
	w.items = append(w.items, service)
	select {
	case w.got <- struct{}{}:
	default:
	}
	return nil
}

func (w *watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

type item struct {
	id              int32
	label, typ      string
	enabled, toggle bool
	checked         bool
}

func flatten(v any) []item {
	if vv, ok := v.(dbus.Variant); ok {
		v = vv.Value()
	}
	f, ok := v.([]any)
	if !ok || len(f) != 3 {
		return nil
	}
	var out []item
	id, _ := f[0].(int32)
	if props, ok := f[1].(map[string]dbus.Variant); ok && id != 0 {
		it := item{id: id, enabled: true}
		for k, v := range props {
			switch k {
			case "label":
				it.label, _ = v.Value().(string)
			case "type":
				it.typ, _ = v.Value().(string)
			case "enabled":
				it.enabled, _ = v.Value().(bool)
			case "toggle-type":
				it.toggle = true
			case "toggle-state":
				s, _ := v.Value().(int32)
				it.checked = s == 1
			case "visible":
				if vis, _ := v.Value().(bool); !vis {
					it.typ = "hidden"
				}
			}
		}
		if it.typ != "hidden" {
			out = append(out, it)
		}
	}
	if kids, ok := f[2].([]dbus.Variant); ok {
		for _, k := range kids {
			out = append(out, flatten(k)...)
		}
	}
	return out
}

func run() error {
	wait := flag.Duration("wait", 30*time.Second, "how long to wait for caltray's tray item")
	click := flag.String("click", "", "click the menu item with this label")
	menuTxt := flag.String("menu-txt", "", "write the menu's labels to this file")
	menuPNG := flag.String("menu-png", "", "draw the menu (and icon) into this PNG")
	iconPNG := flag.String("icon-png", "", "write the item's icon to this PNG")
	serve := flag.Bool("serve", false, "stay the tray host until SIGTERM")
	stdin := flag.Bool("stdin", false, "click the items whose labels arrive on standard input, one a line")
	flag.Parse()

	conn, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("session bus: %w", err)
	}
	w := &watcher{got: make(chan struct{}, 1)}
	const path, iface = "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"
	if err := conn.Export(w, path, iface); err != nil {
		return err
	}
	if _, err := prop.Export(conn, path, prop.Map{iface: {
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
	}}); err != nil {
		return err
	}
	if reply, err := conn.RequestName(iface, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("cannot own %s (another tray host runs?): %v", iface, err)
	}
	fmt.Println("ready")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *click == "" && *menuTxt == "" && *menuPNG == "" && *iconPNG == "" && !*stdin {
		<-ctx.Done()
		return nil
	}
	select {
	case <-w.got:
	case <-time.After(*wait):
		return errors.New("no StatusNotifierItem registered in time; is caltray running on this bus?")
	case <-ctx.Done():
		return nil
	}
	w.mu.Lock()
	dest, p, _ := strings.Cut(w.items[len(w.items)-1], "/")
	w.mu.Unlock()
	obj := conn.Object(dest, dbus.ObjectPath("/"+p))
	mv, err := obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		return fmt.Errorf("item has no menu: %w", err)
	}
	menu := conn.Object(dest, mv.Value().(dbus.ObjectPath))
	layout := func() ([]item, error) {
		call := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
		if call.Err != nil {
			return nil, call.Err
		}
		return flatten(call.Body[1]), nil
	}
	// Wait until the first sync has filled the menu (the health line says "Synced").
	var items []item
	deadline := time.Now().Add(*wait)
	for {
		if items, err = layout(); err != nil {
			return err
		}
		ready := false
		for _, it := range items {
			ready = ready || strings.HasPrefix(it.label, "Synced")
		}
		if ready || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if *menuTxt != "" {
		var b strings.Builder
		for _, it := range items {
			if it.typ == "separator" {
				b.WriteString("---\n")
				continue
			}
			b.WriteString(it.label + "\n")
		}
		if err := os.WriteFile(*menuTxt, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	var icon image.Image
	if *iconPNG != "" || *menuPNG != "" {
		if icon, err = pixmap(obj); err != nil {
			return err
		}
	}
	if *iconPNG != "" {
		if err := writePNG(*iconPNG, icon); err != nil {
			return err
		}
	}
	if *menuPNG != "" {
		if err := writePNG(*menuPNG, drawMenu(items, icon)); err != nil {
			return err
		}
	}
	if *click != "" {
		found := false
		for _, it := range items {
			if it.label == *click {
				found = true
				if call := menu.Call("com.canonical.dbusmenu.Event", 0, it.id, "clicked", dbus.MakeVariant(""), uint32(0)); call.Err != nil {
					return call.Err
				}
			}
		}
		if !found {
			return fmt.Errorf("no menu item %q", *click)
		}
	}
	if *stdin {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			label := sc.Text()
			items, err := layout()
			if err != nil {
				return err
			}
			found := false
			for _, it := range items {
				if it.label == label && !found {
					found = true
					if call := menu.Call("com.canonical.dbusmenu.Event", 0, it.id, "clicked", dbus.MakeVariant(""), uint32(0)); call.Err != nil {
						return call.Err
					}
				}
			}
			if !found {
				return fmt.Errorf("no menu item %q", label)
			}
			fmt.Println("clicked " + label)
		}
	}
	if *serve {
		<-ctx.Done()
	}
	return nil
}

// pixmap reads the item's IconPixmap (ARGB32, network byte order) and returns the largest.
func pixmap(obj dbus.BusObject) (image.Image, error) {
	v, err := obj.GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		return nil, err
	}
	var pix []struct {
		W, H int32
		Data []byte
	}
	if err := dbus.Store([]any{v.Value()}, &pix); err != nil || len(pix) == 0 {
		return nil, fmt.Errorf("icon pixmap unreadable: %v", err)
	}
	p := pix[len(pix)-1]
	img := image.NewNRGBA(image.Rect(0, 0, int(p.W), int(p.H)))
	for i := 0; i+3 < len(p.Data) && i/4 < int(p.W*p.H); i += 4 {
		img.SetNRGBA(i/4%int(p.W), i/4/int(p.W), color.NRGBA{p.Data[i+1], p.Data[i+2], p.Data[i+3], p.Data[i]})
	}
	return img, nil
}

// drawMenu lays the menu out as Fyne draws a popup menu, with the tray icon above it, and
// renders it with Fyne's software painter.
func drawMenu(items []item, icon image.Image) image.Image {
	a := test.NewApp()
	a.Settings().SetTheme(theme.LightTheme())
	var mis []*fyne.MenuItem
	for _, it := range items {
		if it.typ == "separator" {
			mis = append(mis, fyne.NewMenuItemSeparator())
			continue
		}
		mi := fyne.NewMenuItem(it.label, func() {})
		mi.Disabled = !it.enabled
		mi.Checked = it.checked
		mis = append(mis, mi)
	}
	m := widget.NewMenu(fyne.NewMenu("", mis...))
	img := canvas.NewImageFromImage(icon)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(24, 24))
	bar := canvas.NewRectangle(color.NRGBA{0x30, 0x30, 0x30, 0xff})
	top := container.NewStack(bar, container.NewHBox(layoutSpacer(m.MinSize().Width-32), img))
	w := test.NewWindow(container.NewVBox(top, m))
	w.SetPadded(false)
	w.Resize(fyne.NewSize(m.MinSize().Width, m.MinSize().Height+28))
	return w.Canvas().Capture()
}

func layoutSpacer(width float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(width, 24))
	return r
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
