package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/device"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

func TestEndOfDay_TheDifferenceListAfterARejectedMessage(t *testing.T) {
	ctx := context.Background()
	// Given two sales forwarded through the real client to a scripted bank
	// (the real bank's clearing is in the bank and system tests) that
	// rejects the second
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)
	s.sale("4.00", w, device.Leave{})
	s.sale("6.00", w, device.Leave{})
	bank := synctest.Start(t, synctest.Options{})
	bank.Decide = func(m desksync.Message) (string, string) {
		if m.Seq == 2 {
			return desksync.BankRejected, "wallet_hotlisted"
		}
		return desksync.BankPosted, ""
	}
	client, err := desksync.NewClient(desksync.Config{BaseURL: bank.URL, TLS: bank.DeskTLS(t, "T0000001", "M00000000000001"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Forward(ctx, s.db, 0, nil); err != nil {
		t.Fatal(err)
	}
	do(func() { s.desk.svc.Reconciler = (&desk.Desk{DB: s.db}).Reconciler(client) })

	// When the owner checks the day with the bank from the end of day screen
	s.press(fyne.KeyF4)
	eventually(t, "X report", func() bool { return s.desk.eod.shown.Kind == "X" })
	s.tapButton("Check with the bank")

	// Then desk and bank are shown side by side, and the rejected sale is
	// listed with the bank's reason and what to do
	eventually(t, "difference list", func() bool { return len(s.desk.eod.Differences()) == 1 })
	var diffs []string
	var checked *app.Reconciliation
	do(func() { diffs, checked = s.desk.eod.Differences(), s.desk.eod.checked })
	if !strings.Contains(diffs[0], "Sequence 2: the bank refused it: wallet_hotlisted") || !strings.Contains(diffs[0], "Call the bank with the receipt") {
		t.Fatalf("difference %q", diffs[0])
	}
	if checked.Bank.Posted != (app.Totals{Count: 1, Amount: 400}) || checked.Bank.Rejected != (app.Totals{Count: 1, Amount: 600}) ||
		checked.Desk.Rejected != (app.Totals{Count: 1, Amount: 600}) {
		t.Fatalf("totals desk %+v bank %+v", checked.Desk, checked.Bank)
	}
	// And the journal now holds the bank's verdict
	if st, _ := s.db.State(ctx, 2); st != app.StateRejected {
		t.Errorf("entry 2 is %s", st)
	}
}
