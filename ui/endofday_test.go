package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/device"
)

func TestEndOfDay_CloseTheDayAndReprintItsZReport(t *testing.T) {
	// Given two sales taken this hour
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)
	s.sale("1.00", w, device.Leave{})
	s.sale("2.50", w, device.Leave{})

	// When the end of day screen opens (F4)
	s.press(fyne.KeyF4)

	// Then the X report shows them pending, by cashier, and one bar in the hour chart
	eventually(t, "X report", func() bool {
		return s.desk.eod.title.Text == "X report (the day so far)" && s.desk.eod.shown.Pending.Count == 2
	})
	var bars int
	do(func() {
		for _, h := range s.desk.eod.Bars() {
			if h > 0 {
				bars++
			}
		}
	})
	if bars != 1 || s.desk.eod.shown.ByCashier[cashier].Amount != 350 {
		t.Fatalf("%d bars, by cashier %+v", bars, s.desk.eod.shown.ByCashier)
	}

	// When a cashier tries to close the day, it is refused
	s.tapButton("Close the day (Z)")
	s.fillSupervisor("Close the day", cashier, cashierPIN)
	s.dialogSays("Your role does not allow this.")
	s.press(fyne.KeyEscape) // the message closes by keyboard

	// When a supervisor closes it
	s.tapButton("Close the day (Z)")
	s.fillSupervisor("Close the day", supervisor, supervisorPIN)

	// Then Z report no. 1 is shown, sealed, and listed for reprinting
	s.dialogSays("The day is closed: Z report no. 1.")
	eventually(t, "Z shown", func() bool {
		return s.desk.eod.title.Text == "Z report no. 1" && strings.Contains(s.desk.eod.head.Text, "Seal ") &&
			len(s.desk.eod.past.Options) == 1
	})
	// When the X report is shown again, the closed sales are no longer in it
	s.tapButton("X report (the day so far)")
	eventually(t, "empty X", func() bool {
		return s.desk.eod.title.Text == "X report (the day so far)" && s.desk.eod.shown.Pending.Count == 0
	})
	// When Z 1 is picked from the list, it is reprinted as it was sealed
	do(func() { s.desk.eod.past.SetSelectedIndex(0) })
	eventually(t, "Z reprinted", func() bool {
		return s.desk.eod.title.Text == "Z report no. 1" && s.desk.eod.shown.Pending.Count == 2
	})
}
