package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Themes the desk offers. The system's follows the desktop's light or
// dark setting; a shop whose counter is bright or dim picks one.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// deskTheme is Fyne's theme with the variant the desk chose and sizes for
// a touch screen at a shop's counter: a finger needs bigger targets than a
// mouse, and a 1024×600 screen has room for them.
type deskTheme struct {
	name string
}

func newDeskTheme(name string) fyne.Theme {
	if name != ThemeLight && name != ThemeDark {
		name = ThemeSystem
	}
	return deskTheme{name: name}
}

func (t deskTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.name {
	case ThemeLight:
		v = theme.VariantLight
	case ThemeDark:
		v = theme.VariantDark
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t deskTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t deskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t deskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 15
	case theme.SizeNameInnerPadding:
		return 10
	case theme.SizeNameScrollBar:
		return 14 // a finger can drag it
	case theme.SizeNameInputBorder:
		return 2
	}
	return theme.DefaultTheme().Size(n)
}

// Theme is the theme the desk shows.
func (d *Desk) Theme() string { return d.theme }

// SetTheme shows the desk in a theme at once. Screens are built again:
// some of their texts were coloured when made. Fyne goroutine.
func (d *Desk) SetTheme(name string) {
	t := newDeskTheme(name).(deskTheme)
	if t.name == d.theme {
		return
	}
	d.theme = t.name
	d.app.Settings().SetTheme(t)
	d.rebuild()
}
