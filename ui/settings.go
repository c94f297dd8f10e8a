package ui

import (
	"context"
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// settingsScreen (F6) has three parts: this desk (language, reader, idle
// lock, offline limits), the bank (enrolment and the desk's certificate)
// and the operators. An admin changes everything; a supervisor the reader
// and the idle lock, since a shift may need a reader swapped while the
// owner is away; anyone the language, which changes only the words shown.
// Everyone sees the settings, read-only where their role stops, with a
// sentence saying who may change them: a cashier can then tell the owner
// what the desk is set to.
type settingsScreen struct {
	d        *Desk
	content  fyne.CanvasObject
	note     *widget.Label
	sections *container.AppTabs

	language *keySelect
	theme    *keySelect
	reader   *keySelect
	idle     *keyEntry
	limits   [4]*keyEntry // one purchase, amount pending, sales pending, hours the oldest waits
	saveB    *keyButton
	message  *widget.Label
	// loading: the choices are being set from the stored settings, not
	// chosen by a person.
	loading bool
	// typed counts keys typed into the fields: settings read while the
	// person has begun typing do not overwrite what they typed.
	typed int

	bank *bankSection
	ops  *operatorsSection
}

// The languages the desk speaks, each named in itself.
var languages = []struct{ tag, name string }{{app.English, "English"}, {app.SimplifiedChinese, "简体中文"}}

func digit(r rune) bool { return r >= '0' && r <= '9' }

func newSettings(d *Desk) *settingsScreen {
	s := &settingsScreen{d: d}
	entry := func(accept func(rune) bool) *keyEntry {
		e := newKeyEntry(s.key)
		e.accept, e.used = accept, func() { d.touch(); s.typed++ }
		return e
	}
	money := func(r rune) bool { return digit(r) || r == '.' }
	s.idle = entry(digit)
	s.limits = [4]*keyEntry{entry(money), entry(money), entry(digit), entry(digit)}
	var names []string
	for _, l := range languages {
		names = append(names, l.name)
	}
	s.language = newKeySelect(names, s.key)
	s.language.OnChanged = func(string) { d.touch(); s.chooseLanguage() }
	s.theme = s.newThemeSelect()
	s.reader = newKeySelect(nil, s.key)
	s.saveB = newKeyButton(d.t(app.MsgSave), func() { d.touch(); s.save() }, s.key)
	s.saveB.Importance = widget.HighImportance
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord

	limitNames := []app.Message{app.MsgLimitPerPurchaseField, app.MsgLimitPendingAmountField, app.MsgLimitPendingCountField, app.MsgLimitOldestField}
	form := widget.NewForm(widget.NewFormItem(d.t(app.MsgLanguage), s.language), widget.NewFormItem(d.t(app.MsgTheme), s.theme),
		widget.NewFormItem(d.t(app.MsgReaderChoice), s.reader),
		widget.NewFormItem(d.t(app.MsgSettingsIdle), s.idle),
		widget.NewFormItem("", widget.NewLabelWithStyle(d.t(app.MsgLimitsTitle), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})))
	for i, e := range s.limits {
		form.Append(d.t(limitNames[i]), e)
	}
	deskPart := container.NewVBox(form, container.NewHBox(s.saveB), s.message)
	s.bank = newBankSection(s)
	s.ops = newOperatorsSection(s)
	s.sections = container.NewAppTabs(
		container.NewTabItem(d.t(app.MsgSectionDesk), container.NewVScroll(readable(deskPart))),
		container.NewTabItem(d.t(app.MsgSectionBank), container.NewVScroll(readable(s.bank.content))),
		container.NewTabItem(d.t(app.MsgSectionOperators), s.ops.content),
	)
	s.sections.SetTabLocation(container.TabLocationLeading)
	s.sections.OnSelected = func(*container.TabItem) { d.touch(); s.focus() }
	s.note = widget.NewLabel("")
	s.note.Wrapping = fyne.TextWrapWord
	s.note.Importance = widget.WarningImportance
	hint := widget.NewLabel(d.t(app.MsgSectionsHint))
	hint.SizeName = theme.SizeNameCaptionText
	s.content = container.NewBorder(s.note, hint, nil, nil, s.sections)
	return s
}

// key handles the settings' own keys, then the desk's: Page Up and Page
// Down move between the parts, Enter saves the part shown.
func (s *settingsScreen) key(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyPageUp, fyne.KeyPageDown:
		n, i := len(s.sections.Items), s.sections.SelectedIndex()
		if ev.Name == fyne.KeyPageDown {
			i = (i + 1) % n
		} else {
			i = (i + n - 1) % n
		}
		s.d.touch()
		s.sections.SelectIndex(i)
		return true
	case fyne.KeyReturn, fyne.KeyEnter:
		s.d.touch()
		switch s.sections.SelectedIndex() {
		case 0:
			s.save()
		case 1:
			s.bank.enrol()
		default:
			return false
		}
		return true
	}
	return s.d.key(ev)
}

// focus puts the focus on the first field of the part shown that the
// operator may change.
func (s *settingsScreen) focus() {
	if s.d.modal != nil {
		return // a question is open: it keeps the keyboard
	}
	var fields []fyne.Focusable
	switch s.sections.SelectedIndex() {
	case 0:
		fields = []fyne.Focusable{s.language, s.theme, s.reader, s.idle, s.limits[0]}
	case 1:
		fields = []fyne.Focusable{s.bank.url}
	case 2:
		fields = []fyne.Focusable{s.ops.list, s.ops.addB}
	}
	for _, f := range fields {
		if w, ok := f.(fyne.Disableable); ok && w.Disabled() {
			continue
		}
		if o, ok := f.(fyne.CanvasObject); ok && !o.Visible() {
			continue
		}
		s.d.Window.Canvas().Focus(f)
		return
	}
}

// allow opens what the operator signed in may change and shows the rest
// read-only, saying who may change it.
func (s *settingsScreen) allow() {
	var role app.Role
	if op := s.d.Operator(); op != nil {
		role = op.Role
	}
	admin, supervisor := role.Can(app.RoleAdmin), role.Can(app.RoleSupervisor)
	switch {
	case admin:
		s.note.Hide()
	case supervisor:
		s.note.SetText(s.d.t(app.MsgSupervisorNote))
		s.note.Show()
	default:
		s.note.SetText(s.d.t(app.MsgAdminOnly))
		s.note.Show()
	}
	enable(supervisor, s.reader, s.idle, s.saveB)
	show(supervisor, s.saveB)
	for _, e := range s.limits {
		enable(admin, e)
	}
	s.bank.allow(admin)
	s.ops.allow(admin)
}

// readable shows the settings an operator may not change in a grey that
// can still be read: they are there to be read, not greyed out of sight.
func readable(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewThemeOverride(o, readOnlyTheme{})
}

// readOnlyTheme is the window's theme with the text of disabled fields
// nearly as strong as the rest. It asks for the app's theme at each
// colour, so a change of theme follows (theme.Current would answer this
// override itself while it draws).
type readOnlyTheme struct{}

func appTheme() fyne.Theme {
	if a := fyne.CurrentApp(); a != nil && a.Settings().Theme() != nil {
		return a.Settings().Theme()
	}
	return theme.DefaultTheme()
}

func (readOnlyTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameDisabled {
		r, g, b, _ := appTheme().Color(theme.ColorNameForeground, v).RGBA()
		return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0xB0}
	}
	return appTheme().Color(n, v)
}
func (readOnlyTheme) Font(s fyne.TextStyle) fyne.Resource     { return appTheme().Font(s) }
func (readOnlyTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return appTheme().Icon(n) }
func (readOnlyTheme) Size(n fyne.ThemeSizeName) float32       { return appTheme().Size(n) }

func show(on bool, os ...fyne.CanvasObject) {
	for _, o := range os {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
}

func enable(on bool, ws ...fyne.Disableable) {
	for _, w := range ws {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

func (s *settingsScreen) refreshReaders() {
	opts := []string{s.d.t(app.MsgAllReaders)}
	if b := s.d.svc.Board; b != nil {
		for _, r := range b.Readers() {
			opts = append(opts, r.Name)
		}
	}
	sel := s.reader.Selected
	s.loading = true
	s.reader.SetOptions(opts)
	if sel != "" {
		s.reader.SetSelected(sel)
	}
	s.loading = false
}

type settingsView struct {
	idle   time.Duration
	reader string
	limits app.Limits
}

// refresh reads the settings again, when the screen is opened.
func (s *settingsScreen) refresh() {
	s.message.SetText("")
	s.allow()
	s.loading = true
	for _, l := range languages {
		if l.tag == s.d.lang {
			s.language.SetSelected(l.name)
		}
	}
	s.loading = false
	s.showTheme()
	s.refreshReaders()
	typed := s.typed
	background(func() (settingsView, error) {
		ctx := context.Background()
		var v settingsView
		var err error
		if v.idle, err = s.d.svc.Settings.IdleLock(ctx); err != nil {
			return v, err
		}
		if v.reader, err = s.d.svc.Settings.Reader(ctx); err != nil {
			return v, err
		}
		v.limits, err = s.d.svc.Settings.Limits(ctx)
		return v, err
	}, func(v settingsView, err error) {
		if err != nil {
			s.d.svc.Log("settings: %v", err)
			s.message.SetText(app.ExplainSettings(err, s.d.lang))
			return
		}
		if s.typed != typed {
			return
		}
		s.idle.SetText(strconv.Itoa(int(v.idle / time.Minute)))
		s.loading = true
		if v.reader == "" {
			s.reader.SetSelected(s.d.t(app.MsgAllReaders))
		} else {
			s.reader.SetSelected(v.reader)
		}
		s.loading = false
		l := v.limits
		for i, text := range []string{app.FormatMoney(l.PerPurchase), app.FormatMoney(l.PendingAmount),
			strconv.Itoa(l.PendingCount), strconv.Itoa(int(l.OldestPending / time.Hour))} {
			s.limits[i].SetText(text)
		}
	})
	s.bank.refresh()
	s.ops.refresh()
	s.focus()
}

// readLimits reads the limits typed; a sentence says what is wrong.
func (s *settingsScreen) readLimits() (app.Limits, string) {
	var l app.Limits
	names := []app.Message{app.MsgLimitPerPurchaseField, app.MsgLimitPendingAmountField, app.MsgLimitPendingCountField, app.MsgLimitOldestField}
	for i, m := range []*app.Money{&l.PerPurchase, &l.PendingAmount} {
		v, err := app.ParseMoney(s.limits[i].Text)
		if err != nil {
			return l, s.d.tf(app.MsgBadLimitMoney, s.d.t(names[i]))
		}
		*m = v
	}
	var whole [2]int
	for i := range whole {
		v, err := strconv.Atoi(s.limits[2+i].Text)
		if err != nil {
			return l, s.d.tf(app.MsgBadWhole, s.d.t(names[2+i]))
		}
		whole[i] = v
	}
	l.PendingCount, l.OldestPending = whole[0], time.Duration(whole[1])*time.Hour
	return l, ""
}

// save stores what the operator may change of this desk's part.
func (s *settingsScreen) save() {
	op := s.d.Operator()
	if op == nil || !op.Role.Can(app.RoleSupervisor) {
		return
	}
	mins, err := strconv.Atoi(s.idle.Text)
	if err != nil || mins < 0 || mins > 24*60 {
		s.message.SetText(s.d.t(app.MsgIdleRange))
		return
	}
	reader := s.reader.Selected
	if reader == s.d.t(app.MsgAllReaders) {
		reader = ""
	}
	var limits *app.Limits
	if op.Role.Can(app.RoleAdmin) {
		l, bad := s.readLimits()
		if bad != "" {
			s.message.SetText(bad)
			return
		}
		if err := app.CheckLimits(l); err != nil {
			s.message.SetText(app.ExplainSettings(err, s.d.lang))
			return
		}
		if co := s.d.svc.Checkout; co != nil && co.Limits != l && s.d.checkout != nil && s.d.checkout.busy() {
			s.message.SetText(s.d.t(app.MsgSaleWaiting))
			return
		}
		limits = &l
	}
	s.message.SetText(s.d.t(app.MsgSaving))
	background(func() (struct{}, error) {
		ctx := context.Background()
		if err := s.d.svc.Settings.SetIdleLock(ctx, *op, time.Duration(mins)*time.Minute); err != nil {
			return struct{}{}, err
		}
		if err := s.d.svc.Settings.SetReader(ctx, *op, reader); err != nil {
			return struct{}{}, err
		}
		if limits != nil {
			return struct{}{}, s.d.svc.Settings.SetLimits(ctx, *op, *limits)
		}
		return struct{}{}, nil
	}, func(_ struct{}, err error) {
		if err != nil {
			s.d.svc.Log("settings by %s: %v", op.ID, err)
			s.message.SetText(app.ExplainSettings(err, s.d.lang))
			return
		}
		if limits != nil {
			s.d.useLimits(*limits)
			s.d.svc.Log("settings: offline limits %+v by %s", *limits, op.ID)
		}
		s.message.SetText(s.d.t(app.MsgSettingsSaved))
		s.d.RefreshBanner()
	})
}

// useLimits gives the window's checkout the limits just saved. The
// checkout reads its limits when a sale starts, on its own goroutine, so
// they change only while no sale runs. Fyne goroutine.
func (d *Desk) useLimits(l app.Limits) {
	if d.svc.Checkout == nil {
		return
	}
	if d.checkout != nil && d.checkout.busy() {
		time.AfterFunc(time.Second, func() {
			fyne.Do(func() {
				shown.Lock()
				defer shown.Unlock()
				d.useLimits(l)
			})
		})
		return
	}
	d.svc.Checkout.Limits = l
}

// chooseLanguage stores the language chosen and shows the desk in it.
func (s *settingsScreen) chooseLanguage() {
	op := s.d.Operator()
	tag := ""
	for _, l := range languages {
		if l.name == s.language.Selected {
			tag = l.tag
		}
	}
	if s.loading || op == nil || tag == "" || tag == s.d.lang {
		return
	}
	background(func() (struct{}, error) {
		return struct{}{}, s.d.svc.Settings.SetLanguage(context.Background(), *op, tag)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.d.svc.Log("language by %s: %v", op.ID, err)
			s.message.SetText(app.ExplainSettings(err, s.d.lang))
			return
		}
		s.d.svc.Log("settings: language %s by %s", tag, op.ID)
		s.d.SetLanguage(tag)
		if ns := s.d.settings; ns != nil && s.d.Screen() == 4 {
			s.d.Window.Canvas().Focus(ns.language)
		}
	})
}
