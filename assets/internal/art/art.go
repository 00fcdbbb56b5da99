// Package art draws caltray's icons from geometry, so the PNGs in assets/ can be regenerated
// at any size and checked against their source. Each shape is a signed distance function in
// pixel units; a pixel's coverage is the share of 4×4 sub-samples inside it, which anti-aliases
// the edges without an image library.
package art

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// The icon names; assets maps its State values onto them.
const (
	Operational  = "operational"
	Degraded     = "degraded"
	Down         = "down"
	SignInNeeded = "signin-needed"
	SignedOut    = "signed-out"
	App          = "app"
)

// Names lists the tray icons, in the order of assets.State.
var Names = []string{Operational, Degraded, Down, SignInNeeded, SignedOut}

// Colours. Every state icon is a filled shape with a near-black rim, so it stands out on a
// light panel by its rim and on a dark one by its fill; the glyph inside is white or black,
// whichever contrasts with the fill.
var (
	rim   = color.NRGBA{0x20, 0x21, 0x24, 0xff}
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	green = color.NRGBA{0x1e, 0x8e, 0x3e, 0xff}
	amber = color.NRGBA{0xf9, 0xab, 0x00, 0xff}
	red   = color.NRGBA{0xd9, 0x30, 0x25, 0xff}
	blue  = color.NRGBA{0x1a, 0x73, 0xe8, 0xff}
	grey  = color.NRGBA{0x9a, 0xa0, 0xa6, 0xff}
)

// An sdf is a signed distance, in the icon's unit square, from a point to a shape: negative
// inside. Units are fractions of the icon's side, so a design is independent of its size.
type sdf func(x, y float64) float64

type layer struct {
	shape sdf
	grow  float64 // added to the shape, in pixels: a rim is the shape grown by its width
	color color.NRGBA
}

// Draw renders the named icon as a size×size image with a transparent background.
func Draw(name string, size int) (*image.NRGBA, error) {
	if size < 8 || size > 1024 {
		return nil, fmt.Errorf("icon size %d px is out of range: use 8 to 1024", size)
	}
	layers, ok := designs(float64(size))[name]
	if !ok {
		return nil, fmt.Errorf("no icon named %q", name)
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4 // sub-samples per axis
	s := float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64 // premultiplied, 0..1
			for _, l := range layers {
				in := 0
				for sy := 0; sy < n; sy++ {
					for sx := 0; sx < n; sx++ {
						x := (float64(px) + (float64(sx)+0.5)/n) / s
						y := (float64(py) + (float64(sy)+0.5)/n) / s
						if l.shape(x, y)*s-l.grow <= 0 {
							in++
						}
					}
				}
				if in == 0 {
					continue
				}
				cov := float64(in) / (n * n)
				// Porter-Duff "over" of an opaque colour at coverage cov.
				r = float64(l.color.R)/255*cov + r*(1-cov)
				g = float64(l.color.G)/255*cov + g*(1-cov)
				b = float64(l.color.B)/255*cov + b*(1-cov)
				a = cov + a*(1-cov)
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a * 255)),
				G: uint8(math.Round(g / a * 255)),
				B: uint8(math.Round(b / a * 255)),
				A: uint8(math.Round(a * 255)),
			})
		}
	}
	return img, nil
}

// designs returns every icon's layers for an icon of side s pixels. The rim is at least one
// pixel wide, so it survives at 16 px.
func designs(s float64) map[string][]layer {
	rimW := math.Max(1, 0.05*s)
	withRim := func(shape sdf, fill color.NRGBA, glyphs ...layer) []layer {
		return append([]layer{{shape, rimW, rim}, {shape, 0, fill}}, glyphs...)
	}
	stroke := math.Max(1.6, 0.12*s) / s // glyph line width, in unit-square terms

	return map[string][]layer{
		// A disc with a tick: all is well.
		Operational: withRim(circle(0.5, 0.5, 0.43), green,
			layer{polyline(stroke, 0.27, 0.52, 0.43, 0.68, 0.73, 0.36), 0, white}),
		// A warning triangle with "!": working, but retrying, throttled or stale.
		Degraded: withRim(polygon(0.5, 0.07, 0.95, 0.9, 0.05, 0.9), amber,
			layer{polyline(stroke, 0.5, 0.38, 0.5, 0.6), 0, rim},
			layer{circle(0.5, 0.76, stroke*0.65), 0, rim}),
		// A stop-sign octagon with a cross: the breaker is open or we are offline.
		// Like a real stop sign it has a white band inside the rim, which red alone lacks
		// for contrast on a dark panel.
		Down: withRim(octagon(0.5, 0.5, 0.45), white,
			layer{octagon(0.5, 0.5, 0.45), -rimW, red},
			layer{polyline(stroke, 0.33, 0.33, 0.67, 0.67), 0, white},
			layer{polyline(stroke, 0.67, 0.33, 0.33, 0.67), 0, white}),
		// A padlock: the account needs signing in again.
		SignInNeeded: withRim(union(
			arch(0.5, 0.42, 0.2, 0.08),
			roundedBox(0.16, 0.44, 0.84, 0.94, 0.08)), blue,
			layer{circle(0.5, 0.63, 0.075), 0, white},
			layer{polyline(stroke*0.7, 0.5, 0.64, 0.5, 0.8), 0, white}),
		// A hollow ring with a slash: nobody is signed in.
		SignedOut: withRim(union(
			ring(0.5, 0.5, 0.37, 0.08),
			segment(0.1, 0.24, 0.76, 0.76, 0.24)), grey),
		// The app icon: a calendar page with a blue header and a tick.
		App: {
			{roundedBox(0.08, 0.12, 0.92, 0.94, 0.1), rimW, rim},
			{roundedBox(0.08, 0.12, 0.92, 0.94, 0.1), 0, white},
			{roundedBox(0.08, 0.12, 0.92, 0.36, 0.1), 0, blue},
			{box(0.08, 0.26, 0.92, 0.36), 0, blue},
			{roundedBox(0.26, 0.04, 0.34, 0.22, 0.04), 0, rim},
			{roundedBox(0.66, 0.04, 0.74, 0.22, 0.04), 0, rim},
			{polyline(0.09, 0.3, 0.64, 0.45, 0.79, 0.72, 0.5), 0, green},
		},
	}
}

func circle(cx, cy, r float64) sdf {
	return func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r }
}

// ring is an annulus of centre radius r and half-width w.
func ring(cx, cy, r, w float64) sdf {
	return func(x, y float64) float64 { return math.Abs(math.Hypot(x-cx, y-cy)-r) - w }
}

// arch is the upper half of a ring with straight legs down to cy: a padlock's shackle.
func arch(cx, cy, r, w float64) sdf {
	top := ring(cx, cy, r, w)
	legL := segment(w, cx-r, cy, cx-r, cy+0.1)
	legR := segment(w, cx+r, cy, cx+r, cy+0.1)
	return func(x, y float64) float64 {
		d := math.Min(legL(x, y), legR(x, y))
		if y <= cy {
			d = math.Min(d, top(x, y))
		}
		return d
	}
}

func box(x0, y0, x1, y1 float64) sdf { return roundedBox(x0, y0, x1, y1, 0) }

func roundedBox(x0, y0, x1, y1, r float64) sdf {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	return func(x, y float64) float64 {
		qx, qy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
		return math.Hypot(math.Max(qx, 0), math.Max(qy, 0)) + math.Min(math.Max(qx, qy), 0) - r
	}
}

// segment is a capsule: the points within w/2 of the segment (x0,y0)-(x1,y1).
func segment(w, x0, y0, x1, y1 float64) sdf {
	return func(x, y float64) float64 {
		dx, dy := x1-x0, y1-y0
		t := ((x-x0)*dx + (y-y0)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		return math.Hypot(x-x0-t*dx, y-y0-t*dy) - w/2
	}
}

// polyline joins the points (x, y pairs) with capsules of width w.
func polyline(w float64, pts ...float64) sdf {
	var segs []sdf
	for i := 0; i+3 < len(pts); i += 2 {
		segs = append(segs, segment(w, pts[i], pts[i+1], pts[i+2], pts[i+3]))
	}
	return union(segs...)
}

func union(shapes ...sdf) sdf {
	return func(x, y float64) float64 {
		d := math.Inf(1)
		for _, s := range shapes {
			d = math.Min(d, s(x, y))
		}
		return d
	}
}

// polygon is a convex or concave polygon given as x, y pairs (the even-odd rule decides
// inside; the distance is to the nearest edge).
func polygon(pts ...float64) sdf {
	n := len(pts) / 2
	return func(x, y float64) float64 {
		d := math.Inf(1)
		inside := false
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			xi, yi, xj, yj := pts[2*i], pts[2*i+1], pts[2*j], pts[2*j+1]
			d = math.Min(d, segment(0, xi, yi, xj, yj)(x, y))
			if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
				inside = !inside
			}
		}
		if inside {
			return -d
		}
		return d
	}
}

// octagon is a regular octagon with flat top and bottom, circumradius r.
func octagon(cx, cy, r float64) sdf {
	var pts []float64
	for i := 0; i < 8; i++ {
		a := math.Pi/8 + float64(i)*math.Pi/4
		pts = append(pts, cx+r*math.Cos(a), cy+r*math.Sin(a))
	}
	return polygon(pts...)
}

// The sizes the generator writes. Tray hosts scale the pixmap to their panel (16–24 px, twice
// that on HiDPI), and downscaling a 64 px drawing by whole factors keeps the shapes crisp.
const (
	TraySize = 64
	AppSize  = 256
)

// PNG draws the named icon and encodes it.
func PNG(name string, size int) ([]byte, error) {
	img, err := Draw(name, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding %s icon: %w", name, err)
	}
	return buf.Bytes(), nil
}
