package ui

import (
	"context"

	"lingqian/app"
)

// The themes offered, as the settings keep them and as the window names them.
var themes = []struct {
	setting, window string
	name            app.Message
}{
	{app.ThemeSystem, ThemeSystem, app.MsgThemeSystem},
	{app.ThemeLight, ThemeLight, app.MsgThemeLight},
	{app.ThemeDark, ThemeDark, app.MsgThemeDark},
}

func (s *settingsScreen) newThemeSelect() *keySelect {
	var names []string
	for _, t := range themes {
		names = append(names, s.d.t(t.name))
	}
	sel := newKeySelect(names, s.key)
	sel.OnChanged = func(string) { s.d.touch(); s.chooseTheme() }
	return sel
}

// showTheme selects the theme the window shows.
func (s *settingsScreen) showTheme() {
	s.loading = true
	for _, t := range themes {
		if t.window == s.d.theme {
			s.theme.SetSelected(s.d.t(t.name))
		}
	}
	s.loading = false
}

// chooseTheme keeps the theme chosen and shows it at once. Any operator
// may, as with the language: it changes only how the window looks.
func (s *settingsScreen) chooseTheme() {
	op := s.d.Operator()
	if s.loading || op == nil {
		return
	}
	var setting, window string
	for _, t := range themes {
		if s.d.t(t.name) == s.theme.Selected {
			setting, window = t.setting, t.window
		}
	}
	if window == "" || window == s.d.theme {
		return
	}
	background(func() (struct{}, error) {
		return struct{}{}, s.d.svc.Settings.SetTheme(context.Background(), *op, setting)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.d.svc.Log("theme by %s: %v", op.ID, err)
			s.message.SetText(app.ExplainSettings(err, s.d.lang))
			return
		}
		s.d.svc.Log("settings: theme %s by %s", window, op.ID)
		s.d.SetTheme(window)
		if ns := s.d.settings; ns != nil && s.d.Screen() == 4 {
			s.d.Window.Canvas().Focus(ns.theme)
		}
	})
}
