package app

import (
	"context"
	"errors"
	"fmt"
)

// SettingTheme is the window's theme: light, dark, or "" to follow the
// desktop's.
const SettingTheme = "theme"

// Themes the window offers.
const (
	ThemeSystem = ""
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// Theme is the theme chosen in the settings; "" when none was.
func (s Settings) Theme(ctx context.Context) (string, error) {
	v, err := s.Store.Setting(ctx, SettingTheme)
	if errors.Is(err, ErrNotFound) {
		return ThemeSystem, nil
	}
	return v, err
}

// SetTheme chooses the window's theme. Any operator may, as with the
// language: a counter in sunlight needs the light one, a dim bar the dark.
func (s Settings) SetTheme(ctx context.Context, by Operator, theme string) error {
	if theme != ThemeSystem && theme != ThemeLight && theme != ThemeDark {
		return fmt.Errorf("theme %q: use %s, %s or none", theme, ThemeLight, ThemeDark)
	}
	if by.ID == "" {
		return fmt.Errorf("theme: %w", ErrRole)
	}
	return s.Store.SetSetting(ctx, SettingTheme, theme, by.ID)
}
