package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"lingqian/app"
)

// luminance is WCAG's relative luminance of a colour.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xFFFF
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func TestTheme_EveryScreenFitsAShopScreenAndReadsInBothThemes(t *testing.T) {
	shopScreen := fyne.NewSize(1024, 600)
	for _, lang := range []string{app.English, app.SimplifiedChinese} {
		for _, th := range []string{ThemeLight, ThemeDark} {
			t.Run(lang+"/"+th, func(t *testing.T) {
				// Given an admin signed in, in this language and theme
				s := newShop(t, lang, app.Limits{})
				if min := s.desk.Window.Content().MinSize(); min.Width > shopScreen.Width || min.Height > shopScreen.Height {
					t.Errorf("sign-in needs %v, more than a %v screen", min, shopScreen)
				}
				s.signIn(admin, adminPIN)
				s.signedIn(admin)
				// (switched while signed in: the screens are made again in it)
				do(func() { s.desk.SetTheme(th) })
				bg := theme.Color(theme.ColorNameBackground)
				// Text on a coloured button stands on the button's colour
				onColour := map[color.Color]bool{theme.Color(theme.ColorNameForegroundOnPrimary): true,
					theme.Color(theme.ColorNameForegroundOnError): true, theme.Color(theme.ColorNameForegroundOnSuccess): true,
					theme.Color(theme.ColorNameForegroundOnWarning): true}
				for i, key := range []fyne.KeyName{fyne.KeyF2, fyne.KeyF3, fyne.KeyF4, fyne.KeyF5, fyne.KeyF6} {
					// When each screen is opened
					s.press(key)
					eventually(t, "screen shown", func() bool { return s.desk.Screen() == i })
					do(func() {
						// Then it fits the screen
						if min := s.desk.Window.Content().MinSize(); min.Width > shopScreen.Width || min.Height > shopScreen.Height {
							t.Errorf("screen %d needs %v, more than a %v screen", i, min, shopScreen)
						}
						// And every text stands out from the background
						for _, o := range test.LaidOutObjects(s.desk.Window.Canvas().Content()) {
							if txt, ok := o.(*canvas.Text); ok && o.Visible() && txt.Text != "" && !onColour[txt.Color] {
								if c := contrast(txt.Color, bg); c < 3 {
									t.Errorf("screen %d: %q is hard to read (contrast %.1f)", i, txt.Text, c)
								}
							}
						}
					})
				}
			})
		}
	}
}
