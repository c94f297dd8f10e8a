// Package ui is the desk's Fyne window. It talks to app only, and updates
// widgets from other goroutines through fyne.Do.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// Desk is the cashier's main window.
type Desk struct {
	Window fyne.Window

	board   *app.ReaderBoard
	lang    string
	status  *widget.Label
	readers *widget.List
	rows    []app.ReaderStatus
}

// NewDesk builds the main window over the reader board. Call Refresh
// (on the Fyne thread) whenever the board changes.
func NewDesk(a fyne.App, board *app.ReaderBoard, lang string) *Desk {
	d := &Desk{board: board, lang: lang}
	d.Window = a.NewWindow("Lingqian 零钱")

	d.status = widget.NewLabel("")
	d.status.Wrapping = fyne.TextWrapWord
	d.status.TextStyle = fyne.TextStyle{Bold: true}
	d.status.SizeName = theme.SizeNameSubHeadingText

	d.readers = widget.NewList(
		func() int { return len(d.rows) },
		func() fyne.CanvasObject {
			return container.NewBorder(nil, nil, widget.NewIcon(theme.RadioButtonIcon()), nil, widget.NewLabel(""))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			label := row.Objects[0].(*widget.Label)
			icon := row.Objects[1].(*widget.Icon)
			r := d.rows[i]
			label.SetText(r.Name)
			if r.Card {
				icon.SetResource(theme.RadioButtonCheckedIcon())
			} else {
				icon.SetResource(theme.RadioButtonIcon())
			}
		},
	)

	heading := widget.NewLabelWithStyle(readersHeading(lang), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.Window.SetContent(container.NewBorder(
		container.NewVBox(d.status, widget.NewSeparator(), heading), nil, nil, nil,
		d.readers,
	))
	d.Window.Resize(fyne.NewSize(640, 420))
	d.Refresh()
	return d
}

// Refresh shows the board's current state. It must run on the Fyne thread.
func (d *Desk) Refresh() {
	d.status.SetText(d.board.Message().Text(d.lang))
	d.rows = d.board.Readers()
	d.readers.Refresh()
}

// StatusText is the sentence the cashier reads at the top of the window.
func (d *Desk) StatusText() string { return d.status.Text }

func readersHeading(lang string) string {
	if lang == app.SimplifiedChinese {
		return "读卡器"
	}
	return "Card readers"
}
