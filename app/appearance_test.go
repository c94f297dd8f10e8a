package app_test

import (
	"context"
	"errors"
	"testing"

	"lingqian/app"
)

func TestSettings_Theme(t *testing.T) {
	ctx := context.Background()
	// Given a desk whose theme was never chosen
	s := app.Settings{Store: newMemory()}
	if got, err := s.Theme(ctx); err != nil || got != app.ThemeSystem {
		t.Fatalf("fresh desk theme %q, %v; want the desktop's", got, err)
	}
	// When an operator chooses the dark one, then it is kept with who chose it
	if err := s.SetTheme(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, app.ThemeDark); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Theme(ctx); got != app.ThemeDark {
		t.Fatalf("theme %q after choosing dark", got)
	}
	// And a theme the window does not have, or nobody signed in, is refused
	if err := s.SetTheme(ctx, app.Operator{ID: "li.na"}, "pink"); err == nil {
		t.Error("an unknown theme was kept")
	}
	if err := s.SetTheme(ctx, app.Operator{}, app.ThemeLight); !errors.Is(err, app.ErrRole) {
		t.Errorf("a theme chosen by nobody: %v", err)
	}
}
