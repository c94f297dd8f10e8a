// Command gen draws Lingqian's icon: a gold coin marked ¥ on a red tile,
// with the contactless waves of a tap rising from it. It draws shapes only,
// so no font file is needed and the icon is the same on every machine.
//
// Run from the repository root:
//
//	go run ./assets/icon/gen
//
// It writes assets/icon.png (512×512, the one FyneApp.toml names; the
// packagers scale it), assets/icon-256.png … assets/icon-16.png (each size
// drawn at its size rather than scaled down, so the small ones stay sharp),
// and assets/icon.ico holding those sizes for the Windows resource compiler.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

// sizes the packagers and Windows ask for; 512 is the master FyneApp.toml names.
var icoSizes = []int{16, 24, 32, 48, 64, 128, 256}

func main() {
	out := flag.String("out", "assets", "folder to write icon.png, icon-N.png and icon.ico into")
	flag.Parse()

	master := render(512)
	if err := writePNG(filepath.Join(*out, "icon.png"), master); err != nil {
		log.Fatal(err)
	}
	var entries []icoEntry
	for _, n := range icoSizes {
		img := render(n)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			log.Fatalf("icon: encode %d px: %v", n, err)
		}
		if err := os.WriteFile(filepath.Join(*out, fmt.Sprintf("icon-%d.png", n)), buf.Bytes(), 0o644); err != nil {
			log.Fatalf("icon: write %d px: %v", n, err)
		}
		entries = append(entries, icoEntry{size: n, png: buf.Bytes()})
	}
	if err := os.WriteFile(filepath.Join(*out, "icon.ico"), encodeICO(entries), 0o644); err != nil {
		log.Fatalf("icon: write ico: %v", err)
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("icon: create %s: %w", path, err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("icon: encode %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("icon: close %s: %w", path, err)
	}
	return nil
}

// rgba is a straight (not premultiplied) colour with components in 0..1.
type rgba struct{ r, g, b, a float64 }

func hex(v uint32) rgba {
	return rgba{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255, 1}
}

func mix(a, b rgba, t float64) rgba {
	t = math.Max(0, math.Min(1, t))
	return rgba{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t, a.a + (b.a-a.a)*t}
}

// layer is one shape painted over the ones before it. Coordinates are in the
// unit square, y growing downwards, so the drawing is the same at every size.
type layer struct {
	inside func(x, y float64) bool
	paint  func(x, y float64) rgba
}

func flat(c rgba) func(x, y float64) rgba { return func(float64, float64) rgba { return c } }

// The drawing's geometry.
const (
	coinX, coinY = 0.42, 0.585
	coinR        = 0.31
)

var (
	red       = hex(0xD7262E)
	deepRed   = hex(0x9E1219)
	rim       = hex(0xC98712)
	face      = hex(0xF8C63F)
	faceLight = hex(0xFFE08A)
	ring      = hex(0xD9961C)
	mark      = hex(0xA8151D)
	white     = hex(0xFFFFFF)
)

func layers() []layer {
	stroke := 0.047
	yen := []segment{
		{coinX - 0.115, coinY - 0.165, coinX, coinY - 0.02},
		{coinX + 0.115, coinY - 0.165, coinX, coinY - 0.02},
		{coinX, coinY - 0.02, coinX, coinY + 0.175},
		{coinX - 0.10, coinY + 0.035, coinX + 0.10, coinY + 0.035},
		{coinX - 0.10, coinY + 0.105, coinX + 0.10, coinY + 0.105},
	}
	return []layer{
		{ // the tile: a rounded square, lighter at the top
			inside: func(x, y float64) bool { return roundedSquare(x, y, 0.03, 0.19) },
			paint:  func(x, y float64) rgba { return mix(red, deepRed, (y-0.03)/0.94) },
		},
		{ // the coin's shadow on the tile
			inside: func(x, y float64) bool { return inCircle(x, y, coinX+0.018, coinY+0.026, coinR) },
			paint:  flat(rgba{0.25, 0, 0, 0.35}),
		},
		{ // the coin's edge
			inside: func(x, y float64) bool { return inCircle(x, y, coinX, coinY, coinR) },
			paint:  flat(rim),
		},
		{ // its face, lit from the upper left
			inside: func(x, y float64) bool { return inCircle(x, y, coinX, coinY, coinR-0.03) },
			paint: func(x, y float64) rgba {
				d := math.Hypot(x-(coinX-0.12), y-(coinY-0.14))
				return mix(faceLight, face, d/0.3)
			},
		},
		{ // the raised ring inside the edge
			inside: func(x, y float64) bool {
				d := math.Hypot(x-coinX, y-coinY)
				return d >= coinR-0.072 && d <= coinR-0.052
			},
			paint: flat(ring),
		},
		{ // ¥
			inside: func(x, y float64) bool {
				for _, s := range yen {
					if s.near(x, y, stroke/2) {
						return true
					}
				}
				return false
			},
			paint: flat(mark),
		},
		{ // the tap: three contactless waves rising to the upper right
			inside: func(x, y float64) bool {
				for _, r := range []float64{0.39, 0.465, 0.54} {
					if nearArc(x, y, coinX, coinY, r, -68, -22, 0.024) {
						return true
					}
				}
				return false
			},
			paint: flat(white),
		},
	}
}

// render draws the icon at n×n pixels, 4×4 samples a pixel for smooth edges.
func render(n int) *image.NRGBA {
	const ss = 4
	ls := layers()
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			// Accumulate premultiplied colour over the samples.
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(n)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(n)
					var cr, cg, cb, ca float64
					for _, l := range ls {
						if !l.inside(x, y) {
							continue
						}
						c := l.paint(x, y)
						cr = c.r*c.a + cr*(1-c.a)
						cg = c.g*c.a + cg*(1-c.a)
						cb = c.b*c.a + cb*(1-c.a)
						ca = c.a + ca*(1-c.a)
					}
					r, g, b, a = r+cr, g+cg, b+cb, a+ca
				}
			}
			k := float64(ss * ss)
			r, g, b, a = r/k, g/k, b/k, a/k
			if a > 0 {
				r, g, b = r/a, g/a, b/a
			}
			img.SetNRGBA(px, py, color.NRGBA{to8(r), to8(g), to8(b), to8(a)})
		}
	}
	return img
}

func to8(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }

func inCircle(x, y, cx, cy, r float64) bool { return math.Hypot(x-cx, y-cy) <= r }

// roundedSquare: inside the square inset by m on every side, corners rounded with radius r.
func roundedSquare(x, y, m, r float64) bool {
	lo, hi := m+r, 1-m-r
	dx := math.Max(0, math.Max(lo-x, x-hi))
	dy := math.Max(0, math.Max(lo-y, y-hi))
	return x >= m && x <= 1-m && y >= m && y <= 1-m && math.Hypot(dx, dy) <= r
}

// segment is a stroke with round ends.
type segment struct{ x0, y0, x1, y1 float64 }

func (s segment) near(x, y, half float64) bool {
	dx, dy := s.x1-s.x0, s.y1-s.y0
	t := ((x-s.x0)*dx + (y-s.y0)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(s.x0+t*dx), y-(s.y0+t*dy)) <= half
}

// nearArc: within half of the arc of radius r about (cx, cy) between the two
// angles (degrees, y down so negative is up), with round ends.
func nearArc(x, y, cx, cy, r, fromDeg, toDeg, half float64) bool {
	a := math.Atan2(y-cy, x-cx) * 180 / math.Pi
	if a >= fromDeg && a <= toDeg {
		return math.Abs(math.Hypot(x-cx, y-cy)-r) <= half
	}
	for _, end := range []float64{fromDeg, toDeg} {
		ex := cx + r*math.Cos(end*math.Pi/180)
		ey := cy + r*math.Sin(end*math.Pi/180)
		if math.Hypot(x-ex, y-ey) <= half {
			return true
		}
	}
	return false
}

// icoEntry is one image of an .ico file, stored as PNG (Windows Vista and later read these).
type icoEntry struct {
	size int
	png  []byte
}

// encodeICO writes the ICONDIR header, one ICONDIRENTRY per image, then the images.
func encodeICO(entries []icoEntry) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	put16 := func(v uint16) { _ = binary.Write(&buf, le, v) }
	put32 := func(v uint32) { _ = binary.Write(&buf, le, v) }
	put16(0) // reserved
	put16(1) // type: icon
	put16(uint16(len(entries)))
	offset := 6 + 16*len(entries)
	for _, e := range entries {
		dim := byte(e.size)
		if e.size >= 256 {
			dim = 0 // 0 means 256
		}
		buf.WriteByte(dim) // width
		buf.WriteByte(dim) // height
		buf.WriteByte(0)   // no palette
		buf.WriteByte(0)   // reserved
		put16(1)           // colour planes
		put16(32)          // bits per pixel
		put32(uint32(len(e.png)))
		put32(uint32(offset))
		offset += len(e.png)
	}
	for _, e := range entries {
		buf.Write(e.png)
	}
	return buf.Bytes()
}
