package main

import (
	"image"
	"image/png"
	"os"
	"testing"
)

func TestIcon_IsWhatTheGeneratorDraws(t *testing.T) {
	for _, tc := range []struct {
		file string
		size int
	}{{"../../icon.png", 512}, {"../../icon-32.png", 32}} {
		// Given the icon in the repository
		f, err := os.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		committed, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}

		// When the generator draws it again, then it is the same picture
		drawn := render(tc.size)
		if committed.Bounds() != drawn.Bounds() {
			t.Fatalf("%s is %v, the generator draws %v", tc.file, committed.Bounds(), drawn.Bounds())
		}
		if diff := differing(committed, drawn); diff > 0 {
			t.Errorf("%s: %d pixels differ from what assets/icon/gen draws: run go run ./assets/icon/gen", tc.file, diff)
		}
	}
}

func differing(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, aa := a.At(x, y).RGBA()
			br, bg, bb, ba := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb || aa != ba {
				n++
			}
		}
	}
	return n
}
