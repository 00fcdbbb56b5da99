package wine

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestDrawn checks the blank-screenshot detector of TestTrayDemo on made-up images; it runs
// everywhere, Wine or not.
func TestDrawn(t *testing.T) {
	bg := color.RGBA{212, 208, 200, 255} // Wine's window grey
	icon := color.RGBA{30, 142, 62, 255} // the operational icon's green
	img := func(w, h, iconSide int, c color.Color) []byte {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.Set(x, y, bg)
				if x < iconSide && y < iconSide {
					m.Set(x, y, c)
				}
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	tests := []struct {
		name string
		png  []byte
		want bool
	}{
		{"blank window", img(64, 32, 0, icon), false},
		{"an icon in the tray", img(64, 32, 16, icon), true},
		{"a few stray pixels", img(64, 32, 3, icon), false},
		{"icon too close to the background", img(64, 32, 16, color.RGBA{200, 200, 200, 255}), false},
		{"not a PNG", []byte("GIF89a"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := drawn(tt.png); got != tt.want {
				t.Errorf("drawn = %v, want %v", got, tt.want)
			}
		})
	}
}
