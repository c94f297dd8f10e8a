package ui

import (
	"context"
	"testing"

	"lingqian/app"
)

func TestSettings_TheThemeSwitchesAtOnceAndIsKept(t *testing.T) {
	// Given a cashier on a desk in the computer's theme
	s := newShop(t, app.English, app.Limits{})
	s.signedIn(cashier)
	st := s.openSettings(0)

	// When they choose the dark theme
	do(func() { st.theme.SetSelected(app.MsgThemeDark.Text(app.English)) })

	// Then the window is dark at once, still on the settings, still signed in
	eventually(t, "dark", func() bool { return s.desk.Theme() == ThemeDark })
	eventually(t, "settings again", func() bool { return s.desk.Screen() == 4 && s.desk.settings != st })
	if s.desk.Operator() == nil || s.desk.Operator().ID != cashier {
		t.Fatal("the switch signed the cashier out")
	}
	var shown string
	do(func() { shown = s.desk.settings.theme.Selected })
	if shown != app.MsgThemeDark.Text(app.English) {
		t.Errorf("the settings show theme %q", shown)
	}
	// And the choice is kept and audited as the cashier's
	if th, _ := s.desk.svc.Settings.Theme(context.Background()); th != app.ThemeDark {
		t.Errorf("stored theme %q", th)
	}
	if !s.audited(cashier, `theme: (unset) → "dark"`) {
		t.Error("the switch is not audited")
	}

	// When the light one is chosen, then light it is
	do(func() { s.desk.settings.theme.SetSelected(app.MsgThemeLight.Text(app.English)) })
	eventually(t, "light", func() bool { return s.desk.Theme() == ThemeLight })
}
