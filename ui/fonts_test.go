package ui

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// tofu is a code point no font has a glyph for (the last private-use code point of plane 16):
// it renders as the missing-glyph box, .notdef, which is what a title in a script without a
// font looks like.
const tofu = '\U0010FFFD'

// Meeting titles in every script the agenda must show as text. Fyne 2.7 draws with its
// bundled Noto Sans (Latin, Greek, Cyrillic) and EmojiOne (emoji); every other script comes
// from the system's fonts, looked up rune by rune (go-text's fontscan, as Fyne's painter does):
// scripts/install-deps.sh installs fonts-noto-core (Devanagari, Arabic, Hebrew, …) and
// fonts-wqy-microhei (Chinese, Japanese, Korean) so this test has them to find.
var scriptTitles = []struct{ script, title string }{
	{"Devanagari", "साप्ताहिक टीम बैठक"},
	{"Arabic", "اجتماع الفريق الأسبوعي"},
	{"Hebrew", "פגישת צוות שבועית"},
	{"Cyrillic", "Еженедельная планёрка"},
	{"Chinese", "每周团队会议"},
	{"Japanese", "週次チーム会議"},
	{"Korean", "주간 팀 회의"},
	{"Emoji", "🎉📅🚀☕"},
}

// TestTitlesInEveryScriptRenderAsText draws each title with Fyne's own painter (the test
// driver's software renderer, with the same font lookup the window uses) and compares it with
// the same title whose letters are all replaced by a code point no font has: when the script
// has no font, both are rows of missing-glyph boxes and look alike; when it has one, they
// differ in most of their ink. The renderings are written to $CALTRAY_FONT_SHOTS, if set, to
// look at.
func TestTitlesInEveryScriptRenderAsText(t *testing.T) {
	test.NewTempApp(t)
	shots := os.Getenv("CALTRAY_FONT_SHOTS")
	for _, tc := range scriptTitles {
		t.Run(tc.script, func(t *testing.T) {
			var boxes []rune
			for _, r := range tc.title {
				if unicode.IsSpace(r) {
					boxes = append(boxes, r)
				} else {
					boxes = append(boxes, tofu)
				}
			}
			text := render(t, tc.title)
			missing := render(t, string(boxes))
			if shots != "" {
				save(t, filepath.Join(shots, tc.script+".png"), text)
				save(t, filepath.Join(shots, tc.script+"-tofu.png"), missing)
			}
			ink, differ := compareInk(text, missing)
			if ink == 0 {
				t.Fatalf("%q drew nothing at all", tc.title)
			}
			// Measured with the fonts: 74–91 % of the ink differs from the boxes. Without
			// fonts-noto-core and fonts-wqy-microhei: Devanagari, Chinese and Korean 0 %,
			// Japanese 40 % (a few of its signs are found in other fonts); Arabic and Hebrew
			// still pass then, from DejaVu Sans; Cyrillic and emoji are Fyne's own.
			share := float64(differ) / float64(ink)
			t.Logf("%s: %.0f %% of the ink differs from a row of boxes", tc.script, 100*share)
			if share < 0.6 {
				t.Errorf("%q renders as missing-glyph boxes: only %.0f %% of its ink differs from a row of boxes; "+
					"install a font for %s (scripts/install-deps.sh)", tc.title, 100*share, tc.script)
			}
		})
	}
}

// render draws s as a label's text does, in black on white.
func render(t *testing.T, s string) image.Image {
	t.Helper()
	txt := canvas.NewText(s, color.Black)
	txt.TextSize = 20
	w := test.NewWindow(container.NewStack(canvas.NewRectangle(color.White), txt))
	defer w.Close()
	w.SetPadded(false)
	w.Resize(fyne.NewSize(400, 40))
	return w.Canvas().Capture()
}

// compareInk counts the pixels inked in either image and, of those, the ones that differ.
func compareInk(a, b image.Image) (ink, differ int) {
	r := a.Bounds().Union(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ia, ib := inked(a, x, y), inked(b, x, y)
			if ia || ib {
				ink++
				if ia != ib {
					differ++
				}
			}
		}
	}
	return ink, differ
}

// inked reports whether the pixel at x, y is dark enough to be seen as ink on the white
// background (anti-aliasing fringes lighter than that do not count).
func inked(img image.Image, x, y int) bool {
	if !(image.Point{x, y}.In(img.Bounds())) {
		return false
	}
	c := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
	return c.Y < 160
}

func save(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
