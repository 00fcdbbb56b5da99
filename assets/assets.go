// Package assets holds caltray's embedded icons: one tray icon per health state and the app
// icon. The PNGs are drawn by internal/gen from the geometry in internal/art; run
// `go generate ./assets` after changing a design (a test fails while they disagree).
package assets

import (
	"embed"
	"fmt"

	"caltray/assets/internal/art"
)

//go:generate go run ./internal/gen

//go:embed icons/*.png
var icons embed.FS

// State is what the tray icon says about caltray's sync.
type State int

// The tray icon's states. Each has its own shape, not just its own colour.
const (
	Operational  State = iota // disc with a tick: synced and healthy
	Degraded                  // warning triangle: retrying, throttled, half-open or stale
	Down                      // octagon with a cross: breaker open or offline
	SignInNeeded              // padlock: the account needs signing in again
	SignedOut                 // slashed ring: nobody is signed in
)

// States lists every State, for tests and tools.
var States = []State{Operational, Degraded, Down, SignInNeeded, SignedOut}

func (s State) String() string {
	if s < 0 || int(s) >= len(art.Names) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return art.Names[s]
}

// Tray returns the PNG of the tray icon for s (TraySize px square). An unknown state gets the
// signed-out icon, which claims nothing.
func Tray(s State) []byte {
	if s < 0 || int(s) >= len(art.Names) {
		s = SignedOut
	}
	return mustRead(art.Names[s])
}

// App returns the PNG of the application icon (AppSize px square).
func App() []byte { return mustRead(art.App) }

// The sizes of the embedded PNGs, in pixels.
const (
	TraySize = art.TraySize
	AppSize  = art.AppSize
)

// mustRead reads an embedded icon. The files are embedded at build time and TestEmbedded
// checks every one, so a failure here is a broken build, not something a user can cause.
func mustRead(name string) []byte {
	b, err := icons.ReadFile("icons/" + name + ".png")
	if err != nil {
		panic(fmt.Sprintf("assets: embedded icon %s missing: %v", name, err))
	}
	return b
}
