package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// tellerExceptions is the bank's exception queue, open items first: an
// item chosen is resolved with a note.
type tellerExceptions struct {
	t        *tellerScreen
	content  fyne.CanvasObject
	filter   *keySelect
	list     *keyList
	items    []app.BankException
	selected int
	note     *keyEntry
	resolveB *keyButton
	message  *widget.Label
	empty    *widget.Label  // over the list when it has nothing
	logged   map[int64]bool // items whose bank's words went to the log
}

func newTellerExceptions(t *tellerScreen) *tellerExceptions {
	d := t.d
	e := &tellerExceptions{t: t, selected: -1, logged: map[int64]bool{}}
	e.filter = newKeySelect([]string{d.t(app.MsgTellerUIFilterOpen), d.t(app.MsgTellerUIFilterResolved), d.t(app.MsgTellerUIFilterAll)}, t.key)
	e.filter.SetSelected(d.t(app.MsgTellerUIFilterOpen))
	e.filter.OnChanged = func(string) { d.touch(); e.refresh() }
	e.list = &keyList{onKey: t.key, moved: e.move}
	e.list.Length = func() int { return len(e.items) }
	e.list.CreateItem = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	e.list.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(e.items) {
			o.(*widget.Label).SetText(e.row(e.items[i]))
			e.list.SetItemHeight(i, o.(*widget.Label).MinSize().Height)
		}
	}
	e.list.OnSelected = func(i widget.ListItemID) { d.touch(); e.selected = i; d.Window.Canvas().Focus(e.note) }
	e.list.ExtendBaseWidget(e.list)
	e.note = newKeyEntry(t.enterDoes(func() { e.resolve() }))
	e.note.used = d.touch
	e.resolveB = newKeyButton(d.t(app.MsgTellerUIResolve), func() { d.touch(); e.resolve() }, t.key)
	e.resolveB.Importance = widget.HighImportance
	e.message = widget.NewLabel("")
	e.message.Wrapping = fyne.TextWrapWord
	top := container.NewBorder(nil, nil, widget.NewLabel(d.t(app.MsgTellerUIShow)), nil, e.filter)
	bottom := container.NewVBox(widget.NewForm(widget.NewFormItem(d.t(app.MsgTellerUINote), container.NewBorder(nil, nil, nil, e.resolveB, e.note))), e.message)
	e.empty = widget.NewLabel(d.t(app.MsgTellerUINoExceptions))
	e.empty.Hide()
	e.content = container.NewBorder(top, bottom, nil, nil, container.NewStack(e.list, container.NewVBox(e.empty)))
	return e
}

// row is an exception as the list shows it: what kind it is and what it
// asks of the teller, in the desk's language. The bank's own detail is
// English: it goes to the log, and shows only on an English desk, marked
// as the bank's words.
func (e *tellerExceptions) row(x app.BankException) string {
	d := e.t.d
	name, what := exceptionText(x.Kind, d.lang)
	s := d.tf(app.MsgTellerUIExceptionLine, x.ID, x.At.Local().Format("2006-01-02 15:04"), name, x.PAN, x.PSN, x.ATC, what)
	if x.Detail != "" && d.lang == app.English {
		s += "\n" + d.tf(app.MsgTellerUIBankWords, x.Detail)
	}
	if !x.Open() {
		s += "\n" + d.tf(app.MsgTellerUIResolvedBy, x.ResolvedBy, x.Resolution)
	}
	return s
}

// Rows is the list as shown, for tests.
func (e *tellerExceptions) Rows() []string {
	var out []string
	for _, x := range e.items {
		out = append(out, e.row(x))
	}
	return out
}

func (e *tellerExceptions) move(delta int) {
	i := e.selected + delta
	if e.selected < 0 {
		i = 0
	}
	if i >= 0 && i < len(e.items) {
		e.list.Select(i)
	}
}

func (e *tellerExceptions) state() app.ExceptionState {
	switch e.filter.Selected {
	case e.t.d.t(app.MsgTellerUIFilterResolved):
		return app.ExceptionsResolved
	case e.t.d.t(app.MsgTellerUIFilterAll):
		return app.ExceptionsAll
	}
	return app.ExceptionsOpen
}

// refresh reads the queue again, open items first as the filter starts.
func (e *tellerExceptions) refresh() {
	d := e.t.d
	state := e.state()
	op := d.Operator()
	if op == nil {
		return
	}
	// A read, not a wait: the teller may move on to another part meanwhile.
	background(func() ([]app.BankException, error) {
		return d.svc.Teller.Exceptions(context.Background(), *op, state)
	}, func(items []app.BankException, err error) {
		if err != nil {
			d.svc.Log("teller: exceptions: %v", err)
			e.message.SetText(app.ExplainTeller(err, d.lang))
			return
		}
		for _, x := range items {
			if !e.logged[x.ID] {
				e.logged[x.ID] = true
				d.svc.Log("teller: exception %d (%s) on %s/%s ATC %d: the bank says %q", x.ID, x.Kind, app.MaskPAN(x.PAN), x.PSN, x.ATC, x.Detail)
			}
		}
		e.items, e.selected = items, -1
		e.list.UnselectAll()
		e.list.Refresh()
		show(len(items) == 0, e.empty)
	})
}

// resolve closes the item chosen with the note typed.
func (e *tellerExceptions) resolve() {
	d := e.t.d
	if e.selected < 0 || e.selected >= len(e.items) || !e.items[e.selected].Open() {
		e.message.SetText(d.t(app.MsgTellerUIChooseException))
		return
	}
	id, note := e.items[e.selected].ID, strings.TrimSpace(e.note.Text)
	if note == "" {
		e.message.SetText(app.MsgTellerErrNote.Text(d.lang))
		return
	}
	tellerRun(e.t, func(ctx context.Context, op app.Operator, _ func(app.TellerStep)) (app.BankException, error) {
		return d.svc.Teller.Resolve(ctx, op, id, note)
	}, nil, func(x app.BankException, err error) {
		if err != nil {
			e.message.SetText(app.ExplainTeller(err, d.lang))
			return
		}
		e.note.SetText("")
		e.message.SetText(d.tf(app.MsgTellerResolved, x.ID))
		e.refresh()
	})
}

// tellerReEntry is the lost-log re-entry: a note, a yes, then the tap.
type tellerReEntry struct {
	t       *tellerScreen
	content fyne.CanvasObject
	note    *keyEntry
	button  *keyButton
	message *widget.Label
}

func newTellerReEntry(t *tellerScreen) *tellerReEntry {
	d := t.d
	r := &tellerReEntry{t: t}
	explain := widget.NewLabel(d.t(app.MsgTellerUIReEntryExplain))
	explain.Wrapping = fyne.TextWrapWord
	r.note = newKeyEntry(t.enterDoes(func() { r.ask() }))
	r.note.used = d.touch
	r.button = newKeyButton(d.t(app.MsgTellerUIReEntryButton), func() { d.touch(); r.ask() }, t.key)
	r.button.Importance = widget.HighImportance
	r.message = widget.NewLabel("")
	r.message.Wrapping = fyne.TextWrapWord
	r.content = container.NewVBox(explain, widget.NewForm(widget.NewFormItem(d.t(app.MsgTellerUINote), r.note)),
		container.NewHBox(r.button), r.message)
	return r
}

// ask asks for a yes, then waits for the phone and re-enters it.
func (r *tellerReEntry) ask() {
	d := r.t.d
	note := strings.TrimSpace(r.note.Text)
	if note == "" {
		r.message.SetText(app.MsgTellerErrNote.Text(d.lang))
		return
	}
	d.confirm(d.t(app.MsgTellerUIReEntryTitle), d.t(app.MsgTellerUIReEntryConfirm), d.t(app.MsgTellerUIReEntryButton), func() {
		started := tellerRun(r.t, func(ctx context.Context, op app.Operator, step func(app.TellerStep)) (app.ReEntryResult, error) {
			return d.svc.Teller.ReEnter(ctx, op, note, step)
		}, func(s app.TellerStep) { r.message.SetText(app.StepText(s, d.lang)) }, func(res app.ReEntryResult, err error) {
			if err != nil {
				r.message.SetText(app.ExplainTeller(err, d.lang))
				return
			}
			r.note.SetText("")
			p := res.Phone
			said := d.tf(app.MsgTellerReEntered, app.MaskPAN(p.PAN), p.ATC, app.FormatMoney(app.Money(p.Balance)), res.Resolved)
			if t := app.SettledText(res.Settled, d.lang); t != "" {
				said += "\n" + t
			}
			r.message.SetText(said)
		})
		if started {
			r.message.SetText(d.t(app.MsgTellerUIWaitingPhone))
		}
	})
}
