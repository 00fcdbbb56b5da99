package assets

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"caltray/assets/internal/art"
)

// TestEmbedded checks that every embedded PNG decodes at its size and is exactly what the
// generator draws now, so a design change without `go generate` fails here.
func TestEmbedded(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		art  string
		size int
	}{
		{"operational", Tray(Operational), art.Operational, TraySize},
		{"degraded", Tray(Degraded), art.Degraded, TraySize},
		{"down", Tray(Down), art.Down, TraySize},
		{"signin-needed", Tray(SignInNeeded), art.SignInNeeded, TraySize},
		{"signed-out", Tray(SignedOut), art.SignedOut, TraySize},
		{"app", App(), art.App, AppSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("embedded icon does not decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.size || b.Dy() != tt.size {
				t.Fatalf("embedded icon is %v, want %d px square", b, tt.size)
			}
			want, err := art.PNG(tt.art, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tt.data, want) {
				t.Errorf("embedded %s.png differs from its design: run `go generate ./assets`", tt.art)
			}
		})
	}
}

func TestTrayUnknownState(t *testing.T) {
	if !bytes.Equal(Tray(State(42)), Tray(SignedOut)) {
		t.Error("an unknown state should get the signed-out icon")
	}
	if got := State(42).String(); got != "State(42)" {
		t.Errorf("String() = %q", got)
	}
}

// shrink box-filters the tray icon down by an integer factor, as a panel host does, and
// composites it on bg.
func shrink(t *testing.T, data []byte, factor int, bg color.NRGBA) (img *image.NRGBA, mask []bool) {
	t.Helper()
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := src.Bounds().Dx() / factor
	img = image.NewNRGBA(image.Rect(0, 0, n, n))
	mask = make([]bool, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var r, g, b, a float64
			for sy := 0; sy < factor; sy++ {
				for sx := 0; sx < factor; sx++ {
					c := color.NRGBAModel.Convert(src.At(x*factor+sx, y*factor+sy)).(color.NRGBA)
					al := float64(c.A) / 255
					r += float64(c.R) * al
					g += float64(c.G) * al
					b += float64(c.B) * al
					a += al
				}
			}
			k := float64(factor * factor)
			r, g, b, a = r/k, g/k, b/k, a/k
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8(r + float64(bg.R)*(1-a)),
				G: uint8(g + float64(bg.G)*(1-a)),
				B: uint8(b + float64(bg.B)*(1-a)),
				A: 255,
			})
			mask[y*n+x] = a >= 0.5
		}
	}
	return img, mask
}

func luma(c color.NRGBA) float64 {
	return (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
}

// TestLegibleOnPanels scales each tray icon to 16 px and checks it against a light and a dark
// panel: most of its silhouette must differ clearly from the panel, and it must contain both
// darker and lighter detail than its fill, so the glyph still reads.
func TestLegibleOnPanels(t *testing.T) {
	panels := []struct {
		name string
		bg   color.NRGBA
	}{
		{"light", color.NRGBA{0xf6, 0xf5, 0xf4, 0xff}},
		{"dark", color.NRGBA{0x24, 0x24, 0x24, 0xff}},
	}
	for _, s := range States {
		for _, p := range panels {
			t.Run(s.String()+"/"+p.name, func(t *testing.T) {
				img, mask := shrink(t, Tray(s), TraySize/16, p.bg)
				var inside, contrasting int
				for i, in := range mask {
					if !in {
						continue
					}
					inside++
					c := img.NRGBAAt(i%16, i/16)
					if d := luma(c) - luma(p.bg); d > 0.25 || d < -0.25 {
						contrasting++
					}
				}
				if inside < 16*16/4 {
					t.Fatalf("icon covers only %d of 256 pixels at 16 px: too small to see", inside)
				}
				if frac := float64(contrasting) / float64(inside); frac < 0.5 {
					t.Errorf("only %.0f%% of the icon contrasts with a %s panel at 16 px", frac*100, p.name)
				}
			})
		}
	}
}

// TestDistinctShapes compares the 16 px silhouettes with the glyphs, ignoring colour entirely
// (as a colour-blind user might): every pair of states must differ in a good share of pixels.
func TestDistinctShapes(t *testing.T) {
	gray := func(s State) []float64 {
		img, _ := shrink(t, Tray(s), TraySize/16, color.NRGBA{0x80, 0x80, 0x80, 0xff})
		out := make([]float64, 256)
		for i := range out {
			out[i] = luma(img.NRGBAAt(i%16, i/16))
		}
		return out
	}
	for i, a := range States {
		for _, b := range States[i+1:] {
			ga, gb := gray(a), gray(b)
			diff := 0
			for k := range ga {
				if d := ga[k] - gb[k]; d > 0.2 || d < -0.2 {
					diff++
				}
			}
			// 30 of 256 pixels is a whole stroke of a glyph or an edge of a silhouette.
			if diff < 30 {
				t.Errorf("%s and %s differ in only %d of 256 grey pixels at 16 px", a, b, diff)
			}
		}
	}
}
