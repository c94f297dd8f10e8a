package ui

import (
	"os"

	"fyne.io/fyne/v2/lang"

	"lingqian/app"
	"lingqian/assets"
)

// Language is the language the desk shows.
func (d *Desk) Language() string { return d.lang }

// SetLanguage shows the desk in another language at once, without a
// restart: every screen is built again in it. Fyne goroutine.
func (d *Desk) SetLanguage(tag string) {
	if tag == d.lang || (tag != app.English && tag != app.SimplifiedChinese) {
		return
	}
	d.lang = tag
	useLanguage(tag, d.svc.Log)
	d.rebuild()
}

// rebuild builds every screen again, in the desk's language and theme,
// keeping the operator signed in and the open screen open. What was typed
// but not yet done (an amount, a search) is cleared, as a sign-out would.
// Fyne goroutine.
func (d *Desk) rebuild() {
	d.closeModal()
	tab := 0
	if d.tabs != nil {
		tab = d.tabs.SelectedIndex()
	}
	if d.checkout != nil {
		d.checkout.cancel()
	}
	if d.teller != nil {
		d.teller.cancel()
	}
	d.main = nil
	d.signIn = newSignIn(d)
	op := d.Operator()
	if op == nil {
		d.Window.SetContent(d.signIn.content)
		d.signIn.show("")
		return
	}
	d.build()
	d.who.SetText(d.tf(app.MsgSignedInAs, op.ID, app.RoleText(op.Role, d.lang)))
	d.Window.SetContent(d.main)
	d.tabs.SelectIndex(tab)
	d.onTab()
	d.banner.refresh()
}

// useLanguage hands the desk's translation files to Fyne's lang package
// and points it at the desk's language, so Fyne's own words (a dialog's
// OK, an entry's Copy and Paste) match the desk's. Fyne picks its
// language from the session's locale when translations are added; the
// desk's choice is put first there (LANGUAGE) and the files are added
// again so Fyne looks once more.
func useLanguage(tag string, logf func(string, ...any)) {
	locale := map[string]string{app.English: "en", app.SimplifiedChinese: "zh_Hans"}[tag]
	if err := os.Setenv("LANGUAGE", locale); err != nil {
		logf("language: %v", err)
	}
	if err := lang.AddTranslationsFS(assets.Lang, assets.LangDir); err != nil {
		logf("language: Fyne's translations: %v", err)
	}
}
