package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// operatorsSection lists the desk's operators; an admin adds one, changes
// a role, sets a new PIN, locks and unlocks, with the rules and the audit
// lines of `lingqian operator`.
type operatorsSection struct {
	s       *settingsScreen
	content fyne.CanvasObject

	list     *keyList
	ops      []app.Operator
	selected int // -1: none

	addB, roleB, pinB, lockB *keyButton
	message                  *widget.Label
	admin                    bool
}

// roles in the order the choice lists them.
var roles = []app.Role{app.RoleCashier, app.RoleSupervisor, app.RoleTeller, app.RoleAdmin}

// keyList is the operators' list: Up and Down choose, and the desk sees
// the other keys first.
type keyList struct {
	widget.List
	onKey func(*fyne.KeyEvent) bool
	moved func(delta int)
}

func (l *keyList) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp:
		l.moved(-1)
	case fyne.KeyDown:
		l.moved(1)
	default:
		if l.onKey == nil || !l.onKey(ev) {
			l.List.TypedKey(ev)
		}
	}
}

func newOperatorsSection(s *settingsScreen) *operatorsSection {
	d := s.d
	o := &operatorsSection{s: s, selected: -1}
	o.list = &keyList{onKey: s.key, moved: o.move}
	o.list.Length = func() int { return len(o.ops) }
	o.list.CreateItem = func() fyne.CanvasObject {
		return container.NewGridWithColumns(4, widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""))
	}
	o.list.UpdateItem = func(i widget.ListItemID, c fyne.CanvasObject) {
		if i >= len(o.ops) {
			return
		}
		for j, text := range o.row(o.ops[i]) {
			c.(*fyne.Container).Objects[j].(*widget.Label).SetText(text)
		}
	}
	o.list.OnSelected = func(i widget.ListItemID) { d.touch(); o.selected = i; o.showSelected() }
	o.list.ExtendBaseWidget(o.list)

	o.addB = newKeyButton(d.t(app.MsgAddOperator), func() { d.touch(); o.add() }, s.key)
	o.roleB = newKeyButton(d.t(app.MsgChangeRole), func() { d.touch(); o.changeRole() }, s.key)
	o.pinB = newKeyButton(d.t(app.MsgResetPIN), func() { d.touch(); o.resetPIN() }, s.key)
	o.lockB = newKeyButton(d.t(app.MsgLockOperator), func() { d.touch(); o.lockOrUnlock() }, s.key)
	o.message = widget.NewLabel("")
	o.message.Wrapping = fyne.TextWrapWord
	head := container.NewGridWithColumns(4)
	for _, m := range []app.Message{app.MsgOperator, app.MsgOperatorName, app.MsgRole, app.MsgOperatorState} {
		head.Add(widget.NewLabelWithStyle(d.t(m), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	bar := container.NewHBox(o.addB, o.roleB, o.pinB, o.lockB)
	o.content = container.NewBorder(head, container.NewVBox(bar, o.message), nil, nil, o.list)
	return o
}

// row is an operator as the list shows them.
func (o *operatorsSection) row(op app.Operator) [4]string {
	state := o.s.d.t(app.MsgOpActive)
	if op.Locked {
		state = o.s.d.t(app.MsgOpLocked)
	}
	return [4]string{op.ID, op.Name, app.RoleText(op.Role, o.s.d.lang), state}
}

// Rows is the list as shown, for tests and screenshots.
func (o *operatorsSection) Rows() []string {
	var out []string
	for _, op := range o.ops {
		r := o.row(op)
		out = append(out, strings.Join(r[:], " | "))
	}
	return out
}

func (o *operatorsSection) allow(admin bool) {
	o.admin = admin
	// Who the operators are is for an admin to see, not the whole shop.
	show(admin, o.list, o.addB, o.roleB, o.pinB, o.lockB)
	if !admin {
		o.ops = nil
		o.message.SetText(o.s.d.t(app.MsgAdminOnly))
	}
	o.showSelected()
}

func (o *operatorsSection) move(delta int) {
	if len(o.ops) == 0 {
		return
	}
	i := o.selected + delta
	if o.selected < 0 {
		i = 0
	}
	if i >= 0 && i < len(o.ops) {
		o.list.Select(i)
	}
}

// showSelected fits the buttons to the operator chosen.
func (o *operatorsSection) showSelected() {
	chosen := o.current()
	enable(o.admin && chosen != nil, o.roleB, o.pinB, o.lockB)
	if chosen != nil && chosen.Locked {
		o.lockB.SetText(o.s.d.t(app.MsgUnlockOperator))
	} else {
		o.lockB.SetText(o.s.d.t(app.MsgLockOperator))
	}
}

func (o *operatorsSection) current() *app.Operator {
	if o.selected < 0 || o.selected >= len(o.ops) {
		return nil
	}
	op := o.ops[o.selected]
	return &op
}

// refresh reads the operators again, keeping the one chosen.
func (o *operatorsSection) refresh() {
	if !o.admin || o.s.d.svc.Staff == nil {
		return
	}
	var keep string
	if c := o.current(); c != nil {
		keep = c.ID
	}
	background(func() ([]app.Operator, error) {
		return o.s.d.svc.Staff.List(context.Background())
	}, func(ops []app.Operator, err error) {
		if err != nil {
			o.s.d.svc.Log("settings: operators: %v", err)
			o.message.SetText(app.ExplainSettings(err, o.s.d.lang))
			return
		}
		o.ops, o.selected = ops, -1
		o.list.UnselectAll()
		o.list.Refresh()
		for i, op := range ops {
			if op.ID == keep {
				o.list.Select(i)
			}
		}
		o.showSelected()
	})
}

// change runs an operator change off the Fyne goroutine and says how it went.
func (o *operatorsSection) change(run func(ctx context.Context, admin *app.Operator) error, done string) {
	d := o.s.d
	admin := d.Operator()
	if admin == nil {
		return
	}
	background(func() (struct{}, error) {
		return struct{}{}, run(context.Background(), admin)
	}, func(_ struct{}, err error) {
		if err != nil {
			d.svc.Log("settings: operators, by %s: %v", admin.ID, err)
			o.message.SetText(app.ExplainSettings(err, d.lang))
			return
		}
		d.svc.Log("settings: operators, by %s: %s", admin.ID, done)
		o.message.SetText(done)
		o.refresh()
	})
}

func (o *operatorsSection) roleChoice(onKey func(*fyne.KeyEvent) bool, now app.Role) *keySelect {
	var names []string
	for _, r := range roles {
		names = append(names, app.RoleText(r, o.s.d.lang))
	}
	sel := newKeySelect(names, onKey)
	sel.SetSelected(app.RoleText(now, o.s.d.lang))
	return sel
}

func (o *operatorsSection) roleOf(sel *keySelect) app.Role {
	for _, r := range roles {
		if app.RoleText(r, o.s.d.lang) == sel.Selected {
			return r
		}
	}
	return ""
}

// pinPair is a new PIN typed twice; the sentence says what is wrong.
func pinPair(d *Desk, pin, again *keyEntry) (string, string) {
	if pin.Text != again.Text {
		return "", d.t(app.MsgPINsDiffer)
	}
	if err := app.ValidPIN(pin.Text); err != nil {
		return "", d.t(app.MsgBadPIN)
	}
	return pin.Text, ""
}

func (o *operatorsSection) add() {
	d := o.s.d
	if !o.admin {
		return
	}
	id, name, pin, again := newKeyEntry(nil), newKeyEntry(nil), newKeyEntry(nil), newKeyEntry(nil)
	pin.Password, again.Password = true, true
	pin.accept, again.accept = digit, digit
	role := o.roleChoice(nil, app.RoleCashier)
	d.form(d.t(app.MsgAddOperator), d.t(app.MsgAddOperator), []*widget.FormItem{
		widget.NewFormItem(d.t(app.MsgOperator), id), widget.NewFormItem(d.t(app.MsgOperatorName), name),
		widget.NewFormItem(d.t(app.MsgRole), role), widget.NewFormItem(d.t(app.MsgNewPIN), pin), widget.NewFormItem(d.t(app.MsgPINAgain), again),
	}, id, func() {
		p, bad := pinPair(d, pin, again)
		if bad != "" {
			o.message.SetText(bad)
			return
		}
		newOp := app.Operator{ID: strings.TrimSpace(id.Text), Name: strings.TrimSpace(name.Text), Role: o.roleOf(role)}
		o.change(func(ctx context.Context, admin *app.Operator) error { return d.svc.Staff.Add(ctx, admin, newOp, p) },
			d.tf(app.MsgOperatorAdded, newOp.ID, app.RoleText(newOp.Role, d.lang)))
	})
}

func (o *operatorsSection) changeRole() {
	d := o.s.d
	op := o.current()
	if op == nil || !o.admin {
		o.message.SetText(d.t(app.MsgChooseOperator))
		return
	}
	role := o.roleChoice(nil, op.Role)
	d.form(d.t(app.MsgChangeRole)+": "+op.ID, d.t(app.MsgChangeRole), []*widget.FormItem{widget.NewFormItem(d.t(app.MsgRole), role)}, role, func() {
		r := o.roleOf(role)
		o.change(func(ctx context.Context, admin *app.Operator) error { return d.svc.Staff.SetRole(ctx, admin, op.ID, r) },
			d.tf(app.MsgRoleChanged, op.ID, app.RoleText(r, d.lang)))
	})
}

func (o *operatorsSection) resetPIN() {
	d := o.s.d
	op := o.current()
	if op == nil || !o.admin {
		o.message.SetText(d.t(app.MsgChooseOperator))
		return
	}
	pin, again := newKeyEntry(nil), newKeyEntry(nil)
	pin.Password, again.Password = true, true
	pin.accept, again.accept = digit, digit
	d.form(d.t(app.MsgResetPIN)+": "+op.ID, d.t(app.MsgResetPIN), []*widget.FormItem{
		widget.NewFormItem(d.t(app.MsgNewPIN), pin), widget.NewFormItem(d.t(app.MsgPINAgain), again),
	}, pin, func() {
		p, bad := pinPair(d, pin, again)
		if bad != "" {
			o.message.SetText(bad)
			return
		}
		o.change(func(ctx context.Context, admin *app.Operator) error { return d.svc.Staff.SetPIN(ctx, admin, op.ID, p) },
			d.tf(app.MsgPINReset, op.ID))
	})
}

func (o *operatorsSection) lockOrUnlock() {
	d := o.s.d
	op := o.current()
	if op == nil || !o.admin {
		o.message.SetText(d.t(app.MsgChooseOperator))
		return
	}
	if op.Locked {
		o.change(func(ctx context.Context, admin *app.Operator) error { return d.svc.Staff.Unlock(ctx, admin, op.ID) },
			d.tf(app.MsgOperatorUnlocked, op.ID))
		return
	}
	d.confirm(d.tf(app.MsgLockTitle, op.ID), d.tf(app.MsgLockConfirm, op.ID), d.t(app.MsgLockOperator), func() {
		o.change(func(ctx context.Context, admin *app.Operator) error { return d.svc.Staff.Lock(ctx, admin, op.ID) },
			d.tf(app.MsgOperatorLocked, op.ID))
	})
}

// form opens a form whose fields submit with Enter and cancel with Esc,
// first focused; submit runs on the Fyne goroutine when it is confirmed.
func (d *Desk) form(title, confirm string, items []*widget.FormItem, first fyne.Focusable, submit func()) {
	var dlg *dialog.FormDialog
	keys := func(ev *fyne.KeyEvent) bool {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			dlg.Submit()
			return true
		case fyne.KeyEscape:
			dlg.Hide()
			return true
		}
		return false
	}
	for _, it := range items {
		switch w := it.Widget.(type) {
		case *keyEntry:
			w.onKey, w.used = keys, d.touch
		case *keySelect:
			w.onKey = keys
		}
	}
	dlg = dialog.NewForm(title, confirm, d.t(app.MsgCancel), items, func(ok bool) {
		d.touch()
		if ok {
			submit()
		}
	}, d.Window)
	dlg.Resize(fyne.NewSize(460, 0))
	d.showModal(dlg)
	d.Window.Canvas().Focus(first)
}
