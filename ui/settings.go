package ui

import (
	"context"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// settingsScreen holds the settings the checkout issue needs: the idle
// lock and the reader the checkout uses.
type settingsScreen struct {
	d       *Desk
	content fyne.CanvasObject
	idle    *keyEntry
	reader  *widget.Select
	message *widget.Label
}

func newSettings(d *Desk) *settingsScreen {
	s := &settingsScreen{d: d}
	s.idle = newKeyEntry(func(ev *fyne.KeyEvent) bool { return d.key(ev) })
	s.idle.accept = func(r rune) bool { return r >= '0' && r <= '9' }
	s.idle.used = d.touch
	s.reader = widget.NewSelect(nil, nil)
	s.message = widget.NewLabel("")
	save := widget.NewButton(d.t(app.MsgSave), func() { d.touch(); s.save() })
	form := widget.NewForm(widget.NewFormItem(d.t(app.MsgSettingsIdle), s.idle), widget.NewFormItem(d.t(app.MsgReaderChoice), s.reader))
	s.content = container.NewVBox(form, container.NewHBox(save), s.message)
	return s
}

func (s *settingsScreen) refreshReaders() {
	opts := []string{s.d.t(app.MsgAllReaders)}
	if b := s.d.svc.Board; b != nil {
		for _, r := range b.Readers() {
			opts = append(opts, r.Name)
		}
	}
	sel := s.reader.Selected
	s.reader.SetOptions(opts)
	if sel != "" {
		s.reader.SetSelected(sel)
	}
}

type settingsView struct {
	idle   time.Duration
	reader string
}

func (s *settingsScreen) refresh() {
	s.message.SetText("")
	s.refreshReaders()
	background(func() (settingsView, error) {
		ctx := context.Background()
		idle, err := s.d.svc.Settings.IdleLock(ctx)
		if err != nil {
			return settingsView{}, err
		}
		r, err := s.d.svc.Settings.Reader(ctx)
		return settingsView{idle, r}, err
	}, func(v settingsView, err error) {
		if err != nil {
			s.d.svc.Log("settings: %v", err)
			return
		}
		s.idle.SetText(strconv.Itoa(int(v.idle / time.Minute)))
		if v.reader == "" {
			s.reader.SetSelected(s.d.t(app.MsgAllReaders))
		} else {
			s.reader.SetSelected(v.reader)
		}
	})
}

func (s *settingsScreen) save() {
	op := s.d.Operator()
	if op == nil {
		return
	}
	mins, _ := strconv.Atoi(s.idle.Text)
	reader := s.reader.Selected
	if reader == s.d.t(app.MsgAllReaders) {
		reader = ""
	}
	background(func() (struct{}, error) {
		ctx := context.Background()
		if err := s.d.svc.Settings.SetIdleLock(ctx, *op, time.Duration(mins)*time.Minute); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, s.d.svc.Settings.SetReader(ctx, *op, reader)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.d.svc.Log("settings by %s: %v", op.ID, err)
			s.message.SetText(app.Explain(err, s.d.lang))
			return
		}
		s.message.SetText(s.d.t(app.MsgSettingsSaved))
	})
}
