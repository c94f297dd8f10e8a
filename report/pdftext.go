package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// The PDF writes Latin text in the PDF's own Helvetica, which every
// reader has and which needs no font file, and Chinese in a TrueType font
// with CJK glyphs embedded as a subset. fpdf reads TrueType outlines only:
// not the .ttc collections nor the CFF .otf files of Noto CJK. On Debian
// that font is DroidSansFallbackFull.ttf of the fonts-droid-fallback
// package; it has no Latin glyphs, hence the two fonts.

// FontEnv names a TrueType font file with Chinese glyphs to use instead
// of the ones the desk looks for.
const FontEnv = "LINGQIAN_PDF_FONT"

// FontName is the font file's name beside the program (fonts/FontName) or
// in its Debian package.
const FontName = "DroidSansFallbackFull.ttf"

// debianFont is where Debian's fonts-droid-fallback puts it.
const debianFont = "/usr/share/fonts/truetype/droid/" + FontName

// ErrNoFont says no font with Chinese glyphs was found for a PDF that needs one.
var ErrNoFont = errors.New("no font with Chinese characters for the PDF")

// FontFile finds the font for Chinese text: the file named by
// LINGQIAN_PDF_FONT, else fonts/DroidSansFallbackFull.ttf beside the
// program (as an installer ships it), else Debian's fonts-droid-fallback.
func FontFile() (string, error) {
	if p := os.Getenv(FontEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s names %s: %w", ErrNoFont, FontEnv, p, err)
		}
		return p, nil
	}
	for _, p := range fontPlaces() {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: install Debian's fonts-droid-fallback (it puts %s in %s), or name a TrueType font file in %s",
		ErrNoFont, FontName, filepath.Dir(debianFont), FontEnv)
}

// fontPlaces are where FontFile looks, in order.
var fontPlaces = func() []string {
	var places []string
	if exe, err := os.Executable(); err == nil {
		places = append(places, filepath.Join(filepath.Dir(exe), "fonts", FontName))
	}
	return append(places, debianFont)
}

const (
	latinFont = "helvetica"
	cjkFont   = "cjk"
	monoFont  = "courier"
)

// pen writes text that may mix Latin and Chinese: each run in the font
// that has its glyphs.
type pen struct {
	f     *fpdf.Fpdf
	cp    func(string) string // UTF-8 to the core fonts' code page 1252
	cjk   bool                // a Chinese font is loaded
	size  float64
	bold  bool
	latin map[rune]bool // runes code page 1252 has
}

func newPen(f *fpdf.Fpdf) *pen {
	p := &pen{f: f, cp: f.UnicodeTranslatorFromDescriptor(""), latin: map[rune]bool{}}
	// The runes above ASCII that code page 1252 has: those it does not
	// have turn into '.', which is itself ASCII.
	for r := rune(0x80); r < 0x2200; r++ {
		if p.cp(string(r)) != "." {
			p.latin[r] = true
		}
	}
	return p
}

// loadCJK embeds the font for Chinese text.
func (p *pen) loadCJK() error {
	path, err := FontFile()
	if err != nil {
		return err
	}
	if err := isTrueType(path); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNoFont, path, err)
	}
	p.f.SetFontLocation(filepath.Dir(path))
	p.f.AddUTF8Font(cjkFont, "", filepath.Base(path))
	if err := p.f.Error(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNoFont, path, strings.TrimSpace(err.Error()))
	}
	p.cjk = true
	return nil
}

// isTrueType says whether the file is a font the PDF library reads:
// TrueType outlines, one font in the file.
func isTrueType(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var tag [4]byte
	if _, err := io.ReadFull(f, tag[:]); err != nil {
		return fmt.Errorf("not a font: %w", err)
	}
	switch string(tag[:]) {
	case "\x00\x01\x00\x00", "true":
		return nil
	case "ttcf":
		return errors.New("a TrueType collection (.ttc), which the PDF library cannot read: name a single .ttf")
	case "OTTO":
		return errors.New("an OpenType font with CFF outlines, which the PDF library cannot read: name a TrueType .ttf")
	}
	return fmt.Errorf("not a TrueType font (it starts %q)", tag[:])
}

// isCJK says whether r is written in the Chinese font: CJK ideographs,
// radicals, kana, CJK punctuation and full-width forms, all in the Basic
// Multilingual Plane.
func isCJK(r rune) bool {
	return (r >= 0x2E80 && r <= 0x9FFF) || (r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// needsCJK says whether any of the texts has a rune for the Chinese font.
func needsCJK(texts ...string) bool {
	for _, s := range texts {
		for _, r := range s {
			if isCJK(r) {
				return true
			}
		}
	}
	return false
}

type run struct {
	cjk bool
	s   string // for a Latin run, already in code page 1252
}

// runs splits s into runs by font. Control characters become spaces and
// a rune neither font has becomes '?'.
func (p *pen) runs(s string) []run {
	var out []run
	var b strings.Builder
	cur := false
	flush := func() {
		if b.Len() > 0 {
			t := b.String()
			if !cur {
				t = p.cp(t)
			}
			out = append(out, run{cur, t})
			b.Reset()
		}
	}
	for _, r := range s {
		c := p.cjk && isCJK(r)
		switch {
		case c:
		case r < 0x20 || r == 0x7F:
			r = ' '
		case r < 0x80 || p.latin[r]:
		default:
			r = '?'
		}
		if c != cur {
			flush()
			cur = c
		}
		b.WriteRune(r)
	}
	flush()
	return out
}

// font sets the size (points) and weight of the text that follows.
func (p *pen) font(size float64, bold bool) { p.size, p.bold = size, bold }

func (p *pen) use(cjk bool) {
	switch {
	case cjk:
		p.f.SetFont(cjkFont, "", p.size)
	case p.bold:
		p.f.SetFont(latinFont, "B", p.size)
	default:
		p.f.SetFont(latinFont, "", p.size)
	}
}

// width is how wide s is written, in mm.
func (p *pen) width(s string) float64 {
	w := 0.0
	for _, r := range p.runs(s) {
		p.use(r.cjk)
		w += p.f.GetStringWidth(r.s)
	}
	return w
}

// text writes s from x on the baseline y. The Chinese font has no bold:
// bold Chinese is filled and stroked.
func (p *pen) text(x, y float64, s string) {
	for _, r := range p.runs(s) {
		p.use(r.cjk)
		if r.cjk && p.bold {
			lw := p.f.GetLineWidth()
			dr, dg, db := p.f.GetDrawColor()
			p.f.SetDrawColor(p.f.GetTextColor())
			p.f.SetLineWidth(p.size * 0.012)
			p.f.SetTextRenderingMode(2)
			p.f.Text(x, y, r.s)
			p.f.SetTextRenderingMode(0)
			p.f.SetLineWidth(lw)
			p.f.SetDrawColor(dr, dg, db)
		} else {
			p.f.Text(x, y, r.s)
		}
		x += p.f.GetStringWidth(r.s)
	}
}

// right writes s so that it ends at x.
func (p *pen) right(x, y float64, s string) { p.text(x-p.width(s), y, s) }

// fit shortens s with an ellipsis until it is at most w mm wide.
func (p *pen) fit(s string, w float64) string {
	if p.width(s) <= w {
		return s
	}
	rs := []rune(s)
	lo, hi := 0, len(rs) // the longest prefix that fits is in [lo, hi)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if p.width(string(rs[:mid])+"…") <= w {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo == 0 && p.width("…") > w {
		return ""
	}
	return string(rs[:lo]) + "…"
}
