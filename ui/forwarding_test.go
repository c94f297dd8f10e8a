package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/device"
)

func TestForwardingScreen_FiltersSearchAndATimeline(t *testing.T) {
	ctx := context.Background()
	// Given three sales: one posted, one the bank rejected, one not yet sent
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)
	for _, amount := range []string{"1.00", "2.00", "3.00"} {
		if h, _ := s.sale(amount, w, device.Leave{}); !strings.HasPrefix(h, "APPROVED") {
			t.Fatalf("sale %s: %q", amount, h)
		}
	}
	for seq, st := range map[int64]app.OutboxState{1: app.StatePosted, 2: app.StateRejected} {
		if err := s.db.SetState(ctx, seq, st, map[bool]string{true: "wallet_hotlisted"}[st == app.StateRejected], time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() []string {
		var out []string
		do(func() {
			for _, r := range s.desk.journal.rows {
				out = append(out, s.desk.journal.rowText(r))
			}
		})
		return out
	}
	listed := func(what string, n int) []string {
		t.Helper()
		eventually(t, what, func() bool { return !s.desk.journal.loading && len(s.desk.journal.rows) == n })
		return rows()
	}

	// When the owner opens the forwarding screen (F3)
	s.press(fyne.KeyF3)
	// Then every sale is listed, newest first, with where it stands
	got := listed("all sales", 3)
	if !strings.Contains(got[0], "3.00") || !strings.Contains(got[0], "not yet sent") ||
		!strings.Contains(got[1], "rejected: wallet_hotlisted") || !strings.Contains(got[2], "posted") {
		t.Fatalf("list:\n%s", strings.Join(got, "\n"))
	}

	// When only the rejected ones are shown
	do(func() { s.desk.journal.show.SetSelected("Rejected") })
	if got := listed("rejected", 1); !strings.Contains(got[0], "2.00") {
		t.Fatalf("rejected: %q", got)
	}
	// And the pending ones
	do(func() { s.desk.journal.show.SetSelected("Pending") })
	if got := listed("pending", 1); !strings.Contains(got[0], "3.00") {
		t.Fatalf("pending: %q", got)
	}

	// When all are shown and the owner searches sequence 1 by keyboard
	do(func() { s.desk.journal.show.SetSelected("All sales") })
	listed("all again", 3)
	do(func() { s.desk.Window.Canvas().Focus(s.desk.journal.search) })
	s.typeKeys("1")
	s.press(fyne.KeyReturn)
	if got := listed("sequence 1", 1); !strings.Contains(got[0], "1.00") {
		t.Fatalf("search: %q", got)
	}

	// When a day is typed wrongly, the screen says how to write it
	do(func() { s.desk.Window.Canvas().Focus(s.desk.journal.day) })
	s.typeKeys("3 Dec")
	s.press(fyne.KeyReturn)
	eventually(t, "bad day", func() bool { return s.desk.journal.message.Text == "Write the day like 2026-12-03." })

	// When the posted sale is opened, its timeline shows each step
	do(func() { s.desk.journal.list.Select(0) })
	s.dialogSays("On its way to the bank")
	s.dialogSays("posted")
	s.dialogSays("COPY")
}
