package ui

import (
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"lingqian/app"
)

// shownTexts is every piece of text drawn in the window now.
func shownTexts(w fyne.Window) []string {
	var out []string
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		if t, ok := o.(*canvas.Text); ok && o.Visible() && strings.TrimSpace(t.Text) != "" {
			out = append(out, t.Text)
		}
	}
	return out
}

// englishOnly are the drawn texts that are a desk sentence in English
// whose Chinese differs: words left untranslated after a switch.
func englishOnly(texts []string) []string {
	english := map[string]bool{}
	for _, m := range app.AllMessages() {
		if en := m.Text(app.English); en != m.Text(app.SimplifiedChinese) && !strings.Contains(en, "%") {
			english[en] = true
		}
	}
	var out []string
	for _, s := range texts {
		if english[s] {
			out = append(out, s)
		}
	}
	return out
}

func hasHan(texts []string) bool {
	for _, s := range texts {
		for _, r := range s {
			if unicode.Is(unicode.Han, r) {
				return true
			}
		}
	}
	return false
}

func TestLanguage_SwitchingShowsChineseOnEveryScreen(t *testing.T) {
	// Given an admin signed in to a desk shown in English
	s := newShop(t, app.English, app.Limits{})
	s.signIn(admin, adminPIN)
	s.signedIn(admin)
	// Laying the window out reads what results shown meanwhile change
	// (the banner, the journal): under the lock they are shown under.
	var english []string
	do(func() { english = shownTexts(s.desk.Window) })
	if hasHan(english) {
		t.Fatalf("an English desk shows Chinese: %q", english)
	}

	// When the desk is switched to Chinese, without a restart
	do(func() { s.desk.SetLanguage(app.SimplifiedChinese) })

	// Then every screen is drawn in Chinese, with no English sentence left
	for i, key := range []fyne.KeyName{fyne.KeyF2, fyne.KeyF3, fyne.KeyF4, fyne.KeyF5, fyne.KeyF6} {
		s.press(key)
		eventually(t, "screen shown", func() bool { return s.desk.Screen() == i })
		var texts []string
		do(func() { texts = shownTexts(s.desk.Window) })
		if !hasHan(texts) {
			t.Errorf("screen %d shows no Chinese: %q", i, texts)
		}
		if left := englishOnly(texts); len(left) > 0 {
			t.Errorf("screen %d still shows English: %q", i, left)
		}
	}
	// And the operator stays signed in
	if s.desk.Operator() == nil || s.desk.Operator().ID != admin {
		t.Fatal("switching the language signed the operator out")
	}
	// And Fyne's own words follow the desk's language, through its lang package
	if got := lang.X(string(app.MsgSignInTitle), "?"); got != app.MsgSignInTitle.Text(app.SimplifiedChinese) {
		t.Errorf("Fyne's lang gives %q for the sign-in title", got)
	}
	if got := lang.L("OK"); got == "OK" {
		t.Errorf("Fyne's OK stays English in a Chinese desk")
	}

	// When switched back, then English again
	do(func() { s.desk.SetLanguage(app.English) })
	var texts []string
	do(func() { texts = shownTexts(s.desk.Window) })
	if hasHan(texts) {
		t.Errorf("back in English the desk still shows Chinese: %q", texts)
	}
}
